"""The palette block's HTML, written once for every front end.

A ``<figure class="palette">`` holding an optional image, a ``<ul class="palette-bar">`` of swatches sized
by share (each with ``data-hex`` / ``data-share`` / ``data-name`` and its hex code in the ink that contrasts
most), an optional caption, credit and download links; or, when there is no palette, a placeholder
``<div class="palette-error" role="note">``. Class names and structure are what the stylesheet and the copy
script (``sphinxext/static``) expect.

Two ways to use it. The Sphinx extension renders nodes: it writes each start tag with docutils' ``starttag``
(which adds the node's ids and the author's classes) from the ``*_attributes`` given here, and the rest of
each piece as given here. String front ends (MkDocs) take whole pieces (`palette_html`, `bar_html`,
`placeholder_html`), whose start tags `start_tag` writes as docutils does, so both give the same bytes.
No framework is imported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from .engine.colour import hex_to_rgb, text_colour_for
from .engine.exports import gpl_text, json_text, percent

__all__ = [
    "BAR_END",
    "CAPTION_END",
    "DOWNLOAD_DIR",
    "FIGURE_END",
    "PERMALINK_TITLE",
    "PLACEHOLDER_CLASSES",
    "PaletteView",
    "SwatchView",
    "bar_attributes",
    "bar_html",
    "class_names",
    "credit_end",
    "download_files",
    "download_stem",
    "downloads_html",
    "figure_attributes",
    "figure_classes",
    "media_html",
    "palette_html",
    "placeholder_body",
    "placeholder_html",
    "start_tag",
    "swatch_attributes",
    "swatch_html",
    "swatch_label",
    "thumbnail_html",
]

#: The folder of the output, beside the pages, where palettes' ``.gpl`` and ``.json`` downloads are written.
DOWNLOAD_DIR = "_palettes"
FIGURE_END = "</figure>\n"
BAR_END = "</ul>\n"
CAPTION_END = "</figcaption>\n"
#: The permalink's tooltip in the caption.
PERMALINK_TITLE = "Link to this palette"
#: The placeholder's own classes, after the author's.
PLACEHOLDER_CLASSES = ("palette", "palette-error")

_WHITESPACE = re.compile("[\n\r\t\v\f]")
# The characters docutils escapes in attribute values (``HTMLTranslator.special_characters``).
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;", ">": "&gt;", "@": "&#64;"})


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
    #: ``(width, height)`` of the shown image when known (a copy written into the site).
    image_size: tuple[int, int] | None = None
    caption_html: str | None = None
    credit_html: str | None = None
    manifest_url: str | None = None
    downloads: tuple[tuple[str, str], ...] = ()


def start_tag(tag: str, attributes: Mapping[str, str], ids: Sequence[str] = ()) -> str:
    """A start tag as docutils' ``starttag`` writes it, then a newline.

    Attributes are sorted by name and escaped as docutils escapes them; the first of ``ids`` is the ``id``,
    any further one an empty ``<span>`` just inside the element.
    """
    written = dict(attributes)
    if ids:
        written["id"] = ids[0]
    parts = [tag, *(f'{name}="{_attribute_value(value)}"' for name, value in sorted(written.items()))]
    extra = "".join(f'<span id="{i}"></span>' for i in ids[1:])
    return f"<{' '.join(parts)}>\n{extra}"


def class_names(*names: str) -> str:
    """A ``class`` value: the names in order, each once (as docutils merges a node's classes)."""
    return " ".join(dict.fromkeys(n for n in names if n.strip()))


def figure_classes(widths: str, with_image: bool) -> list[str]:
    """The figure's own classes, which follow the author's."""
    return ["palette", f"palette-widths-{widths}", *(["palette-with-image"] if with_image else [])]


def figure_attributes(hexes: Iterable[str]) -> dict[str, str]:
    """The figure's colours as custom properties (``--palette-1`` ...), for themes and authors' CSS."""
    return {"style": ";".join(f"--palette-{i}:{h}" for i, h in enumerate(hexes, start=1))}


def media_html(src: str, alt: str, size: tuple[int, int] | None = None) -> str:
    """The image shown beside the palette, lazily loaded; ``size`` is its (width, height) when known."""
    dimensions = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return (
        f'<div class="palette-media"><img src="{escape(src, quote=True)}"{dimensions} '
        f'alt="{escape(alt, quote=True)}" loading="lazy" decoding="async"/></div>\n'
    )


def thumbnail_html(src: str, size: tuple[int, int] | None = None) -> str:
    """A browse-index thumbnail, lazily loaded and decorative (its entry's title names it)."""
    dimensions = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return (
        f'<img class="palette-index-thumb" src="{escape(src, quote=True)}"{dimensions} '
        'alt="" loading="lazy" decoding="async"/>'
    )


def bar_attributes(label: str) -> dict[str, str]:
    """The swatch list, named ``label`` for assistive technology."""
    return {"class": "palette-bar", "aria-label": label}


def bar_html(swatches: Sequence[SwatchView], label: str) -> str:
    """The ``<ul>`` of swatches, named ``label`` for assistive technology."""
    return start_tag("ul", bar_attributes(label)) + "".join(swatch_html(s) for s in swatches) + BAR_END


def swatch_attributes(swatch: SwatchView) -> dict[str, str]:
    """Background, ink and share of one swatch, with hex code, share and name for tooltips and scripts."""
    share = f"{swatch.share:.6f}"
    ink = text_colour_for(hex_to_rgb(swatch.hex))
    described = f"{swatch.hex}, {percent(swatch.share)}" + (
        f", {swatch.name} ({swatch.family})" if swatch.name else ""
    )
    attributes = {
        "class": "palette-swatch",
        "style": f"background-color:{swatch.hex};color:{ink};--share:{share}",
        "data-hex": swatch.hex,
        "data-share": share,
        "title": described,
    }
    if swatch.name:
        attributes["data-name"] = swatch.name
        attributes["data-family"] = swatch.family
    return attributes


def swatch_label(swatch: SwatchView) -> str:
    """The swatch's visible label, then the end of its list item."""
    # One inline label, so that the spaces between code, share and name survive the flex layout.
    label = (
        f'<span class="palette-label"><span class="palette-hex">{swatch.hex}</span>'
        f'<span class="palette-share"> {escape(percent(swatch.share))}</span>'
    )
    if swatch.name:
        label += f'<span class="palette-name">, {escape(swatch.name)} ({escape(swatch.family)})</span>'
    return label + "</span></li>\n"


def swatch_html(swatch: SwatchView) -> str:
    """One ``<li>`` of the swatch bar."""
    return start_tag("li", swatch_attributes(swatch)) + swatch_label(swatch)


def credit_end(manifest_url: str | None) -> str:
    """The end of the credit line: a link to the IIIF manifest, when there is one."""
    if not manifest_url:
        return "</p>\n"
    href = escape(manifest_url, quote=True)
    return f' <a class="palette-manifest reference external" href="{href}">IIIF manifest</a></p>\n'


def download_stem(docname: str, anchor: str) -> str:
    """File name (without suffix) of a palette's downloads: unique per page and palette."""
    return f"{docname.replace('/', '-')}--{anchor}"


def download_files(title: str, swatches: Sequence[SwatchView]) -> list[tuple[str, str, str]]:
    """The files a palette offers for download: ``(suffix, text, link label)`` for ``.gpl`` and ``.json``."""
    rows = [{"hex": s.hex, "share": s.share, "name": s.name} for s in swatches]
    return [
        (".gpl", gpl_text(title, rows), "GIMP palette (.gpl)"),
        (".json", json_text(title, rows), "JSON"),
    ]


def downloads_html(links: Iterable[tuple[str, str]]) -> str:
    """The download links, ``(href, label)`` pairs."""
    anchors = " · ".join(
        f'<a class="palette-download" href="{escape(href)}" download>{escape(label)}</a>'
        for href, label in links
    )
    return f'<p class="palette-downloads">Download: {anchors}</p>\n'


def placeholder_body(message: str) -> str:
    """What the placeholder says, then its end."""
    return (
        '<p class="palette-error-message"><span class="palette-error-title">Palette unavailable.</span> '
        f"{escape(message)}</p></div>\n"
    )


def placeholder_html(message: str, anchor: str, classes: Sequence[str] = ()) -> str:
    """The visible note shown instead of a palette that could not be made."""
    attributes = {"class": class_names(*classes, *PLACEHOLDER_CLASSES), "role": "note"}
    return start_tag("div", attributes, (anchor,)) + placeholder_body(message)


def palette_html(view: PaletteView) -> str:
    """The whole ``<figure>`` of one palette, for front ends that write strings."""
    classes = class_names(*view.classes, *figure_classes(view.widths, bool(view.image_src)))
    attributes = {"class": classes, **figure_attributes(s.hex for s in view.swatches)}
    parts = [start_tag("figure", attributes, (view.anchor,))]
    if view.image_src:
        parts.append(media_html(view.image_src, view.image_alt, view.image_size))
    parts.append(bar_html(view.swatches, view.alt))
    if view.caption_html is not None:
        permalink = f'<a class="headerlink" href="#{escape(view.anchor)}" title="{PERMALINK_TITLE}">¶</a>'
        parts.append(start_tag("figcaption", {"class": "palette-caption"}) + view.caption_html + permalink)
        parts.append(CAPTION_END)
    if view.credit_html is not None:
        parts.append(start_tag("p", {"class": "palette-credit"}) + view.credit_html)
        parts.append(credit_end(view.manifest_url))
    if view.downloads:
        parts.append(downloads_html(view.downloads))
    parts.append(FIGURE_END)
    return "".join(parts)


def _attribute_value(text: str) -> str:
    return _WHITESPACE.sub(" ", text).translate(_ATTRIBUTE_ESCAPES)
