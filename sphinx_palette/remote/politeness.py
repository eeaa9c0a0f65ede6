"""Politeness towards image servers shared by every fetching thread: per-host limits and pauses.

`HostGate` is the one object all workers of a batch consult. It keeps at most ``per_host`` requests in
flight to one host, and when a host answers 429 or 503 with ``Retry-After`` it pauses that host for every
worker, not only the one that was told (the model is the per-host ``RateLimit`` of Sphinx's linkcheck).

Workers in other processes or on other machines (a Dask cluster) share pauses through a `PauseBoard`
given to each process's gate: a pause is published on it, and the board is consulted before every request.
The core knows only this small interface; the Dask front end implements it on the scheduler.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol
from urllib.parse import urlsplit

__all__ = ["HostGate", "PauseBoard", "host_of"]


def host_of(url: str) -> str:
    """The key requests to ``url`` are limited by: the host and port, lower case, without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    return f"{host}:{port}" if port else host


class PauseBoard(Protocol):
    """Pauses shared with other processes: until when (seconds since the epoch) each host is paused.

    Implementations never raise: a board that cannot be reached answers 0 and drops what is published
    (each process's own pauses still hold). Their clocks are the machines' wall clocks, so a board shared
    by several machines needs them in step (NTP).
    """

    def publish(self, host: str, until: float) -> None:
        """Tell every process that ``host`` is paused until ``until`` (epoch seconds)."""
        ...

    def paused_until(self, host: str) -> float:
        """Until when ``host`` is paused (epoch seconds), 0 when it is not."""
        ...


class HostGate:
    """Per-host concurrency limits and pauses, shared by threads.

    Parameters
    ----------
    per_host : int or None, default None
        Requests allowed in flight to one host at once; None for no limit.
    clock : callable, optional
        The monotonic clock pauses are measured on.
    board : PauseBoard or None, default None
        Where pauses are shared with other processes (the workers of a cluster); None for this process only.

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
        board: PauseBoard | None = None,
    ) -> None:
        if per_host is not None and per_host < 1:
            raise ValueError(f"per_host must be at least 1, not {per_host}")
        self.per_host = per_host
        self.board = board
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
        """Send nothing to ``url``'s host for ``seconds`` (from now), whichever worker asks; the pause is
        also published on the board, for the other processes."""
        host = host_of(url)
        seconds = max(0.0, seconds)
        self._extend(host, self._clock() + seconds)
        if self.board is not None:
            self.board.publish(host, time.time() + seconds)

    def _extend(self, host: str, until: float) -> None:
        with self._changed:
            if until > self._paused_until.get(host, 0.0):
                self._paused_until[host] = until
                self._changed.notify_all()

    def _consult_board(self, host: str) -> None:
        """Take on a pause another process published for ``host``."""
        assert self.board is not None
        left = self.board.paused_until(host) - time.time()
        if left > 0:
            self._extend(host, self._clock() + left)

    def paused_for(self, url: str) -> float:
        """Seconds left in the pause of ``url``'s host (0 when it is not paused)."""
        with self._lock:
            return max(0.0, self._paused_until.get(host_of(url), 0.0) - self._clock())

    def wait(self, url: str, deadline: float) -> bool:
        """Wait until ``url``'s host may be sent a request; False (at once) if that is after ``deadline``.

        ``deadline`` is on the gate's clock (`time.monotonic` unless replaced). With a board, the board is
        consulted first, and again after waiting (another process may have lengthened the pause).
        """
        host = host_of(url)
        waited = True
        while waited:
            waited = False
            if self.board is not None:
                self._consult_board(host)
            with self._changed:
                while True:
                    until = self._paused_until.get(host, 0.0)
                    now = self._clock()
                    if until <= now:
                        break
                    if until > deadline:
                        return False
                    # Woken early when another pause or a release changes things; the loop re-reads.
                    self._changed.wait(until - now)
                    waited = self.board is not None
        return True
