"""Politeness towards image servers shared by every fetching thread: per-host limits and pauses.

`HostGate` is the one object all workers of a batch consult. It keeps at most ``per_host`` requests in
flight to one host, and when a host answers 429 or 503 with ``Retry-After`` it pauses that host for every
worker, not only the one that was told (the model is the per-host ``RateLimit`` of Sphinx's linkcheck).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

__all__ = ["HostGate", "host_of"]


def host_of(url: str) -> str:
    """The key requests to ``url`` are limited by: the host and port, lower case, without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    return f"{host}:{port}" if port else host


class HostGate:
    """Per-host concurrency limits and pauses, shared by threads.

    Parameters
    ----------
    per_host : int or None, default None
        Requests allowed in flight to one host at once; None for no limit.
    clock : callable, optional
        The monotonic clock pauses are measured on.

    Notes
    -----
    `slot` bounds concurrency; `wait` (called before every request, redirect hops and retries included)
    holds a request back while its host is paused; `pause` is called when a host sends ``Retry-After``.
    The largest number of requests seen in flight to each host is kept in `peak`.
    """

    def __init__(
        self,
        per_host: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_host is not None and per_host < 1:
            raise ValueError(f"per_host must be at least 1, not {per_host}")
        self.per_host = per_host
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._in_flight: dict[str, int] = {}
        self._paused_until: dict[str, float] = {}
        self.peak: dict[str, int] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the ``per_host`` places of ``url``'s host for the duration of the block."""
        host = host_of(url)
        with self._changed:
            while self.per_host is not None and self._in_flight.get(host, 0) >= self.per_host:
                self._changed.wait()
            count = self._in_flight.get(host, 0) + 1
            self._in_flight[host] = count
            self.peak[host] = max(self.peak.get(host, 0), count)
        try:
            yield
        finally:
            with self._changed:
                self._in_flight[host] -= 1
                self._changed.notify_all()

    def pause(self, url: str, seconds: float) -> None:
        """Send nothing to ``url``'s host for ``seconds`` (from now), whichever worker asks."""
        host = host_of(url)
        with self._changed:
            until = self._clock() + max(0.0, seconds)
            if until > self._paused_until.get(host, 0.0):
                self._paused_until[host] = until
            self._changed.notify_all()

    def paused_for(self, url: str) -> float:
        """Seconds left in the pause of ``url``'s host (0 when it is not paused)."""
        with self._lock:
            return max(0.0, self._paused_until.get(host_of(url), 0.0) - self._clock())

    def wait(self, url: str, deadline: float) -> bool:
        """Wait until ``url``'s host may be sent a request; False (at once) if that is after ``deadline``.

        ``deadline`` is on the gate's clock (`time.monotonic` unless replaced).
        """
        host = host_of(url)
        with self._changed:
            while True:
                until = self._paused_until.get(host, 0.0)
                now = self._clock()
                if until <= now:
                    return True
                if until > deadline:
                    return False
                # Woken early when another pause or a release changes things; the loop re-reads.
                self._changed.wait(until - now)
