"""PaletteService on a local server: revalidation, offline, polite and bounded fetching.

IIIF end to end is in test_pipeline_iiif.py.
"""

from __future__ import annotations

import time

import pytest

from sphinx_palette.remote.fetch import FetchSettings
from tests import pipeline_helpers
from tests.httpserver import Response, json_response, redirect, zeros
from tests.pipeline_helpers import (
    BLUE,
    GREEN,
    RED,
    body3,
    dominant,
    image,
    manifest3,
    near,
    paths,
    request,
    serve_canvases,
    service_for,
)
from tests.remote_helpers import Clock, Origin, info_json, png

cache_dir = pipeline_helpers.cache_dir


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
