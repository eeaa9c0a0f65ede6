"""The ``palette`` directive: options → `PaletteRequest` → palette node, with typed warnings."""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import clean_astext, make_id

from ..engine import SORTS
from ..engine.names import describe
from ..engine.region import parse_region
from ..remote.service import PaletteRequest, PaletteResult
from ..remote.urls import is_url, redact_url
from . import collect, report
from .config import MAX_DIRECTIVE_COLORS, WIDTHS
from .nodes import make_swatch, palette, palette_bar, palette_caption, palette_credit
from .service import get_service

logger = logging.getLogger(__name__)

_OFF = ("off", "no", "none", "false")


class OptionError(ValueError):
    """A directive option with a value it cannot take."""


class PaletteDirective(SphinxDirective):
    """``.. palette:: SOURCE``: the colours of an image as a swatch bar."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    # Values are checked in run(), so a bad one is a typed ``palette.option`` warning, not a docutils error.
    option_spec = {
        "colors": directives.unchanged_required,
        "sort": directives.unchanged_required,
        "widths": directives.unchanged_required,
        "alt": directives.unchanged_required,
        "caption": directives.unchanged_required,
        "credit": directives.unchanged_required,
        "show-image": directives.flag,
        "download": directives.flag,
        "name": directives.unchanged,
        "class": directives.class_option,
        "canvas": directives.unchanged_required,
        "region": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        """One palette node: the swatches, or a placeholder saying what went wrong."""
        source = self.arguments[0].strip()
        node = palette(
            source=redact_url(source) if is_url(source) else source,
            widths=self.config.palette_widths,
        )
        node["classes"] += self.options.get("class", [])
        self.set_source_info(node)
        self.add_name(node)
        if not node["ids"]:
            # The document's name in the id keeps ids unique when pages are joined (singlehtml, LaTeX).
            prefix = "palette-" + self.env.docname.replace("/", "-")
            node["ids"].append(make_id(self.env, self.state.document, prefix))
            self.state.document.set_id(node)

        try:
            request = self._request(source)
            node["widths"] = self._widths()
        except OptionError as exc:
            return self._fail(node, "option", str(exc))

        service = get_service(self.env)
        remote = is_url(source)
        if remote:
            result = service.from_url(source, request)
        else:
            if "canvas" in self.options:
                self._warn("option", ":canvas: applies to IIIF manifests only; ignored for a local image")
            relative, absolute = self.env.relfn2path(source, self.env.docname)
            # Touching the image re-reads exactly the documents that use it.
            self.env.note_dependency(relative)
            result = service.from_file(absolute, request)
        # Remote trouble is warned once per URL when all documents are read (`report.warn`).
        key = redact_url(source)
        for subtype, message in result.notices:
            report.note_failure(self.env, self.lineno, key, subtype, message)
        if service.cache_error:
            report.note_cache_error(self.env, service.cache_error)

        if result.palette is None:
            collect.record(self.env, self.env.docname, node["ids"][0], source, result, self.lineno)
            subtype, message = result.subtype or "image", result.error or "no palette"
            if remote:
                report.note_failure(self.env, self.lineno, key, subtype, message)
            else:
                self._warn(subtype, message)
            node["error"], node["subtype"] = message, subtype
            return [node]
        self._fill(node, source, request, result)
        collect.record(self.env, self.env.docname, node["ids"][0], source, result, self.lineno, node)
        return [node]

    def _request(self, source: str) -> PaletteRequest:
        colors = _integer(
            self.options.get("colors", self.config.palette_colors), "colors", 1, MAX_DIRECTIVE_COLORS
        )
        sort = self.options.get("sort", self.config.palette_sort).strip()
        if sort not in SORTS:
            raise OptionError(f":sort: must be one of {', '.join(SORTS)}, not {sort!r}")
        canvas = _integer(self.options.get("canvas", 1), "canvas", 1, 100_000)
        region = None
        if "region" in self.options:
            try:
                region = parse_region(self.options["region"])
            except ValueError as exc:
                raise OptionError(f":region: {exc}") from None
        if not source:
            raise OptionError("the palette directive needs an image path or URL")
        return PaletteRequest(source=source, colors=colors, sort=sort, region=region, canvas=canvas)

    def _widths(self) -> str:
        widths = self.options.get("widths", self.config.palette_widths).strip()
        if widths not in WIDTHS:
            raise OptionError(f":widths: must be share or equal, not {widths!r}")
        return widths

    def _fill(self, node: palette, source: str, request: PaletteRequest, result: PaletteResult) -> None:
        assert result.palette is not None
        caption = self.options.get("caption")
        caption_node = None
        caption_messages: list[nodes.system_message] = []
        if caption:
            inline, caption_messages = self.state.inline_text(caption, self.lineno)
            caption_node = palette_caption(caption, "", *inline)
            # With a source, gettext extracts the caption and i18n translates it, as for figure captions.
            self.set_source_info(caption_node)
        # The title (alt text, :ref: text, index and export entries) is the caption as read, not its markup.
        title = (
            (caption_node and clean_astext(caption_node))
            or result.label
            or _file_label(result.image_url or source)
        )
        alt = self.options.get("alt") or f"Colour palette of {title}: {len(result.palette)} colours"
        node["alt"] = alt
        node["title"] = title
        node["docname"] = self.env.docname
        if result.manifest_url:
            node["manifest_url"] = result.manifest_url
        if "download" in self.options or self.config.palette_download:
            node["download"] = True
        if "show-image" in self.options:
            if is_url(source):
                node["image_url"] = result.image_url
                node["image_alt"] = title
            else:
                media = nodes.container(classes=["palette-media"])
                media += nodes.image(uri=source, alt=title, candidates={})
                node += media

        bar = palette_bar(label=alt)
        for swatch in result.palette:
            named = describe(swatch.rgb)
            bar += make_swatch(swatch.hex, swatch.share, named.name, named.family)
        node += bar
        if caption_node is not None:
            node += caption_node
            node += caption_messages
        credit_option = self.options.get("credit")
        credit_nodes: list[nodes.Node] = []
        if credit_option is not None and credit_option.strip().lower() not in _OFF:
            credit_nodes, messages = self.state.inline_text(credit_option, self.lineno)
            node += messages
        elif credit_option is None and result.credit:
            credit_nodes = [nodes.Text(result.credit)]
        if credit_nodes:
            node += palette_credit("", "", *credit_nodes, classes=["palette-credit"])

    def _fail(self, node: palette, subtype: str, message: str) -> list[nodes.Node]:
        self._warn(subtype, message)
        node["error"] = message
        node["subtype"] = subtype
        return [node]

    def _warn(self, subtype: str, message: str) -> None:
        logger.warning(message, location=self.get_location(), type="palette", subtype=subtype)


def _integer(value: object, option: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise OptionError(f":{option}: must be a whole number from {low} to {high}, not {value!r}") from None
    if not low <= number <= high:
        raise OptionError(f":{option}: must be from {low} to {high}, not {number}")
    return number


def _file_label(source: str) -> str:
    return source.rstrip("/").rsplit("/", 1)[-1] or source
