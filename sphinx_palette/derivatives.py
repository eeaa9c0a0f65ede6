"""Scaled copies of a site's images, for any front end: browse-index thumbnails, copies of remote images.

A copy is a JPEG named by the hash of the image's bytes and its size (`engine.thumbnails.thumbnail_name`),
made once and kept in the palette cache (kind ``derivatives``, trimmed with the rest), so that a rebuild,
even into an emptied output directory, decodes nothing again. The front end decides where the file goes.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import imagesize

from .engine.thumbnails import make_thumbnail, thumbnail_name
from .remote.cache import CacheError, PaletteCache

__all__ = ["REMOTE_COPY_SIDE", "Derivative", "cached_image", "derive"]

#: Long side of the copy of a remote :show-image: image written into the output.
REMOTE_COPY_SIDE = 1200


@dataclass(frozen=True)
class Derivative:
    """A scaled copy: its file name, JPEG bytes and size in pixels."""

    name: str
    data: bytes
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``, as `sphinx_palette.markup` takes it."""
        return self.width, self.height


def cached_image(cache: PaletteCache, url: str) -> bytes | None:
    """The bytes of a remote image as the build fetched them, from the cache; ``None`` when not there."""
    try:
        record = cache.get_remote(url)
        return cache.get_blob(record.blob) if record is not None else None
    except CacheError:
        return None


def derive(cache: PaletteCache | None, data: bytes, side: int) -> Derivative | None:
    """``data`` scaled to fit ``side`` × ``side`` pixels: from the cache if made before, else made and stored.

    ``None`` when the bytes cannot be decoded. A cache that cannot be read or written costs time, never the
    copy.
    """
    name = thumbnail_name(data, side)
    stored = _stored(cache, name)
    if stored is not None:
        return stored
    made = make_thumbnail(data, side)
    if made is None:
        return None
    jpeg, width, height = made
    if cache is not None:
        with contextlib.suppress(CacheError):
            cache.put_derivative(name, jpeg)
    return Derivative(name, jpeg, width, height)


def _stored(cache: PaletteCache | None, name: str) -> Derivative | None:
    if cache is None:
        return None
    try:
        data = cache.get_derivative(name)
    except CacheError:
        return None
    if not data:
        return None
    try:
        width, height = imagesize.get(io.BytesIO(data))
    except (OSError, ValueError):
        return None
    # A damaged entry reads as no size: it is made again (and replaced).
    if width <= 0 or height <= 0:
        return None
    return Derivative(name, data, width, height)
