"""An image server handler for the batch tests: it counts requests in flight and scripts the first ones."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tests.httpserver import RecordedRequest, Response

__all__ = ["CountingImages"]


class CountingImages:
    """Serves ``/N.png`` (``body(N)``, as image/png) after ``hold`` seconds.

    ``peak`` is the largest number of requests it was answering at once; ``log`` holds ``(arrival time,
    path, status)`` per request; the first requests get the ``first`` responses (a 429, say), in turn.
    """

    def __init__(
        self, body: Callable[[int], bytes], hold: float = 0.05, first: list[Response] | None = None
    ) -> None:
        self.body = body
        self.hold = hold
        self.first = list(first or [])
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.log: list[tuple[float, str, int]] = []

    def __call__(self, request: RecordedRequest) -> Response:
        with self.lock:
            scripted = self.first.pop(0) if self.first else None
            self.log.append((time.monotonic(), request.path, scripted.status if scripted else 200))
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if scripted is not None:
                return scripted
            time.sleep(self.hold)
            number = int(request.path.strip("/").split(".")[0])
            return Response(headers={"Content-Type": "image/png"}, body=self.body(number))
        finally:
            with self.lock:
                self.in_flight -= 1

    def statuses(self, status: int) -> list[float]:
        """Arrival times of the requests answered with ``status``."""
        return [arrived for arrived, _, answered in self.log if answered == status]
