"""Argument types and helpers that every subcommand shares."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from ..engine import EMPHASES, MAX_COLORS
from ..engine.region import parse_region
from ..settings import SETTINGS, Setting

PROG = "sphinx-palette"
_SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


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


def default_cache_dir() -> Path:
    """The user cache directory (``platformdirs``), e.g. ``~/.cache/sphinx-palette`` on Linux."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("sphinx-palette", appauthor=False))


def setting_type(setting: Setting) -> Callable[[str], object]:
    """argparse type: a value of a `Setting`, parsed and checked as ``-D palette_<name>=...`` is."""

    def parse(text: str) -> object:
        try:
            value = setting.parse(text)
        except ValueError:
            value = text
        if not setting.accepts(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not valid (expected {setting.expected})")
        return value

    return parse


_LIMIT_ARGUMENTS = (
    ("--timeout", "timeout", "S", "seconds for one remote image, IIIF documents included"),
    ("--max-bytes", "max_bytes", "N", "largest download accepted, in bytes"),
    (
        "--decode-budget",
        "decode_budget",
        "N",
        "most memory one image may take while decoded, in bytes, at least 16 MiB; "
        "an image over it is refused",
    ),
)


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """``--timeout``, ``--max-bytes`` and ``--decode-budget``, checked as the timeout, max_bytes and
    decode_budget settings are."""
    for flag, name, metavar, meaning in _LIMIT_ARGUMENTS:
        setting = _SETTINGS_BY_NAME[name]
        parser.add_argument(
            flag,
            type=setting_type(setting),
            default=setting.default,
            metavar=metavar,
            help=f"{meaning} (default {setting.default})",
        )
