"""Helpers shared by the tests that build Sphinx projects: warnings, the summary line, test roots."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from sphinx.testing.util import SphinxTestApp
from sphinx.util.console import strip_escape_sequences

ROOTS = Path(__file__).resolve().parent / "roots"
SUMMARY = re.compile(r"palette: (\d+) palettes? \((\d+) computed, (\d+) from cache, (\d+) failed\)")
WARNING = re.compile(
    r"^(?P<path>\S+?):(?P<line>\d+): WARNING: (?P<message>.*) \[palette\.(?P<subtype>\w+)\]$"
)


def copy_root(name: str, destination: Path) -> Path:
    """Copy the test root ``tests/roots/test-<name>`` to ``destination`` (for tests that edit it)."""
    shutil.copytree(ROOTS / f"test-{name}", destination)
    return destination


def run_sphinx(
    source: Path, out: Path, *options: str, env: Mapping[str, str] | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m sphinx --no-color -q -b html [options] source out`` in a fresh process, output captured."""
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "--no-color",
        "-q",
        "-b",
        "html",
        *options,
        str(source),
        str(out),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=timeout)


def warnings_of(app: SphinxTestApp) -> list[str]:
    """Every non-empty line the build wrote to its warning stream, without colour codes."""
    text = strip_escape_sequences(app.warning.getvalue())
    return [line for line in text.splitlines() if line.strip()]


def palette_warnings(app: SphinxTestApp) -> list[dict[str, str]]:
    """The warnings as ``path``, ``line``, ``message``, ``subtype``; fails on any other kind of line."""
    lines = warnings_of(app)
    matches = [WARNING.match(line) for line in lines]
    assert all(matches), lines
    return [m.groupdict() for m in matches if m is not None]


def summary(app: SphinxTestApp) -> tuple[int, int, int, int]:
    """The numbers of the one ``palette: N palettes (C computed, H from cache, F failed)`` line."""
    found = SUMMARY.findall(strip_escape_sequences(app.status.getvalue()))
    assert len(found) == 1, app.status.getvalue()
    total, computed, cached, failed = (int(n) for n in found[0])
    return total, computed, cached, failed
