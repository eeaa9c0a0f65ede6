"""Collect, then resolve: the palettes of every document read, computed at once; nodes filled afterwards.

While reading, the ``palette`` directive only records a `RequestRecord` (parallel-read safe: it sits with its
document's data). Once every document is read (``env-updated``, in the main process), `resolve_requests`
hands all of them to the core's batch step (`PaletteService.resolve_many`: concurrent polite fetching,
parallel compute, the cache), with Sphinx's progress display, and keeps one `PaletteRecord` per directive.
`FillPalettes` then fills each palette node from its record whenever a doctree is resolved, for every
builder, so documents that were not read again keep showing their palettes from the stored records.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.locale import __
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.display import status_iterator

from ..remote.batch import BatchJob, BatchOutcome
from ..remote.service import PaletteResult
from ..remote.urls import redact_url
from ..settings import PaletteConfig
from ..warning_kinds import Subtype
from . import collect
from .envdata import FailureNote, PaletteEnvData, PaletteRecord
from .nodes import credit_of, make_swatch, palette, palette_bar, palette_credit
from .service import batch_options, early_batch, get_service


def resolve_requests(app: Sphinx, env: BuildEnvironment) -> None:
    """Resolve the palette requests of every document read in this build (an ``env-updated`` handler).

    Requests submitted while reading (`service.submit_early`) are collected, the others resolved now;
    records and warnings follow document and line order whatever order the outcomes come in.
    """
    data = PaletteEnvData.of(env)
    todo = [
        (docname, number, request)
        for docname in sorted(data.reading)
        if docname in data.documents
        for number, request in enumerate(data.documents[docname].requests)
    ]
    early = early_batch(env)
    if not todo:
        if early is not None:
            early.cancel()  # its documents were all removed or read again without palettes
        return
    service = get_service(app)
    jobs = [
        BatchJob((docname, number), request.request, request.location) for docname, number, request in todo
    ]
    if early is not None:
        # Started while reading: what was submitted then is resolved already or on its way.
        outcomes = early.finish(jobs)
    else:
        outcomes = service.resolve_many(jobs, batch_options(PaletteConfig.from_sphinx(app.config)))
    results: dict[Any, PaletteResult] = {}
    for outcome in status_iterator(
        outcomes,
        __("computing palettes... "),
        "purple",
        len(jobs),
        app.verbosity,
        stringify_func=_docname_of,
    ):
        results[outcome.key] = outcome.result
    # Records and warnings in document and line order, whatever order the results came in.
    for docname, number, request in todo:
        result = results[(docname, number)]
        document = data.documents[docname]
        document.palettes.append(collect.record(docname, request, result))
        key = redact_url(request.source) if request.remote else request.source
        # Warned by `report.warn` right after this handler, in document and line order: once per URL,
        # once per use of a local file (the file's trouble may depend on the page: a relative path).
        unique = key if request.remote else f"{docname}:{request.line}:{key}"
        for subtype, message in result.notices:
            document.failures.append(FailureNote(request.line, unique, str(subtype), message))
        if result.palette is not None:
            continue
        subtype, message = str(result.subtype or Subtype.IMAGE), result.error or "no palette"
        document.failures.append(FailureNote(request.line, unique, subtype, message))
    for docname in {docname for docname, _, _ in todo}:
        # With the records of directives refused while reading, in page order.
        data.documents[docname].palettes.sort(key=lambda r: r.line)
        # Requests hold sources as written, credentials included: never saved with the environment.
        data.documents[docname].requests = []
    data.note_cache_error(service.cache_error)


def _docname_of(outcome: BatchOutcome) -> str:
    return str(outcome.key[0])  # type: ignore[index]


class FillPalettes(SphinxPostTransform):
    """Fill each palette node read earlier with its resolved swatches, or make it a placeholder."""

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        data = PaletteEnvData.of(self.env)
        for node in self.document.findall(palette):
            if not node.get("pending"):
                continue
            del node["pending"]
            found = data.palette_at(node["docname"], node["ids"][0])
            if found is None:
                # Read, but never resolved: only when a build stopped between the two.
                fail(node, "this palette was not computed; build again", str(Subtype.IMAGE))
            elif found.error is not None:
                fail(node, found.error, found.subtype or str(Subtype.IMAGE))
            else:
                fill(node, found)


def fill(node: palette, record: PaletteRecord) -> None:
    """Give ``node`` the swatches, texts and links of its resolved ``record``."""
    node["alt"] = record.alt
    node["title"] = record.title
    if record.manifest:
        node["manifest_url"] = record.manifest
    if record.remote and record.image:
        node["image_url"] = record.image
        node["image_alt"] = record.title
    bar = palette_bar(label=record.alt)
    for swatch in record.swatches:
        bar += make_swatch(swatch.hex, swatch.share, swatch.name, swatch.family)
    # After the shown image, before the caption and credit made when the page was read.
    media = sum(
        1
        for child in node.children
        if isinstance(child, nodes.Element) and "palette-media" in child["classes"]
    )
    node.insert(media, bar)
    if record.credit and credit_of(node) is None:
        node += palette_credit("", "", nodes.Text(record.credit), classes=["palette-credit"])


def fail(node: palette, message: str, subtype: str) -> None:
    """Make ``node`` the placeholder of a palette that could not be made."""
    node.children = []
    for attribute in ("docname", "download"):
        node.attributes.pop(attribute, None)
    node["error"], node["subtype"] = message, subtype
