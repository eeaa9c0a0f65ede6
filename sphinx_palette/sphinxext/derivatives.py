"""Scaled copies of images written into the output: index thumbnails, copies of remote :show-image: images.

A copy is a JPEG named by the hash of the image's bytes and its size, made once and kept in the palette cache
(`sphinx_palette.derivatives`, shared with the MkDocs plugin), written once per output directory, so pages
link to files of their own site (no mixed content on https sites, images inside e-books) and a 100-entry
index does not pull the full images.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.builders import Builder
from sphinx.util.osutil import relative_uri

from ..derivatives import REMOTE_COPY_SIDE as REMOTE_COPY_SIDE
from ..derivatives import cached_image, derive
from ..engine.thumbnails import thumbnail_name
from .service import get_service

#: Where derivatives are written in the output.
DERIVATIVE_DIR = "_images/palette"

# Sizes by file name, for files already written by this process.
_sizes: dict[str, tuple[int, int]] = {}


def image_bytes(builder: Builder, image: str) -> bytes | None:
    """The bytes of a local image (relative to the source directory) or of a remote one from the cache."""
    if "://" in image:
        return cached_image(get_service(builder.env).cache, image)
    try:
        return Path(builder.srcdir, image).read_bytes()
    except OSError:
        return None


def derivative(builder: Builder, image: str, side: int) -> tuple[str, int, int] | None:
    """``(path relative to the output root, width, height)`` of ``image`` scaled to fit ``side`` pixels.

    ``None`` when its bytes are not at hand (a remote image not in the cache) or cannot be decoded.
    """
    data = image_bytes(builder, image)
    if not data:
        return None
    name = thumbnail_name(data, side)
    target = Path(builder.outdir, DERIVATIVE_DIR, name)
    size = _sizes.get(name)
    if size is None or not target.exists():
        made = derive(get_service(builder.env).cache, data, side)
        if made is None:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(made.data)
        size = _sizes[name] = made.size
    return f"{DERIVATIVE_DIR}/{name}", size[0], size[1]


def uri_from(builder: Builder, docname: str, path: str) -> str:
    """``path`` (relative to the output root) as a link from the page of ``docname``."""
    return relative_uri(builder.get_target_uri(docname), path)
