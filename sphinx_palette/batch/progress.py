"""Progress of a batch: a tqdm bar (rate, ETA) on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["Progress", "format_duration"]

#: Seconds between two plain progress lines.
LINE_INTERVAL = 10.0


class Progress:
    """Counts finished images and shows it.

    ``mode``: ``"auto"`` (a bar when ``stream`` is a terminal and tqdm is installed, else lines), ``"bar"``,
    ``"lines"`` or ``"none"``.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        mode: str = "auto",
        *,
        interval: float = LINE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.mode = mode
        self.interval = interval
        self.clock = clock
        self.total = 0
        self.done = 0
        self._bar: Any = None
        self._started = clock()
        self._last_line = self._started

    def start(self, total: int) -> None:
        """Begin counting to ``total``."""
        self.total, self.done = total, 0
        self._started = self._last_line = self.clock()
        mode = self.mode
        if mode == "auto":
            mode = "bar" if _is_terminal(self.stream) and _has_tqdm() else "lines"
        self.mode = mode
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="image", file=self.stream, dynamic_ncols=True, smoothing=0.1)

    def advance(self, count: int = 1) -> None:
        """``count`` more images finished."""
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
        elif self.mode == "lines":
            now = self.clock()
            if now - self._last_line >= self.interval or self.done == self.total:
                self._last_line = now
                print(self.line(now), file=self.stream, flush=True)

    def line(self, now: float | None = None) -> str:
        """``120/2000 images (6%), 14.2/s, about 2 min 12 s left``."""
        now = self.clock() if now is None else now
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        percent = f" ({100 * self.done // self.total}%)" if self.total else ""
        left = ""
        if rate > 0 and self.total > self.done:
            left = f", about {format_duration((self.total - self.done) / rate)} left"
        return f"{self.done}/{self.total} images{percent}, {rate:.1f}/s{left}"

    def close(self) -> None:
        """Finish the bar (lines need nothing)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def format_duration(seconds: float) -> str:
    """``4.2 s``, ``3 min 5 s``, ``2 h 10 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True
