"""HTML rendering: a ``<figure class="palette">`` with a list of swatches sized by share.

The markup is the shared renderer's (`sphinx_palette.markup`, which the MkDocs plugin uses too); this
module writes it node by node, its start tags through docutils' ``starttag`` so that node ids, the author's
classes and Sphinx's figure numbers and permalinks work as for any node. The page needs no JavaScript;
``sphinx-palette.js`` only adds copy-on-click.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from docutils import nodes
from sphinx.util.osutil import relative_uri

from ... import markup
from ...markup import DOWNLOAD_DIR, SwatchView, download_stem
from ...settings import PaletteConfig
from ..derivatives import REMOTE_COPY_SIDE, derivative, uri_from
from ..nodes import palette, palette_bar, palette_caption, palette_swatch, swatches_of


def visit_palette_html(self, node: palette) -> None:
    """Open the ``<figure>`` (or write the placeholder) with the colours as custom properties."""
    if node.get("error"):
        self.body.append(self.starttag(node, "div", CLASS=" ".join(markup.PLACEHOLDER_CLASSES), role="note"))
        self.body.append(markup.placeholder_body(node["error"]))
        raise nodes.SkipNode
    with_image = bool(node.get("image_url")) or any(
        isinstance(c, nodes.Element) and "palette-media" in c["classes"] for c in node.children
    )
    classes = markup.figure_classes(node.get("widths", "share"), with_image)
    attributes = markup.figure_attributes(s["hex"] for s in swatches_of(node))
    self.body.append(self.starttag(node, "figure", CLASS=" ".join(classes), **attributes))
    if node.get("image_url"):
        self.body.append(_remote_image(self, node["image_url"], node.get("image_alt", "")))


def _remote_image(self, url: str, alt: str) -> str:
    """A remote :show-image: image: a copy in the output (with its size), or the URL.

    With ``palette_remote_images = "link"``, or when the image is not in the cache, the original URL.
    """
    if PaletteConfig.from_sphinx(self.builder.config).remote_images == "copy":
        made = derivative(self.builder, url, REMOTE_COPY_SIDE)
        if made is not None:
            path, width, height = made
            src = uri_from(self.builder, self.builder.current_docname, path)
            return markup.media_html(src, alt, (width, height))
    return markup.media_html(url, alt)


def depart_palette_html(self, node: palette) -> None:
    """Download links, if asked for, then close the figure."""
    # E-books cannot offer files to download (and EPUB has no media type for .gpl).
    if node.get("download") and not self.builder.name.startswith("epub"):
        self.body.append(_download_links(self, node))
    self.body.append(markup.FIGURE_END)


def visit_palette_bar_html(self, node: palette_bar) -> None:
    """The list of swatches, named for assistive technology."""
    self.body.append(self.starttag(node, "ul", **markup.bar_attributes(node["label"])))


def depart_palette_bar_html(self, node: palette_bar) -> None:
    """Close the list."""
    self.body.append(markup.BAR_END)


def visit_palette_swatch_html(self, node: palette_swatch) -> None:
    """One list item: background, ink, hex code, and share and name for screen readers and tooltips."""
    swatch = _swatch_view(node)
    self.body.append(self.starttag(node, "li", **markup.swatch_attributes(swatch)))
    self.body.append(markup.swatch_label(swatch))
    raise nodes.SkipNode


def visit_palette_caption_html(self, node: palette_caption) -> None:
    """A ``<figcaption>`` with the palette's number when ``numfig`` is on."""
    self.body.append(self.starttag(node, "figcaption", CLASS="palette-caption"))
    self.add_fignumber(node.parent)


def depart_palette_caption_html(self, node: palette_caption) -> None:
    """Permalink, then close."""
    self.add_permalink_ref(node.parent, markup.PERMALINK_TITLE)
    self.body.append(markup.CAPTION_END)


def visit_palette_credit_html(self, node: nodes.Element) -> None:
    """The credit line."""
    self.body.append(self.starttag(node, "p", CLASS="palette-credit"))


def depart_palette_credit_html(self, node: nodes.Element) -> None:
    """A link to the IIIF manifest, when there is one, then close."""
    self.body.append(markup.credit_end(node.parent.get("manifest_url") if node.parent else None))


def _swatch_view(node: palette_swatch) -> SwatchView:
    return SwatchView(node["hex"], float(node["share"]), node.get("name", ""), node.get("family", ""))


def _download_links(self, node: palette) -> str:
    """Write the palette's ``.gpl`` and ``.json`` next to the pages and link them."""
    stem = download_stem(node.get("docname", self.builder.current_docname), node["ids"][0])
    title = node.get("title") or node["ids"][0]
    folder = Path(self.builder.outdir, DOWNLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    base = self.builder.get_target_uri(self.builder.current_docname)
    links = []
    for suffix, text, label in markup.download_files(title, [_swatch_view(s) for s in swatches_of(node)]):
        Path(folder, stem + suffix).write_text(text, encoding="utf-8")
        links.append((relative_uri(base, posixpath.join(DOWNLOAD_DIR, stem + suffix)), label))
    return markup.downloads_html(links)
