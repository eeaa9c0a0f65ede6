"""The ``palette`` directive: options → `PaletteRequest` → palette node, with typed warnings."""

from __future__ import annotations

import os
import weakref
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import clean_astext, make_id

from ..local_paths import allowed_roots, is_inside, refusal, shown_path
from ..options import (
    PALETTE_FLAG_OPTIONS,
    PALETTE_VALUE_OPTIONS,
    OptionError,
    PaletteOptions,
    parse_palette_options,
)
from ..remote.batch import BatchJob
from ..remote.urls import is_url, redact_url
from ..settings import PaletteConfig
from ..warning_kinds import WARNING_TYPE, Subtype
from . import collect
from .collect import file_label
from .envdata import PaletteEnvData, RequestRecord
from .nodes import palette, palette_caption, palette_credit
from .service import submit_early

logger = logging.getLogger(__name__)

#: Per Sphinx ``Config`` (one a build): its `PaletteConfig` and the resolved folders local images may come
#: from. Made once instead of for every directive: reading each ``palette_*`` value through Sphinx's
#: ``Config`` and resolving the folders' symlinks cost about 0.2 ms a palette.
_PER_CONFIG: weakref.WeakKeyDictionary[object, tuple[PaletteConfig, list[Path]]] = weakref.WeakKeyDictionary()


def _settings(sphinx_config: object, srcdir: str | os.PathLike[str]) -> tuple[PaletteConfig, list[Path]]:
    """The build's `PaletteConfig` and allowed roots, made on first use (see `_PER_CONFIG`)."""
    found = _PER_CONFIG.get(sphinx_config)
    if found is None:
        config = PaletteConfig.from_sphinx(sphinx_config)
        found = _PER_CONFIG[sphinx_config] = (config, allowed_roots(srcdir, config.allowed_paths))
    return found


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
        config, roots = _settings(self.config, self.env.srcdir)
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

        relative = None
        if options.remote:
            location = source
        else:
            relative, location = self.env.relfn2path(source, self.env.docname)
            if not is_inside(location, roots):
                return self._fail(node, Subtype.PATH, refusal(source))
            # Touching the image re-reads exactly the documents that use it.
            self.env.note_dependency(relative)
            if not os.path.isfile(location):
                tried = shown_path(location, self.env.srcdir)
                return self._fail(
                    node, Subtype.SOURCE, f"image file not found: {source} (looked for {tried})"
                )
        node["docname"] = self.env.docname
        # The palette itself is resolved with every other once all documents are read (`resolve`); what
        # depends only on the page is made now, so captions and credits are parsed, translated and numbered.
        record = self._dress(node, options, source, location, relative)
        requests = PaletteEnvData.of(self.env).document(self.env.docname).requests
        # Its key is the one the batch step gives it (document, number); fetching may start right away.
        submit_early(self.env, BatchJob((self.env.docname, len(requests)), record.request, record.location))
        requests.append(record)
        node["pending"] = True
        return [node]

    def _dress(
        self, node: palette, options: PaletteOptions, source: str, location: str, relative: str | None
    ) -> RequestRecord:
        """Add the page's parts (image, caption, the author's credit) and say what to resolve."""
        title = ""
        caption: list[nodes.Node] = []
        if options.caption:
            inline, caption_messages = self.state.inline_text(options.caption, self.lineno)
            caption_node = palette_caption(options.caption, "", *inline)
            # With a source, gettext extracts the caption and i18n translates it, as for figure captions.
            self.set_source_info(caption_node)
            # The title (alt text, :ref: text, index and export entries) is the caption as read.
            title = clean_astext(caption_node)
            caption = [caption_node, *caption_messages]
        if options.download:
            node["download"] = True
        image = None
        if options.show_image and not options.remote:
            media = nodes.container(classes=["palette-media"])
            media += nodes.image(uri=options.source, alt=title or file_label(options.source), candidates={})
            node += media
            same = relative is not None and options.source == source
            image = relative if same else self.env.relfn2path(options.source, self.env.docname)[0]
        node += caption
        credit = None
        if options.credit is not None:
            credit_nodes, messages = self.state.inline_text(options.credit, self.lineno)
            node += messages
            if credit_nodes:
                credit_node = palette_credit("", "", *credit_nodes, classes=["palette-credit"])
                node += credit_node
                credit = credit_node.astext()
        return RequestRecord(
            anchor=node["ids"][0],
            line=self.lineno,
            source=source,
            location=location,
            remote=options.remote,
            request=options.request(),
            title=title,
            alt=options.alt,
            credit=credit,
            hide_credit=options.credit is not None or options.hide_credit,
            show_image=options.show_image,
            image=image,
        )

    def _fail(self, node: palette, subtype: Subtype, message: str) -> list[nodes.Node]:
        self._warn(subtype, message)
        # Counted as failed in the build summary, like a palette whose image could not be read.
        failed = collect.failed_record(self.env.docname, node["ids"][0], node["source"], self.lineno)
        PaletteEnvData.of(self.env).document(self.env.docname).palettes.append(failed)
        node["error"] = message
        node["subtype"] = str(subtype)
        return [node]

    def _warn(self, subtype: str, message: str) -> None:
        logger.warning(message, location=self.get_location(), type=WARNING_TYPE, subtype=subtype)
