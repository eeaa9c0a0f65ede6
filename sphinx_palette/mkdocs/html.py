"""The palette markup as strings, for front ends without docutils: the same HTML the Sphinx extension writes.

A ``<figure class="palette">`` holding a ``<ul class="palette-bar">`` of swatches sized by share (each
with ``data-hex`` / ``data-share`` / ``data-name``, its hex code in the ink that contrasts most), an
optional image, caption, credit and download links; a placeholder ``<div class="palette-error"
role="note">`` when there is no palette; the browse-by-colour index. The stylesheet and the copy script
are the Sphinx extension's (``sphinx_palette/sphinxext/static``), so class names and structure must stay
as they are there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ..engine.colour import hex_to_rgb, text_colour_for
from ..engine.exports import percent
from ..engine.names import FAMILIES
from ..options import index_families


@dataclass(frozen=True)
class SwatchView:
    """One swatch as shown: hex code, share of the pixels, CSS colour name and hue family."""

    hex: str
    share: float
    name: str
    family: str


@dataclass(frozen=True)
class PaletteView:
    """Everything one palette block shows; ``caption_html`` and ``credit_html`` are already markup."""

    anchor: str
    swatches: tuple[SwatchView, ...]
    alt: str
    widths: str = "share"
    classes: tuple[str, ...] = ()
    image_src: str | None = None
    image_alt: str = ""
    caption_html: str | None = None
    credit_html: str | None = None
    manifest_url: str | None = None
    downloads: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class IndexEntry:
    """One palette in the browse index: link, title, optional thumbnail, swatches."""

    href: str
    title: str
    swatches: tuple[SwatchView, ...]
    thumbnail: str | None = None


def palette_html(view: PaletteView) -> str:
    """The ``<figure>`` of one palette."""
    classes = [*view.classes, "palette", f"palette-widths-{view.widths}"]
    if view.image_src:
        classes.append("palette-with-image")
    properties = ";".join(f"--palette-{i}:{s.hex}" for i, s in enumerate(view.swatches, start=1))
    parts = [
        f'<figure class="{escape(" ".join(classes))}" id="{escape(view.anchor)}" style="{properties}">\n'
    ]
    if view.image_src:
        parts.append(
            f'<div class="palette-media"><img src="{escape(view.image_src)}" alt="{escape(view.image_alt)}"'
            ' loading="lazy" decoding="async"/></div>\n'
        )
    parts.append(bar_html(view.swatches, view.alt))
    if view.caption_html is not None:
        parts.append(
            f'<figcaption class="palette-caption">\n{view.caption_html}<a class="headerlink" '
            f'href="#{escape(view.anchor)}" title="Link to this palette">¶</a></figcaption>\n'
        )
    if view.credit_html is not None:
        manifest = ""
        if view.manifest_url:
            manifest = (
                f' <a class="palette-manifest reference external" href="{escape(view.manifest_url)}">'
                "IIIF manifest</a>"
            )
        parts.append(f'<p class="palette-credit">\n{view.credit_html}{manifest}</p>\n')
    if view.downloads:
        links = " · ".join(
            f'<a class="palette-download" href="{escape(href)}" download>{escape(label)}</a>'
            for href, label in view.downloads
        )
        parts.append(f'<p class="palette-downloads">Download: {links}</p>\n')
    parts.append("</figure>\n")
    return "".join(parts)


def bar_html(swatches: Sequence[SwatchView], label: str) -> str:
    """The ``<ul>`` of swatches, named ``label`` for assistive technology."""
    items = "".join(_swatch_html(s) for s in swatches)
    return f'<ul aria-label="{escape(label)}" class="palette-bar">\n{items}</ul>\n'


def _swatch_html(swatch: SwatchView) -> str:
    shown = percent(swatch.share)
    share = f"{swatch.share:.6f}"
    ink = text_colour_for(hex_to_rgb(swatch.hex))
    described = f"{swatch.hex}, {shown}" + (f", {swatch.name} ({swatch.family})" if swatch.name else "")
    named = (
        f' data-family="{escape(swatch.family)}" data-hex="{swatch.hex}" data-name="{escape(swatch.name)}"'
        if swatch.name
        else f' data-hex="{swatch.hex}"'
    )
    label = f'<span class="palette-hex">{swatch.hex}</span><span class="palette-share"> {shown}</span>'
    if swatch.name:
        label += f'<span class="palette-name">, {escape(swatch.name)} ({escape(swatch.family)})</span>'
    return (
        f'<li class="palette-swatch"{named} data-share="{share}" '
        f'style="background-color:{swatch.hex};color:{ink};--share:{share}" title="{escape(described)}">\n'
        f'<span class="palette-label">{label}</span></li>\n'
    )


def placeholder_html(message: str, anchor: str, classes: Sequence[str] = ()) -> str:
    """The visible note shown instead of a palette that could not be made."""
    names = " ".join(["palette", *classes, "palette-error"])
    return (
        f'<div class="{escape(names)}" id="{escape(anchor)}" role="note">'
        '<p class="palette-error-message"><span class="palette-error-title">Palette unavailable.</span> '
        f"{escape(message)}</p></div>\n"
    )


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
            thumb = (
                f'<img alt="" class="palette-index-thumb" src="{escape(entry.thumbnail)}"/>'
                if entry.thumbnail
                else ""
            )
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
