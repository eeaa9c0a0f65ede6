"""IIIF resolution: image services (Image API 2.x, 3.0) and manifests (Presentation 2.1, 3.0).

Pure logic: documents come in parsed, and the one further document a manifest may need (its image
service's ``info.json``) is fetched through the ``get_json`` callable the caller supplies.

Which derivative of an image service to ask for is decided in `remote.iiif_image_api`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..engine.region import Region
from .iiif_documents import (
    canvases_of,
    credit_of,
    id_of,
    image_service_of,
    is_manifest_document,
    painted_resource,
    text_of,
    type_of,
)
from .iiif_image_api import IIIFError, choose_size, derivative, full_size, is_image_service

__all__ = [
    "IIIFError",
    "ImageRequest",
    "choose_size",
    "is_image_request",
    "looks_like_json",
    "resolve",
]


@dataclass(frozen=True)
class ImageRequest:
    """A concrete image to fetch, and what the engine still has to do with it.

    ``region_done`` is True when the server applies the region (or there is none), so the engine
    must not crop again.  When it is False, ``crop`` is the region to cut from the fetched image,
    expressed so that it holds on a scaled-down derivative (pixel regions become percentages);
    ``crop`` is None when there is nothing to cut.
    """

    image_url: str
    region_done: bool
    manifest_url: str | None = None
    label: str | None = None
    credit: str | None = None
    crop: Region | None = field(default=None, compare=True)
    #: ``(width, height)`` of the full image of the image service, which a region is measured against.
    full_size: tuple[int, int] | None = None


# --- recognising URLs and documents -----------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?"
_IMAGE_REQUEST = re.compile(
    rf"/(?:full|square|\d+,\d+,\d+,\d+|pct:{_NUM},{_NUM},{_NUM},{_NUM})"
    rf"/\^?(?:max|full|\d+,|,\d+|!?\d+,\d+|pct:{_NUM})"
    rf"/!?{_NUM}"
    r"/(?:default|color|gray|bitonal|native)\.(?:jpg|jpeg|tif|png|gif|jp2|pdf|webp)$"
)


def is_image_request(url: str) -> bool:
    """True when ``url`` is already a full IIIF image request.

    That is ``{base}/{region}/{size}/{rotation}/{quality}.{format}``, whose bytes are the image.
    """
    path = unquote(urlsplit(url).path)
    match = _IMAGE_REQUEST.search(path)
    return match is not None and match.start() > 0


def looks_like_json(content: bytes, content_type: str | None) -> bool:
    """True when a response is JSON (a IIIF document) rather than image bytes."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("application/json", "application/ld+json") or media.endswith("+json"):
        return True
    if media.startswith(("image/", "video/", "audio/")):
        return False
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


# --- manifests --------------------------------------------------------------------------------


def _from_manifest(
    url: str,
    manifest: dict[str, Any],
    canvas: int,
    region: Region | None,
    target: int,
    get_json: Callable[[str], object],
) -> ImageRequest:
    canvases = canvases_of(manifest)
    count = len(canvases)
    if canvas < 1:
        raise IIIFError(f":canvas: counts from 1; {canvas} does not exist")
    if canvas > count:
        noun = "canvas" if count == 1 else "canvases"
        raise IIIFError(f"manifest has {count} {noun}; :canvas: {canvas} does not exist")
    chosen = canvases[canvas - 1]
    resource = painted_resource(chosen) if isinstance(chosen, dict) else None
    if resource is None:
        raise IIIFError(f"canvas {canvas} of the manifest paints no image")
    label = text_of(manifest.get("label"))
    credit = text_of(credit_of(manifest))

    service = image_service_of(resource)
    if service is not None:
        service_id = id_of(service).rstrip("/")  # type: ignore[union-attr]
        info = get_json(service_id + "/info.json")
        if not isinstance(info, dict) or not is_image_service(info):
            raise IIIFError(f"{service_id}/info.json is not a IIIF image service description")
        image_url, region_done, crop = derivative(info, region, target)
        size = full_size(info)
    else:
        painted = id_of(resource)
        if painted is None:
            raise IIIFError(f"canvas {canvas} of the manifest paints an image without a URL")
        image_url = painted
        has_region = region is not None and not region.is_full
        region_done, crop = not has_region, region if has_region else None
        size = None  # the engine measures the region on the fetched image itself
    return ImageRequest(
        image_url=image_url,
        region_done=region_done,
        manifest_url=url,
        label=label,
        credit=credit,
        crop=crop,
        full_size=size,
    )


# --- entry point ------------------------------------------------------------------------------


def resolve(
    url: str,
    document: object,
    *,
    canvas: int = 1,
    region: Region | None = None,
    target: int = 512,
    get_json: Callable[[str], object],
) -> ImageRequest:
    """Turn a IIIF document fetched from ``url`` into a concrete image request.

    ``document`` is an image service description (``info.json``, Image API 2.x or 3.0) or a
    manifest (Presentation 2.1 or 3.0); for a manifest, ``canvas`` (1-based) selects the image
    and ``get_json(url)`` fetches its image service's ``info.json``.  ``region`` is applied by the
    server when its compliance level allows (``region_done=True``), else left to the engine.
    ``target`` is the wanted long side of the derivative in pixels.

    Raises :class:`IIIFError` when the document cannot give an image; errors of ``get_json``
    propagate unchanged.
    """
    if not isinstance(document, dict):
        raise IIIFError(f"{url} is not a IIIF image service or manifest")
    if is_image_service(document):
        image_url, region_done, crop = derivative(document, region, target)
        return ImageRequest(
            image_url=image_url, region_done=region_done, crop=crop, full_size=full_size(document)
        )
    if is_manifest_document(document):
        return _from_manifest(url, document, canvas, region, target, get_json)
    if type_of(document) in ("sc:Collection", "Collection"):
        raise IIIFError(f"{url} is a IIIF collection; give the URL of one of its manifests")
    raise IIIFError(f"{url} is not a IIIF image service or manifest")
