"""Site-wide palette data: one plain record per palette, kept in the environment by document.

Records are purged and merged per document, so ``-j`` builds see exactly what serial builds see. They feed
the end-of-build summary (`report`), ``palettes.json``, the ``palette-index`` directive and re-reads of
documents whose remote images are due for a check.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from ..engine import Swatch
from ..engine.names import describe
from ..remote.service import PaletteResult
from ..remote.urls import is_url, redact_url
from ..settings import PaletteConfig
from ..site_export import EXPORT_PATH, export_entry, export_text
from ..warning_kinds import Subtype
from .envdata import PaletteEnvData, PaletteRecord, RequestRecord, SwatchRecord
from .service import wait_for_palettes

logger = logging.getLogger(__name__)


def record(docname: str, request: RequestRecord, result: PaletteResult) -> PaletteRecord:
    """What the site keeps of one resolved ``palette`` directive: where it is, how it shows, its swatches."""
    entry = PaletteRecord(
        docname=docname,
        anchor=request.anchor,
        source=redact_url(request.source) if request.remote else request.source,
        line=request.line,
        origin=result.origin,
        remote=request.remote,
        checked_at=result.checked_at,
    )
    if result.palette is None:
        return replace(
            entry, error=result.error or "no palette", subtype=str(result.subtype or Subtype.IMAGE)
        )
    title = request.title or result.label or file_label(result.image_url or request.source)
    shown_image = result.image_url if request.show_image else None
    swatches = []
    for swatch in result.palette:
        named = describe(swatch.rgb)
        # Shares as the page writes them (6 decimals), so the index and palettes.json agree with it.
        share = float(f"{swatch.share:.6f}")
        swatches.append(SwatchRecord(swatch.hex, swatch.rgb, share, named.name, named.family))
    return replace(
        entry,
        title=title,
        alt=request.alt or f"Colour palette of {title}: {len(result.palette)} colours",
        manifest=result.manifest_url,
        credit=request.credit if request.hide_credit else result.credit,
        image=shown_image if request.remote else request.image,
        swatches=tuple(swatches),
    )


def failed_record(docname: str, anchor: str, source: str, line: int) -> PaletteRecord:
    """The record of a directive refused while reading (bad option, path, missing file): a failure."""
    remote = is_url(source)
    return PaletteRecord(docname, anchor, source, line, origin="failed", remote=remote, error="refused")


def file_label(source: str) -> str:
    """The last part of a path or URL, to name an image that has no caption or label."""
    return source.rstrip("/").rsplit("/", 1)[-1] or source


def note_index(env: BuildEnvironment, docname: str) -> None:
    """Remember that ``docname`` holds a ``palette-index``."""
    PaletteEnvData.of(env).document(docname).has_index = True


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """Forget a document's data before it is read again or removed (``env-purge-doc``)."""
    PaletteEnvData.of(env).purge(docname)


def merge(app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment) -> None:
    """Take the data of the documents a parallel reader processed, and only those (``env-merge-info``)."""
    PaletteEnvData.of(env).merge(docnames, PaletteEnvData.of(other))


def index_pages_to_update(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Pages with a ``palette-index``, to be written again when any document was read or removed."""
    data = PaletteEnvData.of(env)
    if not data.reading and not data.removed_any:
        return []
    return sorted(data.index_documents() - data.reading)


def outdated_remote(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Documents whose remote palettes were last checked more than ``palette_remote_ttl`` ago."""
    data = PaletteEnvData.of(env)
    data.start_build(removed_any=bool(removed))
    # Documents whose palettes a build that did not finish never stored, offline or not.
    stale = [d for d, document in data.documents.items() if document.waiting and d not in removed | changed]
    config = PaletteConfig.from_sphinx(app.config)
    if config.is_offline():
        return sorted(stale)
    limit = time.time() - config.remote_ttl
    for docname, document in data.documents.items():
        if docname in removed or docname in changed or document.waiting:
            continue
        records = document.palettes
        checked = [r.checked_at for r in records if r.remote and r.checked_at is not None]
        failed = any(r.remote and r.origin == "failed" for r in records)
        if failed or (checked and min(checked) <= limit):
            stale.append(docname)
    return sorted(stale)


def site_palettes(env: BuildEnvironment) -> list[PaletteRecord]:
    """Every successful palette of the site, by document name, then in page order (once all arrived)."""
    wait_for_palettes(env)
    found = env.found_docs
    return [r for r in PaletteEnvData.of(env).all_palettes() if r.docname in found and r.swatches]


def export_json(app: Sphinx, exception: Exception | None) -> None:
    """Write ``_static/palettes.json`` for HTML builds when ``palette_export`` is on."""
    if exception is not None or app.builder.format != "html":
        return
    if not PaletteConfig.from_sphinx(app.config).export:
        return
    entries = (
        export_entry(
            r,
            page=app.builder.get_target_uri(r.docname),
            swatches=(Swatch(s.rgb, s.share) for s in r.swatches),
        )
        for r in site_palettes(app.env)
    )
    path = Path(app.outdir, EXPORT_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export_text(app.config.project, entries), encoding="utf-8")
