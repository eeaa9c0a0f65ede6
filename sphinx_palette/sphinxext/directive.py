"""The ``palette`` directive: options → `PaletteRequest` → palette node, with typed warnings."""

from __future__ import annotations

import os

import imagesize
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import clean_astext, make_id

from ..engine.names import describe
from ..local_paths import allowed_roots, is_inside, refusal, shown_path
from ..options import (
    PALETTE_FLAG_OPTIONS,
    PALETTE_VALUE_OPTIONS,
    OptionError,
    PaletteOptions,
    parse_palette_options,
)
from ..remote.service import PaletteResult
from ..remote.urls import is_url, redact_url
from ..settings import PaletteConfig
from ..warning_kinds import WARNING_TYPE, Subtype
from . import collect, report
from .nodes import make_swatch, palette, palette_bar, palette_caption, palette_credit
from .service import get_service

logger = logging.getLogger(__name__)


class PaletteDirective(SphinxDirective):
    """``.. palette:: SOURCE``: the colours of an image as a swatch bar."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    # Values are checked by `parse_palette_options`, so a bad one is a typed ``palette.option`` warning, not
    # a docutils error; ``class`` is normalised to identifiers as docutils does everywhere.
    option_spec = {
        **dict.fromkeys(PALETTE_VALUE_OPTIONS, directives.unchanged_required),
        **dict.fromkeys(PALETTE_FLAG_OPTIONS, directives.flag),
        "name": directives.unchanged,
        "class": directives.class_option,
    }

    def run(self) -> list[nodes.Node]:
        """One palette node: the swatches, or a placeholder saying what went wrong."""
        source = self.arguments[0].strip()
        config = PaletteConfig.from_sphinx(self.config)
        node = palette(source=redact_url(source) if is_url(source) else source, widths=config.widths)
        node["classes"] += self.options.get("class", [])
        self.set_source_info(node)
        self.add_name(node)
        if not node["ids"]:
            # The document's name in the id keeps ids unique when pages are joined (singlehtml, LaTeX).
            prefix = "palette-" + self.env.docname.replace("/", "-")
            node["ids"].append(make_id(self.env, self.state.document, prefix))
            self.state.document.set_id(node)

        try:
            options = parse_palette_options(source, self.options, config)
        except OptionError as exc:
            return self._fail(node, Subtype.OPTION, str(exc))
        node["widths"] = options.widths
        for notice in options.notices:
            self._warn(Subtype.OPTION, notice)

        service = get_service(self.env)
        request = options.request()
        if options.remote:
            result = service.from_url(source, request)
        else:
            relative, absolute = self.env.relfn2path(source, self.env.docname)
            if not is_inside(absolute, allowed_roots(self.env.srcdir, config.allowed_paths)):
                return self._fail(node, Subtype.PATH, refusal(source))
            # Touching the image re-reads exactly the documents that use it.
            self.env.note_dependency(relative)
            if not os.path.isfile(absolute):
                tried = shown_path(absolute, self.env.srcdir)
                return self._fail(
                    node, Subtype.SOURCE, f"image file not found: {source} (looked for {tried})"
                )
            result = service.from_file(absolute, request)
            if result.palette is not None and options.region is not None:
                self._check_region(options, absolute)
        # Remote trouble is warned once per URL when all documents are read (`report.warn`).
        key = redact_url(source)
        for subtype, message in result.notices:
            report.note_failure(self.env, self.lineno, key, subtype, message)
        if service.cache_error:
            report.note_cache_error(self.env, service.cache_error)

        if result.palette is None:
            collect.record(self.env, self.env.docname, node["ids"][0], source, result, self.lineno)
            subtype, message = result.subtype or Subtype.IMAGE, result.error or "no palette"
            if options.remote:
                report.note_failure(self.env, self.lineno, key, subtype, message)
            else:
                self._warn(subtype, message)
            node["error"], node["subtype"] = message, str(subtype)
            return [node]
        self._fill(node, options, result)
        collect.record(self.env, self.env.docname, node["ids"][0], source, result, self.lineno, node)
        return [node]

    def _fill(self, node: palette, options: PaletteOptions, result: PaletteResult) -> None:
        assert result.palette is not None
        caption_node = None
        caption_messages: list[nodes.system_message] = []
        if options.caption:
            inline, caption_messages = self.state.inline_text(options.caption, self.lineno)
            caption_node = palette_caption(options.caption, "", *inline)
            # With a source, gettext extracts the caption and i18n translates it, as for figure captions.
            self.set_source_info(caption_node)
        # The title (alt text, :ref: text, index and export entries) is the caption as read, not its markup.
        title = (
            (caption_node and clean_astext(caption_node))
            or result.label
            or _file_label(result.image_url or options.source)
        )
        alt = options.alt or f"Colour palette of {title}: {len(result.palette)} colours"
        node["alt"] = alt
        node["title"] = title
        node["docname"] = self.env.docname
        if result.manifest_url:
            node["manifest_url"] = result.manifest_url
        if options.download:
            node["download"] = True
        if options.show_image:
            if options.remote:
                node["image_url"] = result.image_url
                node["image_alt"] = title
            else:
                media = nodes.container(classes=["palette-media"])
                media += nodes.image(uri=options.source, alt=title, candidates={})
                node += media

        bar = palette_bar(label=alt)
        for swatch in result.palette:
            named = describe(swatch.rgb)
            bar += make_swatch(swatch.hex, swatch.share, named.name, named.family)
        node += bar
        if caption_node is not None:
            node += caption_node
            node += caption_messages
        credit_nodes: list[nodes.Node] = []
        if options.credit is not None:
            credit_nodes, messages = self.state.inline_text(options.credit, self.lineno)
            node += messages
        elif not options.hide_credit and result.credit:
            credit_nodes = [nodes.Text(result.credit)]
        if credit_nodes:
            node += palette_credit("", "", *credit_nodes, classes=["palette-credit"])

    def _check_region(self, options: PaletteOptions, path: str) -> None:
        """Warn when ``:region:`` reaches outside the image: the palette is of the part inside only."""
        try:
            width, height = imagesize.get(path)
        except (OSError, ValueError):
            return
        region = options.region
        if region is not None and width > 0 and height > 0 and region.exceeds(width, height):
            self._warn(
                Subtype.OPTION,
                f":region: {region} reaches outside the {width}×{height} image; "
                "the palette is of the part inside it",
            )

    def _fail(self, node: palette, subtype: Subtype, message: str) -> list[nodes.Node]:
        self._warn(subtype, message)
        # Counted as failed in the build summary, like a palette whose image could not be read.
        failed = PaletteResult(error=message, subtype=str(subtype))
        collect.record(self.env, self.env.docname, node["ids"][0], node["source"], failed, self.lineno)
        node["error"] = message
        node["subtype"] = str(subtype)
        return [node]

    def _warn(self, subtype: str, message: str) -> None:
        logger.warning(message, location=self.get_location(), type=WARNING_TYPE, subtype=subtype)


def _file_label(source: str) -> str:
    return source.rstrip("/").rsplit("/", 1)[-1] or source
