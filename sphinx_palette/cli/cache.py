"""``sphinx-palette cache info|prune DIRECTORY``: show what a palette cache holds, and trim it.

``info`` counts the entries and bytes of each kind (palettes, downloaded bytes, URL records) and says when
the cache was last used; ``prune`` removes entries unused for ``--older-than`` a duration, then the least
recently used ones until the cache fits ``--max-size``, and always the leftovers of killed builds. Both are
safe while builds use the cache: a removed entry is recomputed or fetched again when next needed.

DIRECTORY may also be an object-storage URL (``s3://bucket/prefix``, as ``palette_cache_dir``). There an
entry's time is when it was last written (reading an object does not change it), so ``--older-than`` means
"not written for" and ``--max-size`` removes the least recently written entries first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from ..remote.cache import KINDS, CacheError, PaletteCache
from ..remote.cache_store import is_store_url
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
        "(prune). DIRECTORY is the build's palette_cache_dir: a directory or an object-storage URL "
        "(s3://bucket/prefix), where an entry's age is the time since it was written.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    info = actions.add_parser("info", help="count entries and bytes by kind", description="Show the cache.")
    info.add_argument("directory", metavar="DIRECTORY", help="the palette cache directory or URL")
    info.add_argument("--json", action="store_true", help="print the figures as JSON")
    info.set_defaults(run=_run_info)
    prune = actions.add_parser(
        "prune",
        help="remove old or least recently used entries",
        description="Remove entries unused for longer than --older-than, then the least recently used "
        "ones until the cache fits --max-size. Leftovers of killed builds are always removed.",
    )
    prune.add_argument("directory", metavar="DIRECTORY", help="the palette cache directory or URL")
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
    for entry in cache.entries():
        kinds[entry.kind]["files"] += 1
        kinds[entry.kind]["bytes"] += entry.size
        times.append(entry.used)
    return {
        "directory": cache.location,
        "kinds": kinds,
        "files": sum(k["files"] for k in kinds.values()),
        "bytes": sum(k["bytes"] for k in kinds.values()),
        "oldest_use": min(times, default=None),
        "newest_use": max(times, default=None),
    }


def _open(directory: str) -> PaletteCache | None:
    if is_store_url(directory):
        return PaletteCache(directory)
    cache = PaletteCache(os.path.expanduser(directory))
    if not Path(cache.location).is_dir():
        print(f"{PROG}: error: no palette cache at {directory} (not a directory)", file=sys.stderr)
        return None
    return cache


def _failed(error: CacheError) -> int:
    print(f"{PROG}: error: {error}", file=sys.stderr)
    return 1


def _when(timestamp: float | None) -> str:
    return "never" if timestamp is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def _run_info(args: argparse.Namespace) -> int:
    cache = _open(args.directory)
    if cache is None:
        return 1
    try:
        figures = _figures(cache)
    except CacheError as error:
        return _failed(error)
    if args.json:
        print(json.dumps(figures, indent=1, sort_keys=True))
        return 0
    names = {
        "palettes": "palettes",
        "blobs": "downloads",
        "remote": "URL records",
        "derivatives": "thumbnails",
        "files": "file hashes",
    }
    lines = [f"palette cache {figures['directory']}"]
    for kind in KINDS:
        entry = figures["kinds"][kind]
        lines.append(f"  {names[kind]:<12} {entry['files']:>7} files {human(entry['bytes']):>10}")
    lines.append(f"  {'total':<12} {figures['files']:>7} files {human(figures['bytes']):>10}")
    if cache.store.refreshed_by_reads:
        lines.append(
            f"  last used {_when(figures['newest_use'])}; least recently used {_when(figures['oldest_use'])}"
        )
    else:
        lines.append(
            f"  last written {_when(figures['newest_use'])}; oldest entry written "
            f"{_when(figures['oldest_use'])} (object storage keeps no time of use)"
        )
    print("\n".join(lines))
    return 0


def _run_prune(args: argparse.Namespace) -> int:
    cache = _open(args.directory)
    if cache is None:
        return 1
    try:
        files, freed = cache.trim(args.max_size, older_than=args.older_than)
        left = _figures(cache)
    except CacheError as error:
        return _failed(error)
    print(
        f"removed {files} file{'' if files == 1 else 's'} ({human(freed)}); "
        f"the cache holds {left['files']} files, {human(left['bytes'])}"
    )
    return 0
