"""``palettes.json``: every palette of a site in one document (``schemas/palettes.schema.json``), written the
same way by every front end."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .engine import Swatch

EXPORT_PATH = "_static/palettes.json"
EXPORT_FORMAT = 1


def export_entry(
    *,
    page: str,
    docname: str,
    anchor: str,
    title: str,
    source: str,
    credit: str | None,
    manifest: str | None,
    swatches: Iterable[Swatch],
) -> dict[str, Any]:
    """One palette of the site: where it is shown, what it was taken from, and its swatches."""
    return {
        "page": page,
        "docname": docname,
        "anchor": anchor,
        "title": title,
        "source": source,
        "credit": credit,
        "manifest": manifest,
        "swatches": [swatch.to_dict() for swatch in swatches],
    }


def export_text(project: str, entries: Iterable[dict[str, Any]]) -> str:
    """The whole document, with sorted keys so that the same site gives the same bytes."""
    document = {"format": EXPORT_FORMAT, "project": project, "palettes": list(entries)}
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
