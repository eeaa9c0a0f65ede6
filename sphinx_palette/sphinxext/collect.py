"""Site-wide palette data: one plain record per palette, kept in the environment by document.

Records are purged and merged per document, so ``-j`` builds see exactly what serial builds see. They feed
the end-of-build summary (`report`), ``palettes.json``, the ``palette-index`` directive and re-reads of
documents whose remote images are due for a check.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from ..remote.service import PaletteResult
from ..remote.urls import is_url, redact_url
from ..settings import PaletteConfig
from .nodes import swatches_of

logger = logging.getLogger(__name__)

EXPORT_PATH = "_static/palettes.json"
EXPORT_FORMAT = 1


def entries(env: BuildEnvironment) -> dict[str, list[dict]]:
    """The records, by docname (created on first use)."""
    if not hasattr(env, "palette_entries"):
        env.palette_entries = {}  # type: ignore[attr-defined]
    return env.palette_entries  # type: ignore[attr-defined]


def record(
    env: BuildEnvironment,
    docname: str,
    node_id: str,
    source: str,
    result: PaletteResult,
    line: int,
    node: nodes.Element | None = None,
) -> None:
    """Keep what the site needs to know of one palette directive."""
    entry: dict = {
        "docname": docname,
        "anchor": node_id,
        "source": redact_url(source) if is_url(source) else source,
        "line": line,
        "origin": result.origin,
        "remote": is_url(source),
        "checked_at": result.checked_at,
    }
    if node is not None and result.palette is not None:
        entry["title"] = node.get("title", "")
        entry["manifest"] = result.manifest_url
        entry["credit"] = next((c.astext() for c in node.findall(_is_credit)), None)
        entry["image"] = node.get("image_url") or _local_image(env, docname, node)
        entry["swatches"] = [
            {
                "hex": s["hex"],
                "rgb": [int(c) for c in s["rgb"].split(",")],
                "share": float(s["share"]),
                "name": s["name"],
                "family": s["family"],
            }
            for s in swatches_of(node)
        ]
    entries(env).setdefault(docname, []).append(entry)


def index_docs(env: BuildEnvironment) -> set[str]:
    """The documents holding a ``palette-index`` (created on first use)."""
    if not hasattr(env, "palette_index_docs"):
        env.palette_index_docs = set()  # type: ignore[attr-defined]
    return env.palette_index_docs  # type: ignore[attr-defined]


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """Forget a document's palettes before it is read again or removed."""
    entries(env).pop(docname, None)
    index_docs(env).discard(docname)


def merge(app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment) -> None:
    """Take the records of the documents a parallel reader processed, and only those."""
    theirs = entries(other)
    mine = entries(env)
    their_indexes = index_docs(other)
    for docname in docnames:
        if docname in theirs:
            mine[docname] = theirs[docname]
        if docname in their_indexes:
            index_docs(env).add(docname)


def index_pages_to_update(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Pages with a ``palette-index``, to be written again when any document was read or removed."""
    reading: set[str] = getattr(app, "_palette_reading", set())
    if not reading and not getattr(app, "_palette_removed", False):
        return []
    return sorted(index_docs(env) - reading)


def outdated_remote(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Documents whose remote palettes were last checked more than ``palette_remote_ttl`` ago."""
    app._palette_removed = bool(removed)  # type: ignore[attr-defined]
    config = PaletteConfig.from_sphinx(app.config)
    if config.is_offline():
        return []
    limit = time.time() - config.remote_ttl
    stale = []
    for docname, records in entries(env).items():
        if docname in removed or docname in changed:
            continue
        checked = [r["checked_at"] for r in records if r["remote"] and r.get("checked_at") is not None]
        failed = any(r["remote"] and r["origin"] == "failed" for r in records)
        if failed or (checked and min(checked) <= limit):
            stale.append(docname)
    return sorted(stale)


def site_palettes(env: BuildEnvironment) -> list[dict]:
    """Every successful palette of the site, by document name, then in page order."""
    found = env.found_docs
    return [
        r
        for docname in sorted(entries(env))
        if docname in found
        for r in entries(env)[docname]
        if r.get("swatches")
    ]


def export_json(app: Sphinx, exception: Exception | None) -> None:
    """Write ``_static/palettes.json`` for HTML builds when ``palette_export`` is on."""
    if exception is not None or app.builder.format != "html":
        return
    if not PaletteConfig.from_sphinx(app.config).export:
        return
    palettes = []
    for r in site_palettes(app.env):
        palettes.append(
            {
                "page": app.builder.get_target_uri(r["docname"]),
                "docname": r["docname"],
                "anchor": r["anchor"],
                "title": r["title"],
                "source": r["source"],
                "credit": r.get("credit"),
                "manifest": r.get("manifest"),
                "swatches": r["swatches"],
            }
        )
    path = Path(app.outdir, EXPORT_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"format": EXPORT_FORMAT, "project": app.config.project, "palettes": palettes}
    path.write_text(
        json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )


def _is_credit(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Element) and node.tagname == "palette_credit"


def _local_image(env: BuildEnvironment, docname: str, node: nodes.Element) -> str | None:
    """The shown local image as a path relative to the source directory, as Sphinx keys its images."""
    image = next(node.findall(nodes.image), None)
    return None if image is None else env.relfn2path(image["uri"], docname)[0]
