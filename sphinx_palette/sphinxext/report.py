"""What the build tells the author: URL failures (once per URL per build), cache trouble, the summary line.

Failures of remote sources are noted by the batch step and warned about in the main process, in document
and line order: once all documents are read (`warn`), or, when pages are written while palettes arrive,
each document's once every earlier document has its palettes (`warn_failures`, from `resolve.Arrivals`).
So a URL used on many pages warns once, and ``-j`` builds warn exactly as serial builds do, whichever
worker read which page.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from ..build_summary import summary_line
from ..warning_kinds import WARNING_TYPE, Subtype
from .envdata import PaletteEnvData
from .service import palettes_in_flight

logger = logging.getLogger(__name__)


def warn(app: Sphinx, env: BuildEnvironment) -> None:
    """Once every document is read: one warning per failing URL, at its first use; one for the cache.

    Palettes still arriving while pages are written are warned about by `resolve.Arrivals` instead.
    """
    data = PaletteEnvData.of(env)
    if not palettes_in_flight(env):
        warned: set[tuple[str, str, str]] = set()
        for docname in sorted(data.reading):
            warn_failures(data, docname, warned)
    warn_cache(data)


def warn_failures(data: PaletteEnvData, docname: str, warned: set[tuple[str, str, str]]) -> None:
    """Warn about the failures of ``docname`` in line order, but not those in ``warned`` (which grows)."""
    failures = data.documents[docname].failures if docname in data.documents else []
    for note in sorted(failures):
        # The same URL failing the same way is one warning; another canvas of it failing is another.
        if (note.key, note.subtype, note.message) in warned:
            continue
        warned.add((note.key, note.subtype, note.message))
        logger.warning(note.message, location=(docname, note.line), type=WARNING_TYPE, subtype=note.subtype)


def warn_cache(data: PaletteEnvData) -> None:
    """Warn once about the build's first failure to write the cache, if any."""
    cache_error = data.take_cache_error()
    if cache_error:
        logger.warning(
            "%s; palettes are computed but not stored", cache_error, type=WARNING_TYPE, subtype=Subtype.CACHE
        )


def note_reading(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Remember which documents this build reads, for the warnings and the summary line."""
    PaletteEnvData.of(env).reading = set(docnames)


def summarise(app: Sphinx, exception: Exception | None) -> None:
    """Log ``palette: N palettes (C computed, H from cache, F failed)`` for every palette of the site.

    Palettes of documents this build did not read come from the saved environment: they count as from cache
    (or failed, if they failed), so a rebuild with no change reports the whole site as the tutorial shows.
    """
    if exception is not None:
        return
    data = PaletteEnvData.of(app.env)
    found = app.env.found_docs
    origins = [
        r.origin if docname in data.reading or r.origin == "failed" else "cache"
        for docname in sorted(data.documents)
        if docname in found
        for r in data.palettes(docname)
    ]
    if origins:
        logger.info(summary_line(origins))
