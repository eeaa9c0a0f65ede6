"""IIIF Image API services (2.x, 3.0): what a service's ``info.json`` promises, and the derivative to ask for.

The derivative requested is just large enough for palette extraction (long side >= ``target`` when the image
allows), never upscaled, and always one the service's compliance level promises to serve, so level 0 static
servers work as well as level 2 image servers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..engine.region import Region
from .iiif_documents import context_of, id_of, strings_of, type_of

__all__ = ["IIIFError", "choose_size", "derivative", "is_image_service"]


class IIIFError(Exception):
    """A IIIF document cannot give an image; the message is meant for a docs author."""


def is_image_service(doc: dict[str, Any]) -> bool:
    """True when ``doc`` is a IIIF image service description (an ``info.json``, Image API 1 to 3)."""
    kind = type_of(doc)
    if kind in ("ImageService1", "ImageService2", "ImageService3"):
        return True
    if doc.get("protocol") == "http://iiif.io/api/image":
        return True
    if "width" not in doc or id_of(doc) is None:
        return False
    profile = " ".join(strings_of(doc.get("profile")))
    return "iiif.io/api/image" in context_of(doc) or "iiif.io/api/image" in profile


# Features each compliance level promises (Image API 2.1 and 3.0 compliance documents); only the
# ones this module uses are listed.
_LEVEL_FEATURES = {
    2: {
        0: frozenset(),
        1: frozenset({"regionByPx", "sizeByW", "sizeByH", "sizeByPct"}),
        2: frozenset({"regionByPx", "regionByPct", "sizeByW", "sizeByH", "sizeByPct", "sizeByConfinedWh"}),
    },
    3: {
        0: frozenset(),
        1: frozenset({"regionByPx", "regionSquare", "sizeByW", "sizeByH", "sizeByWh"}),
        2: frozenset(
            {
                "regionByPx",
                "regionByPct",
                "regionSquare",
                "sizeByW",
                "sizeByH",
                "sizeByWh",
                "sizeByPct",
                "sizeByConfinedWh",
            }
        ),
    },
}
_LEVEL = re.compile(r"level([0-2])")


@dataclass(frozen=True)
class _Service:
    id: str
    version: int
    level: int
    features: frozenset[str]
    width: int
    height: int
    sizes: tuple[tuple[int, int], ...]
    max_width: int | None
    max_height: int | None
    max_area: int | None
    format: str


def _positive(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return int(value)
    return None


def full_size(info: dict[str, Any]) -> tuple[int, int] | None:
    """``(width, height)`` of the full image an ``info.json`` describes, or ``None`` if it does not say."""
    width, height = _positive(info.get("width")), _positive(info.get("height"))
    return None if width is None or height is None else (width, height)


def _parse_service(info: dict[str, Any]) -> _Service:
    service_id = id_of(info)
    if service_id is None:
        raise IIIFError("the image service's info.json has no id")
    width, height = _positive(info.get("width")), _positive(info.get("height"))
    if width is None or height is None:
        raise IIIFError(f"the image service {service_id} gives no width and height")

    version = 3 if type_of(info) == "ImageService3" or "image/3" in context_of(info) else 2
    profiles = info.get("profile")
    profiles = profiles if isinstance(profiles, list) else [profiles]
    level = 0
    features: set[str] = set()
    formats: list[str] = []
    limits: dict[str, Any] = dict(info)
    for entry in profiles:
        if isinstance(entry, str):
            if match := _LEVEL.search(entry):
                level = max(level, int(match.group(1)))
        elif isinstance(entry, dict):
            # Image API 2.x puts extra features, formats and size limits in the profile object.
            features.update(strings_of(entry.get("supports")))
            formats.extend(strings_of(entry.get("formats")))
            for key in ("maxWidth", "maxHeight", "maxArea"):
                if limits.get(key) is None and entry.get(key) is not None:
                    limits[key] = entry[key]
    features.update(strings_of(info.get("extraFeatures")))
    features.update(_LEVEL_FEATURES[version][level])

    sizes = []
    for entry in info.get("sizes") or []:
        if isinstance(entry, dict):
            w, h = _positive(entry.get("width")), _positive(entry.get("height"))
            if w and h and w <= width and h <= height:
                sizes.append((w, h))

    max_width = _positive(limits.get("maxWidth"))
    max_height = _positive(limits.get("maxHeight")) or max_width

    # jpg is required at every level; a 2.x profile listing formats without it is taken at its
    # word only above level 0.
    image_format = "jpg"
    if version == 2 and level > 0 and formats and "jpg" not in formats:
        image_format = "png" if "png" in formats else formats[0]

    return _Service(
        id=service_id.rstrip("/"),
        version=version,
        level=level,
        features=frozenset(features),
        width=width,
        height=height,
        sizes=tuple(sorted(set(sizes), key=lambda s: (max(s), s))),
        max_width=max_width,
        max_height=max_height,
        max_area=_positive(limits.get("maxArea")),
        format=image_format,
    )


def _wanted(service: _Service, region_w: int, region_h: int, target: int) -> tuple[int, int]:
    """The derivative size: long side ``target``, never above the region's size or the limits."""
    long_side = max(region_w, region_h)
    if long_side <= target:
        w, h = region_w, region_h
    elif region_w >= region_h:
        w, h = target, max(1, round(region_h * target / region_w))
    else:
        # Requests give the width: round it up so the height is not a pixel short of target.
        w, h = min(region_w, math.ceil(region_w * target / region_h)), target
    factor = 1.0
    if service.max_width:
        factor = min(factor, service.max_width / w)
    if service.max_height:
        factor = min(factor, service.max_height / h)
    if service.max_area:
        factor = min(factor, math.sqrt(service.max_area / (w * h)))
    if factor < 1.0:
        w, h = max(1, math.floor(w * factor)), max(1, math.floor(h * factor))
    return w, h


def _size_for(service: _Service, region_w: int, region_h: int, target: int) -> str:
    full_region = (region_w, region_h) == (service.width, service.height)
    if full_region and service.sizes:
        needed = min(target, max(region_w, region_h))
        large_enough = [s for s in service.sizes if max(s) >= needed]
        if large_enough:
            w, h = large_enough[0]
            return f"{w},{h}"
        if "sizeByW" not in service.features:
            w, h = service.sizes[-1]
            return f"{w},{h}"
    w, h = _wanted(service, region_w, region_h, target)
    if (w, h) == (region_w, region_h):
        return "max" if service.version == 3 else "full"
    if "sizeByW" in service.features:
        return f"{w},"
    if "sizeByConfinedWh" in service.features:
        return f"!{w},{h}"
    return "max" if service.version == 3 else "full"


def choose_size(info: dict[str, Any], region_box: tuple[int, int], target: int) -> str:
    """Choose the IIIF size parameter for a region of ``region_box`` (w, h) full-resolution pixels.

    ``info`` is a parsed ``info.json`` (Image API 2.x or 3.0).  For the full region an entry of
    ``sizes`` is preferred (the smallest whose long side reaches ``target``); otherwise ``w,``
    or ``!w,h`` when the compliance level or profile allows it, else ``max`` (3.0) / ``full``
    (2.x).  The result is never larger than the region (no upscaling) nor than ``maxWidth``,
    ``maxHeight`` and ``maxArea`` allow.

    >>> info = {"@id": "https://x.org/iiif/a", "width": 4000, "height": 3000,
    ...         "profile": ["http://iiif.io/api/image/2/level1.json"]}
    >>> choose_size(info, (4000, 3000), 512)
    '512,'
    """
    service = _parse_service(info)
    return _size_for(service, int(region_box[0]), int(region_box[1]), target)


def derivative(info: dict[str, Any], region: Region | None, target: int) -> tuple[str, bool, Region | None]:
    """The URL of the derivative of ``region`` to fetch, whether the server applies the region, and what
    is left for the engine to crop (a region restated in fractions of the image, or None)."""
    service = _parse_service(info)
    quality_format = f"default.{service.format}"
    if region is None or region.is_full:
        size = _size_for(service, service.width, service.height, target)
        return f"{service.id}/full/{size}/0/{quality_format}", True, None
    try:
        x, y, w, h = region.box(service.width, service.height)
    except ValueError as exc:
        raise IIIFError(str(exc)) from None

    server_region: str | None = None
    if region.kind == "square" and "regionSquare" in service.features:
        server_region = "square"
    elif region.kind == "percent" and "regionByPct" in service.features:
        server_region = str(region)
    elif "regionByPx" in service.features:
        server_region = f"{x},{y},{w},{h}"
    if server_region is not None:
        size = _size_for(service, w, h, target)
        return f"{service.id}/{server_region}/{size}/0/{quality_format}", True, None

    # The engine crops a scaled-down full image: pixel offsets would no longer hold, fractions do.
    crop = region
    if region.kind == "pixels":
        crop = Region(
            "percent",
            (
                x * 100 / service.width,
                y * 100 / service.height,
                w * 100 / service.width,
                h * 100 / service.height,
            ),
        )
    size = _size_for(service, service.width, service.height, target)
    return f"{service.id}/full/{size}/0/{quality_format}", False, crop
