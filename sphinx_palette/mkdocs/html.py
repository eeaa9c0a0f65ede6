"""The browse-by-colour index as a string: the markup Sphinx writes for the index's docutils nodes.

The palette blocks themselves come from the shared renderer, `sphinx_palette.markup`. The stylesheet is the
Sphinx extension's (``sphinx_palette/sphinxext/static``), so class names and structure must stay as they
are there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ..engine.names import FAMILIES
from ..markup import SwatchView, bar_html, thumbnail_html
from ..options import index_families


@dataclass(frozen=True)
class IndexEntry:
    """One palette in the browse index: link, title, swatches, optional thumbnail and its size."""

    href: str
    title: str
    swatches: tuple[SwatchView, ...]
    thumbnail: str | None = None
    thumbnail_size: tuple[int, int] | None = None


def index_html(entries: Sequence[IndexEntry], classes: Sequence[str]) -> str:
    """The browse-by-colour index: family chips, then each family's palettes with links to their pages."""
    names = escape(" ".join(["palette-index", *classes]))
    listed = [(e, index_families((s.family, s.share) for s in e.swatches)) for e in entries]
    groups = {f: [e for e, families in listed if f in families] for f in FAMILIES}
    present = [f for f in FAMILIES if groups[f]]
    if not present:
        return f'<div class="{names}">\n<p>No palettes found.</p>\n</div>\n'
    chips = "".join(f'<li class="palette-chip-{f}"><p>{f} ({len(groups[f])})</p></li>\n' for f in present)
    parts = [f'<div class="{names}">\n<ul class="palette-index-chips">\n{chips}</ul>\n']
    for family in present:
        parts.append(
            f'<div class="palette-index-family palette-family-{family}" id="palette-family-{family}">\n'
            f'<p class="rubric">{family.capitalize()}</p>\n<ul class="palette-index-entries">\n'
        )
        for entry in groups[family]:
            thumb = thumbnail_html(entry.thumbnail, entry.thumbnail_size) if entry.thumbnail else ""
            link = f'<a class="reference internal" href="{escape(entry.href)}">'
            parts.append(
                f'<li class="palette-index-entry"><p>{link}'
                f'{thumb}<span class="palette-index-title">{escape(entry.title)}</span></a></p>\n'
                + bar_html(entry.swatches, f"Colours of {entry.title}")
                + "</li>\n"
            )
        parts.append("</ul>\n</div>\n")
    parts.append("</div>\n")
    return "".join(parts)
