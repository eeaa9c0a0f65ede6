"""Helpers shared by the tests of the palette service on a local server (test_pipeline*.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_palette.engine.colour import hex_to_rgb
from sphinx_palette.remote.cache import PaletteCache
from sphinx_palette.remote.fetch import FetchSettings
from sphinx_palette.remote.service import PaletteRequest, PaletteService
from tests.httpserver import Response, json_response
from tests.remote_helpers import info_json, png

RED, GREEN, BLUE = (220, 20, 30), (20, 160, 40), (20, 40, 200)
SETTINGS = FetchSettings(timeout=5.0, max_bytes=1_000_000, user_agent="test-agent")
SIZES = [(250, 188), (500, 375), (1000, 750), (2000, 1500)]


def service_for(cache_dir: Path, **kwargs) -> PaletteService:
    """A service with the tests' fetch settings and a one-hour TTL, unless told otherwise."""
    kwargs.setdefault("remote_ttl", 3600.0)
    settings = kwargs.pop("settings", SETTINGS)
    return PaletteService(PaletteCache(cache_dir), settings, **kwargs)


def request(source: str, **kwargs) -> PaletteRequest:
    """A request for three colours, unless told otherwise."""
    return PaletteRequest(source=source, colors=kwargs.pop("colors", 3), **kwargs)


def dominant(result) -> tuple[int, int, int]:
    """The largest swatch's colour."""
    assert result.palette is not None, result.error
    return hex_to_rgb(max(result.palette, key=lambda s: s.share).hex)


def near(rgb, expected, tolerance: int = 6) -> bool:
    """True when each channel is within ``tolerance``."""
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, expected, strict=True))


def paths(server) -> list[str]:
    """The paths the server was asked for, in order."""
    return [r.path for r in server.requests]


def image(colour, **headers) -> Response:
    """A one-colour PNG response."""
    return Response(headers={"Content-Type": "image/png", **headers}, body=png([colour]))


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    """A palette cache directory of the test's own."""
    return tmp_path / "cache"


COLOURS = {1: RED, 2: GREEN, 3: BLUE}


def serve_canvases(server, version: int) -> dict[int, str]:
    """Image services c1..c3 (400 × 300, level 1): the derivative of each is its full size."""
    services = {}
    keyword = "full" if version == 2 else "max"
    for n, colour in COLOURS.items():
        base = server.url(f"/iiif/{version}/c{n}")
        server.route(
            f"/iiif/{version}/c{n}/info.json",
            json_response(info_json(base, version, 1, width=400, height=300)),
        )
        server.route(f"/iiif/{version}/c{n}/full/{keyword}/0/default.jpg", image(colour))
        services[n] = base
    return services


def manifest2(server, services: dict[int, str]) -> dict:
    """A Presentation 2.1 manifest painting each of ``services`` on its own canvas."""
    canvases = []
    for n, base in services.items():
        canvas_id = server.url(f"/p2/canvas/{n}")
        canvases.append(
            {
                "@id": canvas_id,
                "@type": "sc:Canvas",
                "label": f"p. {n}",
                "width": 400,
                "height": 300,
                "images": [
                    {
                        "@type": "oa:Annotation",
                        "motivation": "sc:painting",
                        "on": canvas_id,
                        "resource": {
                            "@id": base + "/full/full/0/default.jpg",
                            "@type": "dctypes:Image",
                            "format": "image/jpeg",
                            "service": {
                                "@context": "http://iiif.io/api/image/2/context.json",
                                "@id": base,
                                "profile": "http://iiif.io/api/image/2/level1.json",
                            },
                        },
                    }
                ],
            }
        )
    return {
        "@context": "http://iiif.io/api/presentation/2/context.json",
        "@id": server.url("/p2/manifest.json"),
        "@type": "sc:Manifest",
        "label": "Book of Hours",
        "attribution": "Courtesy of the <b>Example</b> Library",
        "sequences": [{"@type": "sc:Sequence", "canvases": canvases}],
    }


def body3(base: str, service_as: str) -> dict:
    """A Presentation 3.0 image body with its service as an object or in a list."""
    service = {"id": base, "type": "ImageService3", "profile": "level1"}
    return {
        "id": base + "/full/max/0/default.jpg",
        "type": "Image",
        "format": "image/jpeg",
        "service": service if service_as == "object" else [service],
    }


def manifest3(server, bodies: dict[int, dict]) -> dict:
    """A Presentation 3.0 manifest painting each of ``bodies`` on its own canvas."""
    items = []
    for n, body in bodies.items():
        canvas_id = server.url(f"/p3/canvas/{n}")
        page = {
            "id": canvas_id + "/page",
            "type": "AnnotationPage",
            "items": [
                {
                    "id": canvas_id + "/anno",
                    "type": "Annotation",
                    "motivation": "painting",
                    "body": body,
                    "target": canvas_id,
                }
            ],
        }
        items.append({"id": canvas_id, "type": "Canvas", "width": 400, "height": 300, "items": [page]})
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": server.url("/p3/manifest.json"),
        "type": "Manifest",
        "label": {"en": ["Book of Hours"], "fr": ["Livre d'heures"]},
        "requiredStatement": {
            "label": {"en": ["Attribution"]},
            "value": {"en": ["Courtesy of the Example Library"]},
        },
        "items": items,
    }
