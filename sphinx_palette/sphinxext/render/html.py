"""HTML rendering: a ``<figure class="palette">`` with a list of swatches sized by share.

Each swatch carries ``data-hex`` / ``data-share`` / ``data-name`` and prints its hex code in black or white,
whichever contrasts more. The page needs no JavaScript; ``sphinx-palette.js`` only adds copy-on-click.
"""

from __future__ import annotations

import html
import posixpath
from pathlib import Path

from docutils import nodes
from sphinx.util.osutil import relative_uri

from ...engine.exports import gpl_text, json_text, percent
from ...settings import PaletteConfig
from ..derivatives import REMOTE_COPY_SIDE, derivative, uri_from
from ..nodes import palette, palette_bar, palette_caption, palette_swatch, swatches_of

DOWNLOAD_DIR = "_palettes"


def visit_palette_html(self, node: palette) -> None:
    """Open the ``<figure>`` (or write the placeholder) with the colours as custom properties."""
    classes = ["palette", *node.get("classes", [])]
    if node.get("error"):
        classes.append("palette-error")
        self.body.append(self.starttag(node, "div", CLASS=" ".join(classes), role="note"))
        message = html.escape(node["error"])
        self.body.append(
            f'<p class="palette-error-message"><span class="palette-error-title">Palette unavailable.</span> '
            f"{message}</p></div>\n"
        )
        raise nodes.SkipNode
    classes.append(f"palette-widths-{node.get('widths', 'share')}")
    if node.get("image_url") or any(
        isinstance(c, nodes.Element) and "palette-media" in c["classes"] for c in node.children
    ):
        classes.append("palette-with-image")
    properties = ";".join(f"--palette-{i}:{s['hex']}" for i, s in enumerate(swatches_of(node), start=1))
    self.body.append(self.starttag(node, "figure", CLASS=" ".join(classes), style=properties))
    if node.get("image_url"):
        alt = html.escape(node.get("image_alt", ""), quote=True)
        self.body.append(
            f'<div class="palette-media"><img {_remote_image(self, node["image_url"])} alt="{alt}" '
            'loading="lazy" decoding="async"/></div>\n'
        )


def _remote_image(self, url: str) -> str:
    """``src`` (and ``width``/``height``) of a remote :show-image: image: a copy in the output, or the URL.

    With ``palette_remote_images = "link"``, or when the image is not in the cache, the original URL.
    """
    if PaletteConfig.from_sphinx(self.builder.config).remote_images == "copy":
        made = derivative(self.builder, url, REMOTE_COPY_SIDE)
        if made is not None:
            path, width, height = made
            src = uri_from(self.builder, self.builder.current_docname, path)
            return f'src="{html.escape(src, quote=True)}" width="{width}" height="{height}"'
    return f'src="{html.escape(url, quote=True)}"'


def depart_palette_html(self, node: palette) -> None:
    """Download links, if asked for, then close the figure."""
    # E-books cannot offer files to download (and EPUB has no media type for .gpl).
    if node.get("download") and not self.builder.name.startswith("epub"):
        self.body.append(_download_links(self, node))
    self.body.append("</figure>\n")


def visit_palette_bar_html(self, node: palette_bar) -> None:
    """The list of swatches, named for assistive technology."""
    self.body.append(self.starttag(node, "ul", CLASS="palette-bar", **{"aria-label": node["label"]}))


def depart_palette_bar_html(self, node: palette_bar) -> None:
    """Close the list."""
    self.body.append("</ul>\n")


def visit_palette_swatch_html(self, node: palette_swatch) -> None:
    """One list item: background, ink, hex code, and share and name for screen readers and tooltips."""
    share = float(node["share"])
    shown = percent(share)
    name = node.get("name", "")
    family = node.get("family", "")
    described = f"{node['hex']}, {shown}" + (f", {name} ({family})" if name else "")
    attributes = {
        "style": f"background-color:{node['hex']};color:{node['ink']};--share:{node['share']}",
        "data-hex": node["hex"],
        "data-share": node["share"],
        "title": described,
    }
    if name:
        attributes["data-name"] = name
        attributes["data-family"] = family
    self.body.append(self.starttag(node, "li", CLASS="palette-swatch", **attributes))
    # One inline label, so that the spaces between code, share and name survive the flex layout.
    self.body.append(f'<span class="palette-label"><span class="palette-hex">{node["hex"]}</span>')
    self.body.append(f'<span class="palette-share"> {shown}</span>')
    if name:
        self.body.append(f'<span class="palette-name">, {html.escape(name)} ({html.escape(family)})</span>')
    self.body.append("</span></li>\n")
    raise nodes.SkipNode


def visit_palette_caption_html(self, node: palette_caption) -> None:
    """A ``<figcaption>`` with the palette's number when ``numfig`` is on."""
    self.body.append(self.starttag(node, "figcaption", CLASS="palette-caption"))
    self.add_fignumber(node.parent)


def depart_palette_caption_html(self, node: palette_caption) -> None:
    """Permalink, then close."""
    self.add_permalink_ref(node.parent, "Link to this palette")
    self.body.append("</figcaption>\n")


def visit_palette_credit_html(self, node: nodes.Element) -> None:
    """The credit line."""
    self.body.append(self.starttag(node, "p", CLASS="palette-credit"))


def depart_palette_credit_html(self, node: nodes.Element) -> None:
    """A link to the IIIF manifest, when there is one, then close."""
    manifest = node.parent.get("manifest_url") if node.parent else None
    if manifest:
        href = html.escape(manifest, quote=True)
        self.body.append(f' <a class="palette-manifest reference external" href="{href}">IIIF manifest</a>')
    self.body.append("</p>\n")


def _download_links(self, node: palette) -> str:
    """Write the palette's ``.gpl`` and ``.json`` next to the pages and link them."""
    stem = download_stem(node.get("docname", self.builder.current_docname), node["ids"][0])
    title = node.get("title") or node["ids"][0]
    swatches = [
        {"hex": s["hex"], "share": float(s["share"]), "name": s.get("name", "")} for s in swatches_of(node)
    ]
    folder = Path(self.builder.outdir, DOWNLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for suffix, text, label in (
        (".gpl", gpl_text(title, swatches), "GIMP palette (.gpl)"),
        (".json", json_text(title, swatches), "JSON"),
    ):
        Path(folder, stem + suffix).write_text(text, encoding="utf-8")
        base = self.builder.get_target_uri(self.builder.current_docname)
        href = relative_uri(base, posixpath.join(DOWNLOAD_DIR, stem + suffix))
        links.append(f'<a class="palette-download" href="{html.escape(href)}" download>{label}</a>')
    return f'<p class="palette-downloads">Download: {" · ".join(links)}</p>\n'


def download_stem(docname: str, node_id: str) -> str:
    """File name (without suffix) of a palette's downloads: unique per page and palette."""
    return f"{docname.replace('/', '-')}--{node_id}"
