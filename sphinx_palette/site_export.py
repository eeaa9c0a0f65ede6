"""``palettes.json``: every palette of a site in one document (``schemas/palettes.schema.json``), written the
same way by every front end."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from .engine import Swatch

EXPORT_PATH = "_static/palettes.json"
EXPORT_FORMAT = 1


class ListedPalette(Protocol):
    """What a front end knows of one palette of its site (its own record type, read-only here)."""

    @property
    def docname(self) -> str: ...
    @property
    def anchor(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def credit(self) -> str | None: ...
    @property
    def manifest(self) -> str | None: ...


def export_entry(palette: ListedPalette, *, page: str, swatches: Iterable[Swatch]) -> dict[str, Any]:
    """One palette of the site: where it is shown (``page``, the front end's address of its document), what
    it was taken from, and its swatches."""
    return {
        "page": page,
        "docname": palette.docname,
        "anchor": palette.anchor,
        "title": palette.title,
        "source": palette.source,
        "credit": palette.credit,
        "manifest": palette.manifest,
        "swatches": [swatch.to_dict() for swatch in swatches],
    }


def export_text(project: str, entries: Iterable[dict[str, Any]]) -> str:
    """The whole document, with sorted keys so that the same site gives the same bytes."""
    document = {"format": EXPORT_FORMAT, "project": project, "palettes": list(entries)}
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
