"""PaletteService on a local server: IIIF end to end, revalidation, offline, polite and bounded fetching."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sphinx_palette.engine.colour import hex_to_rgb
from sphinx_palette.remote.cache import PaletteCache
from sphinx_palette.remote.fetch import FetchSettings
from sphinx_palette.remote.service import PaletteRequest, PaletteService
from tests.httpserver import Response, json_response, redirect, zeros
from tests.remote_helpers import Clock, Origin, info_json, png

RED, GREEN, BLUE = (220, 20, 30), (20, 160, 40), (20, 40, 200)
SETTINGS = FetchSettings(timeout=5.0, max_bytes=1_000_000, user_agent="test-agent")
SIZES = [(250, 188), (500, 375), (1000, 750), (2000, 1500)]


def service_for(cache_dir: Path, **kwargs) -> PaletteService:
    kwargs.setdefault("remote_ttl", 3600.0)
    settings = kwargs.pop("settings", SETTINGS)
    return PaletteService(PaletteCache(cache_dir), settings, **kwargs)


def request(source: str, **kwargs) -> PaletteRequest:
    return PaletteRequest(source=source, colors=kwargs.pop("colors", 3), **kwargs)


def dominant(result) -> tuple[int, int, int]:
    assert result.palette is not None, result.error
    return hex_to_rgb(max(result.palette, key=lambda s: s.share).hex)


def near(rgb, expected, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, expected, strict=True))


def paths(server) -> list[str]:
    return [r.path for r in server.requests]


def image(colour, **headers) -> Response:
    return Response(headers={"Content-Type": "image/png", **headers}, body=png([colour]))


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


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
    service = {"id": base, "type": "ImageService3", "profile": "level1"}
    return {
        "id": base + "/full/max/0/default.jpg",
        "type": "Image",
        "format": "image/jpeg",
        "service": service if service_as == "object" else [service],
    }


def manifest3(server, bodies: dict[int, dict]) -> dict:
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


# --- revalidation -----------------------------------------------------------------------------


def test_within_ttl_no_request_at_all(http_server, cache_dir):
    http_server.route("/a.png", Origin(RED))
    url = http_server.url("/a.png")
    clock = Clock()
    first = service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert first.origin == "computed" and first.checked_at == clock.now
    assert len(http_server.requests) == 1
    clock.advance(3599)
    # A new service (the next build) sharing the cache directory.
    second = service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert second.origin == "cache"
    assert second.palette == first.palette
    assert second.checked_at == first.checked_at
    assert len(http_server.requests) == 1


def test_after_ttl_conditional_request_and_304_reuses_the_palette(http_server, cache_dir):
    http_server.route("/a.png", Origin(RED))
    url = http_server.url("/a.png")
    clock = Clock()
    first = service_for(cache_dir, clock=clock).from_url(url, request(url))
    clock.advance(3601)
    second = service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert second.origin == "cache" and second.palette == first.palette
    assert second.notices == [] and second.error is None
    assert second.checked_at == clock.now
    revalidation = http_server.requests[1]
    assert revalidation.headers.get("If-None-Match") == '"v1"'
    assert revalidation.headers.get("If-Modified-Since") == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert len(http_server.requests) == 2
    # The 304 renewed the check: within the TTL again, no request.
    clock.advance(60)
    service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert len(http_server.requests) == 2


def test_after_ttl_changed_image_gives_a_new_palette(http_server, cache_dir):
    origin = Origin(RED)
    http_server.route("/a.png", origin)
    url = http_server.url("/a.png")
    clock = Clock()
    first = service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert near(dominant(first), RED)
    origin.set(BLUE, '"v2"')
    clock.advance(3601)
    second = service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert second.origin == "computed"
    assert near(dominant(second), BLUE)
    assert http_server.requests[1].headers.get("If-None-Match") == '"v1"'
    # The new validators are kept for the next check.
    clock.advance(3601)
    third = service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert third.origin == "cache" and third.palette == second.palette
    assert http_server.requests[2].headers.get("If-None-Match") == '"v2"'


def test_iiif_manifest_revalidates_each_document(http_server, cache_dir):
    services = serve_canvases(http_server, 3)
    http_server.route(
        "/p3/manifest.json",
        json_response(manifest3(http_server, {1: body3(services[1], "list")}), ETag='"m1"'),
    )
    url = http_server.url("/p3/manifest.json")
    clock = Clock()
    service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert len(http_server.requests) == 3
    service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert len(http_server.requests) == 3
    clock.advance(7200)
    again = service_for(cache_dir, clock=clock).from_url(url, request(url))
    assert near(dominant(again), RED)
    assert http_server.requests[3].headers.get("If-None-Match") == '"m1"'


# --- offline ----------------------------------------------------------------------------------


def test_offline_with_warm_cache_and_no_server(http_server, cache_dir):
    services = serve_canvases(http_server, 3)
    http_server.route(
        "/p3/manifest.json", json_response(manifest3(http_server, {1: body3(services[1], "list")}))
    )
    http_server.route("/a.png", Origin(GREEN))
    manifest, plain = http_server.url("/p3/manifest.json"), http_server.url("/a.png")
    online = service_for(cache_dir)
    warm = [online.from_url(u, request(u)) for u in (manifest, plain)]
    http_server.stop()
    clock = Clock(time.time() + 10 * 86400)  # long past the TTL: offline never checks
    offline = service_for(cache_dir, offline=True, clock=clock)
    for url, before in zip((manifest, plain), warm, strict=True):
        result = offline.from_url(url, request(url))
        assert result.error is None and result.notices == []
        assert result.origin == "cache" and result.palette == before.palette
        assert result.label == before.label and result.image_url == before.image_url


def test_offline_with_cold_cache(http_server, cache_dir):
    http_server.route("/a.png", Origin(GREEN))
    url = http_server.url("/a.png")
    result = service_for(cache_dir, offline=True).from_url(url, request(url))
    assert result.palette is None and result.subtype == "offline"
    assert "offline" in result.error and url in result.error
    assert http_server.requests == []


@pytest.mark.parametrize("failure", ["stopped", "404", "500"])
def test_failed_refresh_uses_the_cached_copy_with_a_stale_notice(http_server, cache_dir, failure):
    http_server.route("/a.png", Origin(RED))
    url = http_server.url("/a.png")
    clock = Clock()
    first = service_for(cache_dir, clock=clock).from_url(url, request(url))
    if failure == "stopped":
        http_server.stop()
    else:
        http_server.route("/a.png", Response(status=int(failure)))
    clock.advance(3 * 3600)
    settings = FetchSettings(timeout=5.0, max_tries=1)
    service = service_for(cache_dir, clock=clock, settings=settings)
    result = service.from_url(url, request(url))
    assert result.error is None
    assert result.palette == first.palette and result.origin == "cache"
    assert result.checked_at == first.checked_at
    ((subtype, message),) = result.notices
    assert subtype == "stale"
    assert url in message and "stale copy cached 3 hours ago" in message
    # The next use in the same build neither fetches nor repeats the notice.
    count = len(http_server.requests)
    again = service.from_url(url, request(url, colors=4))
    assert again.palette is not None and again.notices == []
    assert len(http_server.requests) == count


# --- polite and bounded -----------------------------------------------------------------------


def test_429_with_retry_after_then_200(http_server, cache_dir):
    http_server.route("/a.png", [Response(status=429, headers={"Retry-After": "1"}), image(RED)])
    url = http_server.url("/a.png")
    started = time.monotonic()
    result = service_for(cache_dir).from_url(url, request(url))
    assert near(dominant(result), RED)
    assert paths(http_server) == ["/a.png", "/a.png"]
    assert time.monotonic() - started >= 0.9  # waited as asked


def test_503_then_200(http_server, cache_dir):
    http_server.route("/a.png", [Response(status=503), image(RED)])
    url = http_server.url("/a.png")
    result = service_for(cache_dir).from_url(url, request(url))
    assert near(dominant(result), RED)
    assert paths(http_server) == ["/a.png", "/a.png"]


def test_server_that_never_answers(http_server, cache_dir):
    http_server.route("/a.png", Response(delay=120))
    url = http_server.url("/a.png")
    settings = FetchSettings(timeout=1.0)
    started = time.monotonic()
    result = service_for(cache_dir, settings=settings).from_url(url, request(url))
    assert time.monotonic() - started < 1.0 + 5.0
    assert result.subtype == "fetch" and "timed out" in result.error


def test_redirect_loop(http_server, cache_dir):
    http_server.route("/a.png", redirect(http_server.url("/b.png")))
    http_server.route("/b.png", redirect(http_server.url("/a.png")))
    url = http_server.url("/a.png")
    result = service_for(cache_dir).from_url(url, request(url))
    assert result.subtype == "fetch" and "redirect loop" in result.error
    assert len(http_server.requests) == 2


def test_redirect_to_file_url(http_server, cache_dir):
    http_server.route("/a.png", redirect("file:///etc/passwd"))
    url = http_server.url("/a.png")
    result = service_for(cache_dir).from_url(url, request(url))
    assert result.subtype == "fetch"
    assert "unsupported URL scheme file:" in result.error
    assert not list(cache_dir.rglob("blobs/*"))


@pytest.mark.parametrize("declared", [False, True])
def test_huge_streamed_response_is_cut_at_max_bytes(http_server, cache_dir, declared):
    size = 2 * 1024**3
    headers = {"Content-Type": "image/png", **({"Content-Length": str(size)} if declared else {})}
    http_server.route("/huge.png", Response(headers=headers, stream=zeros(size)))
    url = http_server.url("/huge.png")
    settings = FetchSettings(timeout=30.0, max_bytes=1_000_000)
    started = time.monotonic()
    result = service_for(cache_dir, settings=settings).from_url(url, request(url))
    assert time.monotonic() - started < 20
    assert result.subtype == "fetch" and "response too large" in result.error
    assert "1,000,000" in result.error


def test_file_scheme_source_is_refused(cache_dir):
    result = service_for(cache_dir).from_url("file:///etc/passwd", request("file:///etc/passwd"))
    assert result.palette is None and result.subtype == "source"


SECRET = "s3cr3t-pw"


def credentialed(server, path: str) -> str:
    return server.url(path).replace("http://", f"http://reader:{SECRET}@")


def test_credentials_never_shown(http_server, cache_dir):
    http_server.route("/ok.png", Origin(RED))
    http_server.route("/missing.png", Response(status=404))
    http_server.route("/doc.json", json_response({"not": "iiif"}))
    clock = Clock()
    service = service_for(cache_dir, clock=clock)

    ok = service.from_url(credentialed(http_server, "/ok.png"), request("x"))
    assert ok.palette is not None and ok.image_url == http_server.url("/ok.png")
    assert http_server.requests[0].headers.get("Authorization", "").startswith("Basic ")

    missing = service.from_url(credentialed(http_server, "/missing.png"), request("x"))
    assert "HTTP 404" in missing.error and http_server.url("/missing.png") in missing.error

    not_iiif = service.from_url(credentialed(http_server, "/doc.json"), request("x"))
    assert not_iiif.subtype == "iiif" and http_server.url("/doc.json") in not_iiif.error

    http_server.route("/ok.png", Response(status=500))
    clock.advance(7200)
    stale = service_for(cache_dir, clock=clock, settings=FetchSettings(max_tries=1)).from_url(
        credentialed(http_server, "/ok.png"), request("x")
    )
    assert stale.notices and stale.notices[0][0] == "stale"

    for result in (ok, missing, not_iiif, stale):
        shown = [result.error, result.image_url, result.manifest_url, *(m for _, m in result.notices)]
        assert not any(SECRET in (text or "") for text in shown), shown
    for path in cache_dir.rglob("*"):
        assert not path.is_file() or SECRET.encode() not in path.read_bytes()


def test_one_failure_per_url_not_per_use(http_server, cache_dir):
    http_server.route("/missing.png", Response(status=404))
    url = http_server.url("/missing.png")
    service = service_for(cache_dir)
    first = service.from_url(url, request(url))
    second = service.from_url(url, request(url))
    other_options = service.from_url(url, request(url, colors=5))
    assert first.subtype == "fetch" and first.palette is None
    assert (second.subtype, second.error) == (first.subtype, first.error)
    assert other_options.error == first.error and other_options.palette is None
    assert len(http_server.requests) == 1


def test_failure_of_a_shared_image_is_reported_once(http_server, cache_dir):
    # Two canvases painting the same missing image: the same failure, one request for the image.
    http_server.route("/gone.png", Response(status=404))
    body = {"id": http_server.url("/gone.png"), "type": "Image"}
    http_server.route("/p3/manifest.json", json_response(manifest3(http_server, {1: body, 2: body})))
    url = http_server.url("/p3/manifest.json")
    service = service_for(cache_dir)
    first = service.from_url(url, request(url, canvas=1))
    second = service.from_url(url, request(url, canvas=2))
    assert first.subtype == second.subtype == "fetch" and first.error == second.error
    assert paths(http_server).count("/gone.png") == 1


def test_region_errors_are_not_shared_between_requests(http_server, cache_dir):
    from sphinx_palette.engine.region import parse_region

    base = http_server.url("/iiif/3/img")
    http_server.route("/iiif/3/img/info.json", json_response(info_json(base, 3, 2)))
    http_server.route("/iiif/3/img/full/512,/0/default.jpg", image(RED))
    url = base + "/info.json"
    service = service_for(cache_dir)
    outside = service.from_url(url, request(url, region=parse_region("5000,0,10,10")))
    assert outside.subtype == "iiif" and "outside" in outside.error
    whole = service.from_url(url, request(url))
    assert whole.error is None and near(dominant(whole), RED)


# --- one deadline for a whole IIIF chain, per-host CA bundles ---------------------------------------


def test_the_timeout_bounds_the_whole_iiif_chain(http_server, cache_dir) -> None:
    """info.json and the image each just inside the timeout would take twice it; the chain gets it once."""
    base = http_server.url("/iiif/slow")
    info = info_json(base, 3, 2)
    http_server.route("/iiif/slow/info.json", Response(body=json_encoded(info), delay=1.2, headers=JSON))
    http_server.route("/iiif/slow/full/512,/0/default.jpg", Response(body=png([RED]), delay=1.2))
    settings = FetchSettings(timeout=2.0, max_bytes=1_000_000, user_agent="test-agent")
    started = time.monotonic()
    result = service_for(cache_dir, settings=settings).from_url(base + "/info.json", request(base))
    elapsed = time.monotonic() - started
    assert result.palette is None and result.subtype == "fetch"
    assert elapsed < 2.0 + 1.0


def test_per_host_ca_bundles() -> None:
    settings = FetchSettings(verify=True, host_ca_certs=(("iiif.example.org", "/certs/iiif.pem"),))
    assert settings.verify_for("https://iiif.example.org/a.jpg") == "/certs/iiif.pem"
    assert settings.verify_for("https://user:pw@iiif.example.org/a.jpg") == "/certs/iiif.pem"
    assert settings.verify_for("https://other.example.org/a.jpg") is True
    assert (
        FetchSettings(verify=False, host_ca_certs=settings.host_ca_certs).verify_for(
            "https://iiif.example.org/"
        )
        is False
    )


JSON = {"Content-Type": "application/json"}


def json_encoded(document: object) -> bytes:
    import json

    return json.dumps(document).encode()
