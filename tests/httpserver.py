"""A scriptable local HTTP server for tests: real sockets on 127.0.0.1, never the internet.

Use the ``http_server`` fixture (function scope) or ``make_server()`` outside fixtures::

    def test_retry(http_server):
        http_server.route("/img.png", [Response(status=503), Response(body=b"ok")])
        url = http_server.url("/img.png")
        ...
        assert [r.path for r in http_server.requests] == ["/img.png", "/img.png"]

A route maps a path to a ``Response``, a list of them (served in turn, the last one
repeating), or a callable ``handler(request: RecordedRequest) -> Response`` for anything
scripted (304 on If-None-Match, redirects that depend on the hop, ...).  A ``Response`` may
wait before its headers (``delay``), send its body slowly (``trickle`` bytes per second), or
stream an unbounded body from ``stream`` without holding it in memory.  ``stop()`` ends the
server promptly even while a handler is waiting or a client stalls.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

__all__ = [
    "Headers",
    "LocalHTTPServer",
    "RecordedRequest",
    "Response",
    "http_server",
    "json_response",
    "make_server",
    "redirect",
    "zeros",
]


class Headers(dict):
    """Request headers as a ``dict`` whose lookups ignore case, as HTTP header names do."""

    def _key(self, name: str) -> str | None:
        lower = name.lower()
        for key in self.keys():
            if key.lower() == lower:
                return key
        return None

    def __getitem__(self, name: str) -> str:
        key = self._key(name)
        if key is None:
            raise KeyError(name)
        return super().__getitem__(key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        """Return the header ``name`` (any case) or ``default``."""
        key = self._key(name)
        return default if key is None else super().__getitem__(key)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``path`` includes the query string."""

    method: str
    path: str
    headers: Headers
    body: bytes = b""


@dataclass
class Response:
    """What the server answers.

    ``delay``: seconds to wait before sending the status line (a large value is a server that never
    answers).  ``trickle``: bytes per second for the body.  ``stream``: a zero-argument
    callable returning an iterable of byte chunks, used instead of ``body`` and called afresh for
    each request, so an unbounded body costs no memory; without an explicit Content-Length the
    body ends when the connection closes.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    trickle: float | None = None
    stream: Callable[[], Iterable[bytes]] | None = None


Handler = Callable[[RecordedRequest], Response]
RouteTarget = Response | list[Response] | Handler


def redirect(location: str, status: int = 302) -> Response:
    """A redirect to ``location``."""
    return Response(status=status, headers={"Location": location})


def json_response(document: object, status: int = 200, **headers: str) -> Response:
    """A JSON body with ``Content-Type: application/json``; keyword arguments add headers."""
    all_headers = {"Content-Type": "application/json", **headers}
    return Response(status=status, headers=all_headers, body=json.dumps(document).encode())


def zeros(total: int | None = None, chunk: int = 64 * 1024) -> Callable[[], Iterator[bytes]]:
    """A ``Response.stream`` factory of zero bytes: ``total`` bytes, or without end when None."""
    block = bytes(chunk)

    def generate() -> Iterator[bytes]:
        remaining = total
        while remaining is None or remaining > 0:
            size = chunk if remaining is None else min(chunk, remaining)
            yield block[:size]
            if remaining is not None:
                remaining -= size

    return generate


class _Constant:
    """A handler giving the same response to every request."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def __call__(self, request: RecordedRequest) -> Response:
        return self.response


class _Sequence:
    """Serve responses in turn; the last one repeats, so a script never runs dry."""

    def __init__(self, responses: list[Response]) -> None:
        if not responses:
            raise ValueError("a route needs at least one response")
        self._responses = list(responses)
        self._lock = threading.Lock()
        self._index = 0

    def __call__(self, request: RecordedRequest) -> Response:
        with self._lock:
            response = self._responses[min(self._index, len(self._responses) - 1)]
            self._index += 1
        return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # server_close() must not join handler threads: one may be serving a client that never reads.
    block_on_close = False
    owner: LocalHTTPServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-body are the point of many tests; tracebacks would be noise.
        pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A socket timeout bounds how long a handler blocks on a client that neither sends nor reads.
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        # One request per connection keeps shutdown and stalled-client cases simple.
        self.close_connection = True
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(self.command, self.path, Headers(self.headers.items()), body)
        owner._record(request)
        response = owner._respond(request)
        if response.delay and owner._stopping.wait(response.delay):
            return
        # OSError: the client hung up, or stalled past the socket timeout.
        with contextlib.suppress(OSError):
            self._send(response)

    def _send(self, response: Response) -> None:
        owner = self.server.owner
        self.send_response(response.status)
        names = {name.lower() for name in response.headers}
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None and "content-length" not in names:
            self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD" or response.status in (204, 304):
            return
        chunks = response.stream() if response.stream is not None else [response.body]
        for chunk in chunks:
            if owner._stopping.is_set():
                return
            if response.trickle:
                if not self._trickle(chunk, response.trickle):
                    return
            else:
                self.wfile.write(chunk)
        self.wfile.flush()

    def _trickle(self, chunk: bytes, rate: float) -> bool:
        stopping = self.server.owner._stopping
        step = max(1, int(rate / 10))
        for start in range(0, len(chunk), step):
            self.wfile.write(chunk[start : start + step])
            self.wfile.flush()
            if stopping.wait(step / rate):
                return False
        return True

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle


class LocalHTTPServer:
    """A running threaded HTTP server on 127.0.0.1 with scriptable routes and a request log."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server = _Server((host, port), _RequestHandler)
        self._server.owner = self
        address = self._server.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"httpserver:{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + ("" if path.startswith("/") else "/") + path

    def route(self, path: str, target: RouteTarget) -> None:
        """Answer requests for ``path`` with a response, a list served in turn, or a handler.

        A route with a query string matches only that query; one without matches any query.
        """
        if isinstance(target, Response):
            handler: Handler = _Constant(target)
        elif isinstance(target, list):
            handler = _Sequence(target)
        elif callable(target):
            handler = target
        else:
            raise TypeError(f"cannot route to {target!r}")
        with self._lock:
            self._routes[path] = handler

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _respond(self, request: RecordedRequest) -> Response:
        with self._lock:
            handler = self._routes.get(request.path) or self._routes.get(urlsplit(request.path).path)
        if handler is None:
            return Response(status=404, body=b"not found")
        try:
            return handler(request)
        except Exception as exc:  # a broken test handler should show up as a 500, not a hang
            return Response(status=500, body=f"handler failed: {exc!r}".encode())

    def stop(self) -> None:
        """Stop serving and release the port; waiting and trickling handlers give up at once."""
        self._stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> LocalHTTPServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def make_server(host: str = "127.0.0.1", port: int = 0) -> LocalHTTPServer:
    """Start a server (port 0 picks a free one); call ``stop()`` or use it as a context manager."""
    return LocalHTTPServer(host, port)


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A fresh local HTTP server for one test, stopped afterwards."""
    server = make_server()
    try:
        yield server
    finally:
        server.stop()
