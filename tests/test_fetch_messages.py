"""Fetch failures in plain words against real local servers: TLS (trustme certificates), refused, DNS.

The messages name what happened (certificate not trusted, host name mismatch, expired, connection refused,
DNS failure, timed out), with the URL, in whole seconds, and never urllib3's internals.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sphinx_palette.remote.fetch import FetchError, FetchSettings, fetch, seconds

trustme = pytest.importorskip("trustme")

INTERNALS = ("Pool", "Max retries", "HTTPConnection", "urllib3", "object at 0x", "Errno")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        # The handshake happens in the handler's thread, where a client that gives up is harmless.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client refusing our certificate is what these tests are about


@contextmanager
def tls_server(ca, *names: str, **validity) -> Iterator[int]:
    """A local HTTPS server with a certificate from ``ca`` for ``names``; yields its port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **validity).configure_cert(context)
    server = _TLSServer(context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def ca_bundle(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _failure(url: str, settings: FetchSettings) -> str:
    with pytest.raises(FetchError) as info:
        fetch(url, settings)
    message = str(info.value)
    assert url.split("?")[0] in message
    for internal in INTERNALS:
        assert internal not in message, message
    return message


def test_tls_with_the_right_ca_works(ca, ca_bundle):
    with tls_server(ca, "localhost", "127.0.0.1") as port:
        result = fetch(f"https://127.0.0.1:{port}/a.png", FetchSettings(timeout=5, verify=ca_bundle))
    assert result.content == b"ok"


def test_untrusted_certificate_is_named(ca):
    with tls_server(ca, "localhost", "127.0.0.1") as port:
        message = _failure(f"https://127.0.0.1:{port}/a.png", FetchSettings(timeout=5, max_tries=3))
    assert "TLS error: certificate not trusted" in message
    assert "gave up" not in message  # not retried: a certificate does not mend itself


def test_host_name_mismatch_is_named(ca, ca_bundle):
    with tls_server(ca, "other.example") as port:
        message = _failure(f"https://localhost:{port}/a.png", FetchSettings(timeout=5, verify=ca_bundle))
    assert "TLS error: host name mismatch" in message
    assert "localhost" in message


def test_expired_certificate_is_named(ca, ca_bundle):
    past = datetime.now(UTC) - timedelta(days=30)
    with tls_server(ca, "127.0.0.1", not_before=past - timedelta(days=30), not_after=past) as port:
        message = _failure(f"https://127.0.0.1:{port}/a.png", FetchSettings(timeout=5, verify=ca_bundle))
    assert "TLS error: certificate expired" in message


def test_tls_cause_is_shown_in_full(ca):
    with tls_server(ca, "127.0.0.1") as port:
        message = _failure(f"https://127.0.0.1:{port}/a.png", FetchSettings(timeout=5))
    assert not message.endswith("...")
    assert "unable to get local issuer certificate" in message


def test_plain_http_to_a_tls_port_is_a_tls_or_connection_error(ca):
    with tls_server(ca, "127.0.0.1") as port:
        message = _failure(f"http://127.0.0.1:{port}/a.png", FetchSettings(timeout=3, max_tries=1))
    assert "cannot fetch" in message


def test_connection_refused_in_words():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: refused
        message = _failure(f"http://127.0.0.1:{port}/a.png", FetchSettings(timeout=5, max_tries=1))
    assert "connection refused" in message


def test_dns_failure_in_words(monkeypatch):
    # The resolver answers "no such name" as it would for any unknown host, without asking the network.
    def no_such_name(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    message = _failure("http://images.museum.invalid/a.png", FetchSettings(timeout=5, max_tries=1))
    assert "DNS failure" in message and "images.museum.invalid" in message


def test_deadline_is_in_whole_seconds(http_server):
    from tests.httpserver import Response

    http_server.route("/slow", Response(delay=30))
    message = _failure(http_server.url("/slow"), FetchSettings(timeout=1.0000001, max_tries=1))
    assert "within 1 s" in message


@pytest.mark.parametrize(
    ("value", "text"), [(19.9999, "20 s"), (20, "20 s"), (0.5, "0.5 s"), (2.04, "2 s"), (9.97, "10 s")]
)
def test_seconds_are_rounded(value, text):
    assert seconds(value) == text


def test_the_warning_and_the_placeholder_say_it_in_words(make_app, ca, tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/a.png"
        with tls_server(ca, "127.0.0.1") as port:
            untrusted = f"https://127.0.0.1:{port}/b.png"
            srcdir = tmp_path / "site"
            srcdir.mkdir()
            (srcdir / "conf.py").write_text('extensions = ["sphinx_palette"]\n')
            rst = "Messages\n========\n\n" + "\n".join(f".. palette:: {u}\n" for u in (refused, untrusted))
            (srcdir / "index.rst").write_text(rst)
            overrides = {"palette_cache_dir": str(tmp_path / "cache"), "palette_timeout": 5.0}
            app = make_app("html", srcdir=srcdir, confoverrides=overrides)
            app.build()
    log = app.warning.getvalue()
    page = (app.outdir / "index.html").read_text()
    for text in (log, page):
        assert f"cannot fetch {refused}: connection refused" in text
        assert f"cannot fetch {untrusted}: TLS error: certificate not trusted" in text
        assert "unable to get local issuer certificate" in text
        for internal in INTERNALS:
            assert internal not in text
