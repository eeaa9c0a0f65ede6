"""``.. palette-index::``: every palette of the site, grouped by hue family, linking to its page."""

from __future__ import annotations

import fnmatch

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ..engine.names import FAMILIES
from ..engine.thumbnails import THUMBNAIL_SIDE
from ..markup import thumbnail_html
from ..options import index_families, parse_index_options
from ..warning_kinds import WARNING_TYPE, Subtype
from . import collect
from .collect import site_palettes
from .derivatives import derivative, uri_from
from .envdata import PaletteRecord
from .nodes import make_swatch, palette_bar, palette_index

logger = logging.getLogger(__name__)


class PaletteIndexDirective(SphinxDirective):
    """Insert the browse-by-colour index; it is filled in once all documents have been read."""

    has_content = False
    option_spec = {
        "docs": directives.unchanged_required,
        "order": directives.unchanged_required,
        "class": directives.class_option,
    }

    def run(self) -> list[nodes.Node]:
        """A placeholder, filled in by `resolve_indexes` once every document has been read."""
        options = parse_index_options(self.options)
        for notice in options.notices:
            logger.warning(notice, location=self.get_location(), type=WARNING_TYPE, subtype=Subtype.OPTION)
        node = palette_index(
            patterns=list(options.patterns),
            order=options.order,
            classes=["palette-index", *options.classes],
        )
        self.set_source_info(node)
        # The index lists other documents' palettes: it is rewritten (not re-read) whenever any of them
        # changes; see `collect.index_pages_to_update`.
        collect.note_index(self.env, self.env.docname)
        return [node]


def families_of(entry: PaletteRecord) -> list[str]:
    """The hue families the index lists a palette under (`index_families`), in display order."""
    return index_families((s.family, s.share) for s in entry.swatches)


def resolve_indexes(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace each ``palette_index`` placeholder by grouped lists of links."""
    for placeholder in list(doctree.findall(palette_index)):
        _warn_if_no_document_matches(app, placeholder)
        chosen = [
            e
            for e in site_palettes(app.env)
            if any(fnmatch.fnmatchcase(e.docname, p) for p in placeholder["patterns"])
        ]
        if placeholder["order"] == "title":
            chosen.sort(key=lambda e: (e.title.casefold(), e.docname, e.anchor))
        elif placeholder["order"] == "share":
            chosen.sort(key=lambda e: (-e.swatches[0].share, e.docname, e.anchor))
        placeholder.replace_self(_render(app, docname, chosen, placeholder["classes"]))


def _thumbnail(app: Sphinx, docname: str, image: str) -> nodes.raw | None:
    """A real thumbnail (a few KB, width and height, lazily loaded) of a local or cached remote image."""
    made = derivative(app.builder, image, THUMBNAIL_SIDE)
    if made is None:
        return None
    path, width, height = made
    html = thumbnail_html(uri_from(app.builder, docname, path), (width, height))
    return nodes.raw("", html, format="html")


def _warn_if_no_document_matches(app: Sphinx, placeholder: palette_index) -> None:
    """A ``:docs:`` that matches no document is a typo more often than not: say so."""
    patterns = placeholder["patterns"]
    if any(fnmatch.fnmatchcase(d, p) for d in app.env.found_docs for p in patterns):
        return
    logger.warning(
        "palette-index :docs: %s matches no document",
        " ".join(patterns),
        location=placeholder,
        type=WARNING_TYPE,
        subtype=Subtype.OPTION,
    )


def _render(app: Sphinx, docname: str, chosen: list[PaletteRecord], classes: list[str]) -> nodes.Element:
    container = nodes.container(classes=classes)
    groups = {family: [e for e in chosen if family in families_of(e)] for family in FAMILIES}
    present = [f for f in FAMILIES if groups[f]]
    if not present:
        container += nodes.paragraph("", "No palettes found.")
        return container
    chips = nodes.bullet_list(classes=["palette-index-chips"])
    for family in present:
        chips += nodes.list_item(
            "", nodes.paragraph("", f"{family} ({len(groups[family])})"), classes=[f"palette-chip-{family}"]
        )
    container += chips
    for family in present:
        section = nodes.container(classes=["palette-index-family", f"palette-family-{family}"])
        section["ids"] = [f"palette-family-{family}"]
        section += nodes.rubric("", family.capitalize())
        items = nodes.bullet_list(classes=["palette-index-entries"])
        for entry in groups[family]:
            items += _entry(app, docname, entry)
        section += items
        container += section
    return container


def _entry(app: Sphinx, docname: str, entry: PaletteRecord) -> nodes.list_item:
    item = nodes.list_item(classes=["palette-index-entry"])
    if entry.docname == docname or app.builder.name == "singlehtml":
        # On the same page; singlehtml puts every document on one page, where ids are unique.
        link = nodes.reference("", "", internal=True, refid=entry.anchor)
    else:
        uri = app.builder.get_relative_uri(docname, entry.docname) + "#" + entry.anchor
        link = nodes.reference("", "", internal=True, refuri=uri)
    if entry.image and app.builder.format == "html":
        thumbnail = _thumbnail(app, docname, entry.image)
        if thumbnail is not None:
            link += thumbnail
    link += nodes.inline("", entry.title or entry.docname, classes=["palette-index-title"])
    item += nodes.paragraph("", "", link)
    bar = palette_bar(label=f"Colours of {entry.title}")
    for swatch in entry.swatches:
        bar += make_swatch(swatch.hex, swatch.share, swatch.name, swatch.family)
    item += bar
    return item
