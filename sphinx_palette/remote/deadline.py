"""A total deadline for an HTTP call: a watchdog that shuts down the call's sockets when time is up.

Socket timeouts alone cannot bound a call: a server that trickles one byte a second resets them forever. So
every connection a deadline session opens registers its socket with the watchdog of the call in progress
(a context variable), and the watchdog's timer shuts them all down at the deadline, which wakes a thread
blocked in ``recv()``.
"""

from __future__ import annotations

import contextvars
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests
import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Guard", "install_deadline_adapter", "watchdog"]


class Guard:
    """The sockets of one call, shut down together when its deadline passes (``fired``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False

    def add(self, sock: socket.socket | None) -> None:
        """Watch ``sock``; shut it down at once if the deadline has already passed."""
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if not self.fired:
                return
        _shutdown(sock)

    def fire(self) -> None:
        """The deadline: shut down every socket registered so far, and any registered later."""
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def disarm(self) -> None:
        """The call is over: forget its sockets (pooled connections live on for the next call)."""
        with self._lock:
            self._sockets.clear()


def _shutdown(sock: socket.socket) -> None:
    # shutdown() wakes a thread blocked in recv(), which close() does not; the base-class method
    # avoids SSLSocket.shutdown, which would tear down TLS state under the reading thread.
    with suppress(OSError, TypeError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_GUARD: contextvars.ContextVar[Guard | None] = contextvars.ContextVar("palette_guard", default=None)


def _register(sock: Any) -> None:
    guard = _GUARD.get()
    if guard is not None and isinstance(sock, socket.socket):
        guard.add(sock)


class _GuardedMixin:
    """Registers each socket with the current call's watchdog, so the deadline can close it."""

    sock: Any

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        _register(sock)
        return sock

    def getresponse(self) -> Any:
        # A pooled connection opened by an earlier call must obey this call's deadline too.
        _register(self.sock)
        return super().getresponse()  # type: ignore[misc]


# The class names appear in urllib3's error texts; the fetch module never shows those texts to authors.
class _GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


_GUARDED_POOLS = {"http": _GuardedHTTPConnectionPool, "https": _GuardedHTTPSConnectionPool}


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose connections register their sockets with the current call's watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_GUARDED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_GUARDED_POOLS)
        return manager


def install_deadline_adapter(session: requests.Session) -> None:
    """Swap ``session``'s stock http(s) adapters for deadline adapters; custom ones (mocks) are kept."""
    for prefix in ("http://", "https://"):
        if type(session.adapters.get(prefix)) is requests.adapters.HTTPAdapter:
            session.mount(prefix, _DeadlineAdapter())


@contextmanager
def watchdog(seconds: float) -> Iterator[Guard]:
    """Run the body with a `Guard` that fires after ``seconds``, shutting down its sockets."""
    guard = Guard()
    timer = threading.Timer(max(seconds, 0.0), guard.fire)
    timer.daemon = True
    token = _GUARD.set(guard)
    timer.start()
    try:
        yield guard
    finally:
        timer.cancel()
        guard.disarm()
        _GUARD.reset(token)
