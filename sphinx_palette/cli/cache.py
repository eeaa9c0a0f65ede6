"""``sphinx-palette cache info|prune DIRECTORY``: show what a palette cache holds, and trim it.

``info`` counts the entries and bytes of each kind (palettes, downloaded bytes, URL records) and says when
the cache was last used; ``prune`` removes entries unused for ``--older-than`` a duration, then the least
recently used ones until the cache fits ``--max-size``, and always the leftovers of killed builds. Both are
safe while builds use the cache: a removed entry is recomputed or fetched again when next needed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from ..remote.cache import KINDS, PaletteCache
from .common import PROG

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?\s*$", re.IGNORECASE)
_UNITS = ("B", "kB", "MB", "GB", "TB")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``cache`` with its ``info`` and ``prune`` actions."""
    parser = commands.add_parser(
        "cache",
        help="show or trim a palette cache directory",
        description="Show what a palette cache holds (info) or remove old and least recently used entries "
        "(prune). DIRECTORY is the build's palette_cache_dir.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    info = actions.add_parser("info", help="count entries and bytes by kind", description="Show the cache.")
    info.add_argument("directory", metavar="DIRECTORY", type=Path, help="the palette cache directory")
    info.add_argument("--json", action="store_true", help="print the figures as JSON")
    info.set_defaults(run=_run_info)
    prune = actions.add_parser(
        "prune",
        help="remove old or least recently used entries",
        description="Remove entries unused for longer than --older-than, then the least recently used "
        "ones until the cache fits --max-size. Leftovers of killed builds are always removed.",
    )
    prune.add_argument("directory", metavar="DIRECTORY", type=Path, help="the palette cache directory")
    prune.add_argument(
        "--older-than",
        type=duration,
        metavar="AGE",
        help="remove entries not used for this long: 30d, 12h, 90m, 2w",
    )
    prune.add_argument(
        "--max-size",
        type=size,
        metavar="SIZE",
        help="then trim to this size, least recently used first: 500MB, 2GB, 800MiB, or bytes",
    )
    prune.set_defaults(run=_run_prune)


def duration(text: str) -> float:
    """argparse type: ``30d``, ``12h``, ``90m``, ``45s`` or ``2w``, in seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (write it as 30d, 12h, 90m, 45s or 2w)")
    return float(match.group(1)) * _SECONDS[match.group(2).lower()]


def size(text: str) -> int:
    """argparse type: bytes, or with a unit: ``500MB``/``500M`` (10⁶), ``800MiB`` (2²⁰), ``2G``, ``100k``."""
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (write it as 500MB, 2GB, 800MiB or bytes)")
    unit = (match.group(2) or "").lower()
    power = " kmgt".index(unit[0]) if unit else 0
    base = 1024 if unit.endswith("i") else 1000
    return int(float(match.group(1)) * base**power)


def human(count: float) -> str:
    """Bytes for people: ``31.5 MB`` (powers of 1000)."""
    value = float(count)
    for unit in _UNITS:
        if value < 1000 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _figures(cache: PaletteCache) -> dict:
    kinds = {kind: {"files": 0, "bytes": 0} for kind in KINDS}
    times = []
    for kind, _path, info in cache.entries():
        kinds[kind]["files"] += 1
        kinds[kind]["bytes"] += info.st_size
        times.append(info.st_mtime)
    return {
        "directory": str(cache.directory),
        "kinds": kinds,
        "files": sum(k["files"] for k in kinds.values()),
        "bytes": sum(k["bytes"] for k in kinds.values()),
        "oldest_use": min(times, default=None),
        "newest_use": max(times, default=None),
    }


def _open(directory: Path) -> PaletteCache | None:
    if not directory.is_dir():
        print(f"{PROG}: error: no palette cache at {directory} (not a directory)", file=sys.stderr)
        return None
    return PaletteCache(directory)


def _when(timestamp: float | None) -> str:
    return "never" if timestamp is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def _run_info(args: argparse.Namespace) -> int:
    cache = _open(args.directory)
    if cache is None:
        return 1
    figures = _figures(cache)
    if args.json:
        print(json.dumps(figures, indent=1, sort_keys=True))
        return 0
    names = {"palettes": "palettes", "blobs": "downloads", "remote": "URL records"}
    lines = [f"palette cache {figures['directory']}"]
    for kind in KINDS:
        entry = figures["kinds"][kind]
        lines.append(f"  {names[kind]:<12} {entry['files']:>7} files {human(entry['bytes']):>10}")
    lines.append(f"  {'total':<12} {figures['files']:>7} files {human(figures['bytes']):>10}")
    lines.append(
        f"  last used {_when(figures['newest_use'])}; least recently used {_when(figures['oldest_use'])}"
    )
    print("\n".join(lines))
    return 0


def _run_prune(args: argparse.Namespace) -> int:
    cache = _open(args.directory)
    if cache is None:
        return 1
    files, freed = cache.trim(args.max_size, older_than=args.older_than)
    left = _figures(cache)
    print(
        f"removed {files} file{'' if files == 1 else 's'} ({human(freed)}); "
        f"the cache holds {left['files']} files, {human(left['bytes'])}"
    )
    return 0
