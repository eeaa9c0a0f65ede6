"""Sphinx wiring: configuration, directives, nodes and their visitors, assets and events."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.nodes import clean_astext

from .. import __version__
from . import collect, report
from .config import add_config_values, validate_config
from .directive import PaletteDirective
from .index import PaletteIndexDirective, resolve_indexes
from .nodes import palette, palette_bar, palette_caption, palette_credit, palette_index, palette_swatch
from .render import html, latex, text
from .resolve import FillPalettes, finish_palettes, resolve_requests
from .service import allow_early, close_service, prepare_service

STATIC = Path(__file__).parent / "static"

#: Bump when the environment data or the nodes change shape, so old pickled environments are discarded.
ENV_VERSION = 5


def _title(node: nodes.Node) -> str:
    """The caption, as for figures: only captioned palettes are numbered and give :ref: its text."""
    caption = next(iter(node.findall(palette_caption)), None)
    return clean_astext(caption) if caption is not None else ""


def setup(app: Sphinx) -> dict[str, Any]:
    """Register everything; see the module docstring."""
    add_config_values(app)
    app.connect("config-inited", validate_config)

    non_html: dict[str, Any] = {
        "latex": (latex.visit_palette_latex, None),
        "text": (text.visit_palette_text, None),
        "man": (text.visit_palette_man, None),
        "texinfo": (text.visit_palette_texinfo, None),
    }
    app.add_enumerable_node(
        palette, "palette", _title, html=(html.visit_palette_html, html.depart_palette_html), **non_html
    )
    app.add_node(
        palette_bar,
        html=(html.visit_palette_bar_html, html.depart_palette_bar_html),
        latex=(text.visit_bar_latex, None),
        text=(text.visit_bar_text, None),
        man=(text.visit_bar_man, None),
        texinfo=(text.visit_bar_texinfo, None),
    )
    # Outside HTML, a palette's visitor writes its children itself, so they are skipped there.
    skip: dict[str, Any] = dict.fromkeys(("latex", "text", "man", "texinfo"), (text.skip, None))
    for node, visitors in (
        (palette_swatch, (html.visit_palette_swatch_html, None)),
        (palette_caption, (html.visit_palette_caption_html, html.depart_palette_caption_html)),
        (palette_credit, (html.visit_palette_credit_html, html.depart_palette_credit_html)),
    ):
        app.add_node(node, html=visitors, **skip)
    app.add_node(palette_index)

    app.add_directive("palette", PaletteDirective)
    app.add_post_transform(FillPalettes)
    app.add_directive("palette-index", PaletteIndexDirective)

    app.connect("builder-inited", _add_assets)
    app.connect("builder-inited", prepare_service)
    app.connect("env-before-read-docs", report.note_reading)
    app.connect("env-before-read-docs", allow_early)
    app.connect("env-purge-doc", collect.purge)
    app.connect("env-merge-info", collect.merge)
    app.connect("env-get-outdated", collect.outdated_remote)
    app.connect("env-get-updated", collect.index_pages_to_update)
    # The batch step runs before the warnings about what it found.
    app.connect("env-updated", resolve_requests, priority=400)
    app.connect("env-updated", report.warn)
    app.connect("doctree-resolved", resolve_indexes)
    # Palettes still arriving once pages are written are collected before anything reports on them.
    app.connect("build-finished", finish_palettes, priority=400)
    app.connect("build-finished", collect.export_json)
    app.connect("build-finished", report.summarise)
    app.connect("build-finished", close_service)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


def _add_assets(app: Sphinx) -> None:
    """CSS for every HTML-family builder; the copy script for web pages only, not e-books.

    The files are written to the output's ``_static`` now, before any page: their checksums go into the
    pages' links, and ``html_static_path`` (the user's value) is left as it is.
    """
    if app.builder.format != "html":
        return
    scripts = not app.builder.name.startswith("epub")
    for asset in ("sphinx-palette.css", "sphinx-palette.js") if scripts else ("sphinx-palette.css",):
        _copy_if_changed(STATIC / asset, Path(app.outdir, "_static", asset))
    app.add_css_file("sphinx-palette.css")
    if scripts:
        app.add_js_file("sphinx-palette.js", loading_method="defer")


def _copy_if_changed(source: Path, target: Path) -> None:
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    os.replace(partial, target)
