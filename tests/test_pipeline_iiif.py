"""PaletteService on a local server: IIIF image services and manifests, end to end."""

from __future__ import annotations

import pytest

from tests import pipeline_helpers
from tests.httpserver import json_response, redirect
from tests.pipeline_helpers import (
    BLUE,
    COLOURS,
    GREEN,
    RED,
    SIZES,
    body3,
    dominant,
    image,
    manifest2,
    manifest3,
    near,
    paths,
    request,
    serve_canvases,
    service_for,
)
from tests.remote_helpers import info_json

cache_dir = pipeline_helpers.cache_dir


# --- IIIF image services ----------------------------------------------------------------------

DERIVATIVES = [
    # version, level, with sizes, the size asked for (4000 × 3000 image, 512 px wanted)
    (2, 0, False, "full"),
    (2, 0, True, "1000,750"),
    (2, 1, False, "512,"),
    (2, 1, True, "1000,750"),
    (2, 2, False, "512,"),
    (2, 2, True, "1000,750"),
    (3, 0, False, "max"),
    (3, 0, True, "1000,750"),
    (3, 1, False, "512,"),
    (3, 1, True, "1000,750"),
    (3, 2, False, "512,"),
    (3, 2, True, "1000,750"),
]


@pytest.mark.parametrize(("version", "level", "with_sizes", "size"), DERIVATIVES)
def test_image_service_info_json(http_server, cache_dir, version, level, with_sizes, size):
    base = http_server.url(f"/iiif/{version}/img")
    info = info_json(base, version, level, sizes=SIZES if with_sizes else None)
    http_server.route(f"/iiif/{version}/img/info.json", json_response(info))
    derivative = f"/iiif/{version}/img/full/{size}/0/default.jpg"
    http_server.route(derivative, image(RED))
    result = service_for(cache_dir).from_url(base + "/info.json", request(base + "/info.json"))
    assert result.error is None
    assert near(dominant(result), RED)
    # Exactly the description and the one derivative the level allows: nothing larger, no probing.
    assert paths(http_server) == [f"/iiif/{version}/img/info.json", derivative]
    assert result.image_url == http_server.url(derivative)


@pytest.mark.parametrize("version", [2, 3])
def test_small_image_is_not_upscaled(http_server, cache_dir, version):
    base = http_server.url("/iiif/small")
    http_server.route(
        "/iiif/small/info.json", json_response(info_json(base, version, 2, width=300, height=200))
    )
    derivative = f"/iiif/small/full/{'full' if version == 2 else 'max'}/0/default.jpg"
    http_server.route(derivative, image(GREEN))
    result = service_for(cache_dir).from_url(base + "/info.json", request(base + "/info.json"))
    assert near(dominant(result), GREEN)
    assert paths(http_server) == ["/iiif/small/info.json", derivative]


def test_service_base_url_redirects_to_info_json(http_server, cache_dir):
    base = http_server.url("/iiif/3/img")
    # Image API 3.0 §2.2: the base URI "should" redirect (303) to the image information document.
    http_server.route("/iiif/3/img", redirect(base + "/info.json", status=303))
    http_server.route("/iiif/3/img/info.json", json_response(info_json(base, 3, 1)))
    http_server.route("/iiif/3/img/full/512,/0/default.jpg", image(BLUE))
    result = service_for(cache_dir).from_url(base, request(base))
    assert near(dominant(result), BLUE)
    assert paths(http_server) == [
        "/iiif/3/img",
        "/iiif/3/img/info.json",
        "/iiif/3/img/full/512,/0/default.jpg",
    ]


def test_full_image_request_is_used_as_written(http_server, cache_dir):
    url = http_server.url("/iiif/3/img/full/max/0/default.jpg")
    # Even served with a JSON-ish content type, an image request is an image: no info.json, no rewriting.
    http_server.route("/iiif/3/img/full/max/0/default.jpg", image(RED))
    result = service_for(cache_dir).from_url(url, request(url))
    assert near(dominant(result), RED)
    assert paths(http_server) == ["/iiif/3/img/full/max/0/default.jpg"]
    assert result.image_url == url


# --- IIIF manifests ---------------------------------------------------------------------------


@pytest.mark.parametrize("canvas", [1, 3])
def test_presentation_2_manifest(http_server, cache_dir, canvas):
    services = serve_canvases(http_server, 2)
    http_server.route("/p2/manifest.json", json_response(manifest2(http_server, services)))
    url = http_server.url("/p2/manifest.json")
    result = service_for(cache_dir).from_url(url, request(url, canvas=canvas))
    assert near(dominant(result), COLOURS[canvas])
    assert result.manifest_url == url
    assert result.label == "Book of Hours"
    assert result.credit == "Courtesy of the Example Library"
    assert result.image_url == http_server.url(f"/iiif/2/c{canvas}/full/full/0/default.jpg")
    assert paths(http_server) == [
        "/p2/manifest.json",
        f"/iiif/2/c{canvas}/info.json",
        f"/iiif/2/c{canvas}/full/full/0/default.jpg",
    ]
    # The service's info.json is asked for as JSON; the image is not.
    accepts = [r.headers.get("Accept", "") for r in http_server.requests]
    assert "application/ld+json" in accepts[1] and "application/ld+json" not in accepts[2]


@pytest.mark.parametrize("service_as", ["object", "list"])
@pytest.mark.parametrize("canvas", [1, 3])
def test_presentation_3_manifest(http_server, cache_dir, canvas, service_as):
    services = serve_canvases(http_server, 3)
    bodies = {n: body3(base, service_as) for n, base in services.items()}
    http_server.route("/p3/manifest.json", json_response(manifest3(http_server, bodies)))
    url = http_server.url("/p3/manifest.json")
    result = service_for(cache_dir).from_url(url, request(url, canvas=canvas))
    assert near(dominant(result), COLOURS[canvas])
    assert (result.manifest_url, result.label) == (url, "Book of Hours")
    assert result.credit == "Courtesy of the Example Library"
    assert paths(http_server)[1:] == [
        f"/iiif/3/c{canvas}/info.json",
        f"/iiif/3/c{canvas}/full/max/0/default.jpg",
    ]


def test_presentation_3_choice_body_takes_the_first_choice(http_server, cache_dir):
    services = serve_canvases(http_server, 3)
    choice = {"type": "Choice", "items": [body3(services[3], "list"), body3(services[1], "list")]}
    http_server.route("/p3/manifest.json", json_response(manifest3(http_server, {1: choice})))
    url = http_server.url("/p3/manifest.json")
    result = service_for(cache_dir).from_url(url, request(url))
    assert near(dominant(result), BLUE)


def test_presentation_3_body_without_service_is_fetched_directly(http_server, cache_dir):
    http_server.route("/plain/green.png", image(GREEN))
    body = {"id": http_server.url("/plain/green.png"), "type": "Image", "format": "image/png"}
    http_server.route("/p3/manifest.json", json_response(manifest3(http_server, {1: body})))
    url = http_server.url("/p3/manifest.json")
    result = service_for(cache_dir).from_url(url, request(url))
    assert near(dominant(result), GREEN)
    assert paths(http_server) == ["/p3/manifest.json", "/plain/green.png"]
    assert result.image_url == http_server.url("/plain/green.png")


@pytest.mark.parametrize("version", [2, 3])
def test_missing_canvas_is_a_clear_iiif_error(http_server, cache_dir, version):
    services = serve_canvases(http_server, version)
    if version == 2:
        manifest = manifest2(http_server, services)
    else:
        manifest = manifest3(http_server, {n: body3(b, "list") for n, b in services.items()})
    http_server.route("/manifest.json", json_response(manifest))
    url = http_server.url("/manifest.json")
    result = service_for(cache_dir).from_url(url, request(url, canvas=5))
    assert result.palette is None and result.origin == "failed"
    assert result.subtype == "iiif"
    assert url in result.error
    assert "manifest has 3 canvases; :canvas: 5 does not exist" in result.error
    assert paths(http_server) == ["/manifest.json"]
