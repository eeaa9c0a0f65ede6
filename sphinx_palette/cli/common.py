"""Argument types and helpers that every subcommand shares."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator

from ..engine import EMPHASES, MAX_COLORS
from ..engine.region import parse_region

PROG = "sphinx-palette"


def colour_count(text: str) -> int:
    """argparse type: a number of colours, 1 to `MAX_COLORS`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= MAX_COLORS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COLORS}, got {value}")
    return value


def region_argument(text: str) -> str:
    """argparse type: a IIIF region (``full``, ``square``, ``x,y,w,h``, ``pct:x,y,w,h``), kept as written."""
    try:
        parse_region(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Hide what OpenCV and libpng print straight to file descriptor 2 about damaged files.

    The error that matters is reported once, as a `PaletteError`; their extra lines would only repeat it.
    """
    try:
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except (ImportError, AttributeError):
        pass
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def add_emphasis_argument(parser: argparse.ArgumentParser) -> None:
    """``--emphasis``, as the directive's ``:emphasis:`` option (default balanced)."""
    parser.add_argument(
        "--emphasis",
        choices=EMPHASES,
        default="balanced",
        help="balanced: areas and accents (default); coverage: least colour error; vivid: accents first",
    )
