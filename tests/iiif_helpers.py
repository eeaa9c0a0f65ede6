"""IIIF Image API 2.1 / 3.0 documents for the tests of sphinx_palette.remote.iiif (test_iiif*.py)."""

from __future__ import annotations

from sphinx_palette.engine.region import parse_region
from sphinx_palette.remote.iiif import resolve

BASE = "https://iiif.example.org/iiif"
SIZES = [
    {"width": 250, "height": 188},
    {"width": 500, "height": 375},
    {"width": 1000, "height": 750},
    {"width": 2000, "height": 1500},
]


def info2(level: int, *, sizes=None, width=4000, height=3000, extra=None, name="img") -> dict:
    """An Image API 2.1 info.json."""
    profile: list = [f"http://iiif.io/api/image/2/level{level}.json"]
    if extra:
        profile.append(extra)
    info = {
        "@context": "http://iiif.io/api/image/2/context.json",
        "@id": f"{BASE}/2/{name}",
        "protocol": "http://iiif.io/api/image",
        "width": width,
        "height": height,
        "profile": profile,
    }
    if sizes:
        info["sizes"] = sizes
    return info


def info3(level: int, *, sizes=None, width=4000, height=3000, name="img", **extra) -> dict:
    """An Image API 3.0 info.json."""
    info = {
        "@context": "http://iiif.io/api/image/3/context.json",
        "id": f"{BASE}/3/{name}",
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": f"level{level}",
        "width": width,
        "height": height,
        **extra,
    }
    if sizes:
        info["sizes"] = sizes
    return info


def no_fetch(url: str) -> object:
    """A ``get_json`` for documents that must need no further one."""
    raise AssertionError(f"unexpected fetch of {url}")


def image_url(info: dict, region: str | None = None, target: int = 512) -> tuple[str, bool]:
    """The derivative URL `resolve` asks of the image service ``info``, and whether the server crops."""
    request = resolve(
        "https://x/info.json",
        info,
        region=parse_region(region) if region else None,
        target=target,
        get_json=no_fetch,
    )
    return request.image_url, request.region_done
