"""What the build tells the author: URL failures (once per URL per build), cache trouble, the summary line.

Failures of remote sources are noted while documents are read and warned about once all are read, in the
main process, in document and line order. So a URL used on many pages warns once, and ``-j`` builds warn
exactly as serial builds do, whichever worker read which page.
"""

from __future__ import annotations

from collections.abc import Iterable

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from ..warning_kinds import WARNING_TYPE, Subtype
from . import collect

logger = logging.getLogger(__name__)


def _failures(env: BuildEnvironment) -> dict[str, list[tuple[int, str, str, str]]]:
    if not hasattr(env, "palette_failures"):
        env.palette_failures = {}  # type: ignore[attr-defined]
    return env.palette_failures  # type: ignore[attr-defined]


def note_failure(env: BuildEnvironment, line: int, key: str, subtype: str, message: str) -> None:
    """Remember a failure of the remote source ``key`` at ``line`` of the document being read."""
    _failures(env).setdefault(env.docname, []).append((line, key, subtype, message))


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """Forget a document's noted failures before it is read again."""
    _failures(env).pop(docname, None)


def merge(app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment) -> None:
    """Take the failures noted by a parallel reader for its documents."""
    theirs = _failures(other)
    for docname in docnames:
        if docname in theirs:
            _failures(env)[docname] = theirs[docname]
    if getattr(other, "palette_cache_error", None):
        note_cache_error(env, other.palette_cache_error)  # type: ignore[attr-defined]


def note_cache_error(env: BuildEnvironment, message: str) -> None:
    """Remember the first failure to write the cache in this build."""
    if not getattr(env, "palette_cache_error", None):
        env.palette_cache_error = message  # type: ignore[attr-defined]


def warn(app: Sphinx, env: BuildEnvironment) -> None:
    """Once every document is read: one warning per failing URL, at its first use; one for the cache."""
    reading: set[str] = getattr(app, "_palette_reading", set())
    warned: set[tuple[str, str, str]] = set()
    for docname in sorted(reading):
        for line, key, subtype, message in sorted(_failures(env).get(docname, [])):
            # The same URL failing the same way is one warning; another canvas of it failing is another.
            if (key, subtype, message) in warned:
                continue
            warned.add((key, subtype, message))
            logger.warning(message, location=(docname, line), type=WARNING_TYPE, subtype=subtype)
    cache_error = getattr(env, "palette_cache_error", None)
    if cache_error:
        env.palette_cache_error = None  # type: ignore[attr-defined]
        logger.warning(
            "%s; palettes are computed but not stored", cache_error, type=WARNING_TYPE, subtype=Subtype.CACHE
        )


def note_reading(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Remember which documents this build reads, for the warnings and the summary line."""
    app._palette_reading = set(docnames)  # type: ignore[attr-defined]


def summarise(app: Sphinx, exception: Exception | None) -> None:
    """Log ``palette: N palettes (C computed, H from cache, F failed)`` for the documents read."""
    if exception is not None:
        return
    reading: set[str] = getattr(app, "_palette_reading", set())
    records = [r for d in sorted(reading) for r in collect.entries(app.env).get(d, [])]
    if not records and not collect.entries(app.env):
        return
    counts = {
        origin: sum(r["origin"] == origin for r in records) for origin in ("computed", "cache", "failed")
    }
    logger.info(
        "palette: %d palettes (%d computed, %d from cache, %d failed)",
        len(records),
        counts["computed"],
        counts["cache"],
        counts["failed"],
    )
