"""sphinx_palette.remote.fetch against real local HTTP servers (never the internet)."""

from __future__ import annotations

import base64
import pickle
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sphinx_palette.remote.fetch import (
    FetchError,
    FetchSettings,
    fetch,
    make_session,
)
from sphinx_palette.remote.urls import redact_url
from tests.httpserver import RecordedRequest, Response, redirect, zeros

# Short deadlines keep the suite fast; back-off from 0.5 s still fits three tries.
FAST = FetchSettings(timeout=5.0, max_tries=3)
MARGIN = 2.0


def test_200_returns_body_and_provenance(http_server):
    http_server.route(
        "/a.png",
        Response(
            body=b"PNGDATA",
            headers={
                "Content-Type": "image/png; charset=binary",
                "ETag": '"v1"',
                "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT",
            },
        ),
    )
    result = fetch(http_server.url("/a.png"), FAST)
    assert result.status == 200
    assert result.content == b"PNGDATA"
    assert result.content_type == "image/png"
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert result.url == result.final_url == http_server.url("/a.png")


def test_user_agent_is_sent(http_server):
    http_server.route("/x", Response(body=b"x"))
    fetch(http_server.url("/x"), FetchSettings(timeout=5, user_agent="palette-test/1.0"))
    assert http_server.requests[0].headers["User-Agent"] == "palette-test/1.0"


def test_404_fails_at_once_with_status(http_server):
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/missing.png"), FAST)
    assert info.value.reason == "HTTP 404 Not Found"
    assert "HTTP 404 Not Found" in str(info.value)
    assert http_server.url("/missing.png") in str(info.value)
    assert len(http_server.requests) == 1


def test_500_then_200_is_retried(http_server):
    http_server.route("/r", [Response(status=500), Response(body=b"ok")])
    assert fetch(http_server.url("/r"), FAST).content == b"ok"
    assert len(http_server.requests) == 2


def test_503_three_times_gives_up_after_max_tries(http_server):
    http_server.route("/r", Response(status=503))
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/r"), FAST)
    assert "HTTP 503 Service Unavailable" in str(info.value)
    assert "3 tries" in str(info.value)
    assert len(http_server.requests) == 3


def test_429_honours_retry_after_seconds(http_server):
    http_server.route("/r", [Response(status=429, headers={"Retry-After": "1"}), Response(body=b"ok")])
    result = fetch(http_server.url("/r"), FAST)
    assert result.content == b"ok"
    assert len(http_server.requests) == 2


def test_retry_after_http_date_is_understood(http_server):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    http_server.route("/r", [Response(status=503, headers={"Retry-After": when}), Response(body=b"ok")])
    assert fetch(http_server.url("/r"), FAST).content == b"ok"


def test_retry_after_beyond_deadline_fails_at_once(http_server):
    http_server.route("/r", Response(status=429, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/r"), FAST)
    assert time.monotonic() - started < FAST.timeout
    assert "3600" in str(info.value)
    assert "deadline" in str(info.value)
    assert len(http_server.requests) == 1


def test_never_answering_server_ends_within_deadline(http_server):
    http_server.route("/hang", Response(delay=600, body=b"late"))
    settings = FetchSettings(timeout=1.5)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/hang"), settings)
    assert time.monotonic() - started < settings.timeout + MARGIN
    assert info.value.reason == "timed out"


def test_trickling_server_ends_within_deadline(http_server):
    # One byte a second resets any socket timeout; only the total deadline stops it.
    http_server.route("/slow", Response(body=b"x" * 100, trickle=1))
    settings = FetchSettings(timeout=1.5)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/slow"), settings)
    assert time.monotonic() - started < settings.timeout + MARGIN
    assert info.value.reason == "timed out"


def test_trickling_close_delimited_body_is_not_taken_as_complete(http_server):
    # Without Content-Length, the watchdog's shutdown looks like a normal end of body.
    http_server.route("/slow", Response(stream=zeros(100), trickle=2))
    with pytest.raises(FetchError, match="timed out"):
        fetch(http_server.url("/slow"), FetchSettings(timeout=1.0))


def test_content_length_over_limit_is_refused_early(http_server):
    size = 2 * 1024**3
    http_server.route("/huge", Response(stream=zeros(size), headers={"Content-Length": str(size)}))
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/huge"), FetchSettings(timeout=5, max_bytes=1_000_000))
    assert info.value.reason == "response too large"
    assert str(info.value).endswith("(2.15 GB; the limit is 1,000,000 bytes)")


def test_unbounded_stream_stops_at_limit(http_server):
    # 2 GB announced by nothing: the cap must cut the stream, not read it to the end.
    http_server.route("/huge", Response(stream=zeros(2 * 1024**3)))
    settings = FetchSettings(timeout=10, max_bytes=1_000_000)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/huge"), settings)
    assert time.monotonic() - started < settings.timeout
    assert info.value.reason == "response too large"


def test_body_at_exactly_the_limit_is_accepted(http_server):
    http_server.route("/b", Response(body=b"y" * 1000))
    assert len(fetch(http_server.url("/b"), FetchSettings(max_bytes=1000)).content) == 1000


def _chain(server, length: int) -> str:
    for hop in range(length):
        server.route(f"/hop{hop}", redirect(f"/hop{hop + 1}"))
    server.route(f"/hop{length}", Response(body=b"end"))
    return server.url("/hop0")


def test_redirect_chain_of_three_is_followed(http_server):
    result = fetch(_chain(http_server, 3), FAST)
    assert result.content == b"end"
    assert result.final_url == http_server.url("/hop3")
    assert result.url == http_server.url("/hop0")


def test_redirect_chain_of_six_is_too_long(http_server):
    with pytest.raises(FetchError) as info:
        fetch(_chain(http_server, 6), FAST)
    assert info.value.reason == "too many redirects"
    assert len(http_server.requests) == 6


def test_redirect_loop_is_detected(http_server):
    http_server.route("/a", redirect("/b", 301))
    http_server.route("/b", redirect(http_server.url("/a"), 307))
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/a"), FAST)
    assert info.value.reason == "redirect loop"


def test_redirect_to_file_url_is_refused(http_server):
    http_server.route("/evil", redirect("file:///etc/passwd"))
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/evil"), FAST)
    assert "file:" in info.value.reason
    assert "only http and https" in str(info.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.png", "data:image/png;base64,AA"])
def test_other_schemes_are_refused(url):
    with pytest.raises(FetchError, match="only http and https"):
        fetch(url, FAST)


def test_a_path_is_not_a_url():
    with pytest.raises(FetchError, match="not a URL"):
        fetch("a.png", FAST)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_credentials_are_sent_and_never_shown(http_server):
    http_server.route("/private.png", Response(status=403))
    url = http_server.url("/private.png").replace("http://", "http://alice:s3cr%40t@")
    with pytest.raises(FetchError) as info:
        fetch(url, FAST)
    assert http_server.requests[0].headers["Authorization"] == _basic("alice", "s3cr@t")
    for text in (str(info.value), repr(info.value), info.value.url):
        assert "s3cr" not in text
        assert "alice" not in text
    assert "HTTP 403 Forbidden" in str(info.value)
    assert "s3cr" not in repr(pickle.loads(pickle.dumps(info.value)))


def test_credentials_not_forwarded_to_another_host(http_server):
    from tests.httpserver import make_server

    with make_server() as other:
        other.route("/img", Response(body=b"img"))
        # 127.0.0.1 and localhost are different hosts as far as credentials go.
        target = other.url("/img").replace("127.0.0.1", "localhost")
        http_server.route("/start", redirect(target))
        url = http_server.url("/start").replace("http://", "http://bob:pw@")
        result = fetch(url, FAST)
        assert result.content == b"img"
        assert "Authorization" in http_server.requests[0].headers
        assert "Authorization" not in other.requests[0].headers
        assert "pw@" not in result.url


def test_credentials_kept_on_same_host_redirect(http_server):
    http_server.route("/start", redirect("/next"))
    http_server.route("/next", Response(body=b"ok"))
    fetch(http_server.url("/start").replace("http://", "http://bob:pw@"), FAST)
    assert all(r.headers["Authorization"] == _basic("bob", "pw") for r in http_server.requests)


def test_conditional_request_answered_304(http_server):
    def handler(request: RecordedRequest) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(body=b"data", headers={"ETag": '"v1"'})

    http_server.route("/c", handler)
    first = fetch(http_server.url("/c"), FAST)
    second = fetch(http_server.url("/c"), FAST, etag=first.etag, last_modified="Tue, 1 Jan 2030")
    assert (first.status, first.content) == (200, b"data")
    assert (second.status, second.content) == (304, None)
    assert second.etag == '"v1"'
    sent = http_server.requests[1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Tue, 1 Jan 2030"
    assert "If-None-Match" not in http_server.requests[0].headers


def test_connection_refused_is_a_fetch_error():
    from tests.httpserver import make_server

    server = make_server()
    url = server.url("/gone")
    server.stop()
    with pytest.raises(FetchError, match="connection refused") as info:
        fetch(url, FetchSettings(timeout=5, max_tries=2))
    assert "Pool" not in str(info.value) and "Max retries" not in str(info.value)


def test_shared_session_is_reused(http_server):
    http_server.route("/a", Response(body=b"a"))
    http_server.route("/hang", Response(delay=600))
    settings = FetchSettings(timeout=1.0)
    with make_session(settings) as session:
        assert fetch(http_server.url("/a"), settings, session=session).content == b"a"
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            fetch(http_server.url("/hang"), settings, session=session)
        assert time.monotonic() - started < settings.timeout + MARGIN


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://u:p@host.org/a?b=1", "https://host.org/a?b=1"),
        ("http://user@host.org:8080/x", "http://host.org:8080/x"),
        ("https://host.org/a@b", "https://host.org/a@b"),
        ("https://u:p@[::1/x", "https://[::1/x"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_trickled_headers_end_within_deadline():
    # http.server cannot trickle its headers, so a raw socket plays the slow server here.
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.2):
                try:
                    conn.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings = FetchSettings(timeout=1.5, max_tries=1)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="timed out"):
            fetch(f"http://127.0.0.1:{port}/", settings)
        assert time.monotonic() - started < settings.timeout + MARGIN
    finally:
        stop.set()
        listener.close()
        thread.join(2)
