"""Collect, then resolve: the palettes of every document read, computed at once; nodes filled afterwards.

While reading, the ``palette`` directive only records a `RequestRecord` (parallel-read safe: it sits with its
document's data). Once every document is read (``env-updated``, in the main process), `resolve_requests`
hands all of them to the core's batch step (`PaletteService.resolve_many`: concurrent polite fetching,
parallel compute, the cache), with Sphinx's progress display, and keeps one `PaletteRecord` per directive.
`FillPalettes` then fills each palette node from its record whenever a doctree is resolved, for every
builder, so documents that were not read again keep showing their palettes from the stored records.

Writing while palettes arrive: when this process both read the documents and writes them (serial builds,
where the batch started while reading), the batch step does not wait for every palette. Writing starts at
once, and `Arrivals` stores outcomes as pages need them: each page waits only for its own palettes
(`FillPalettes`), whatever lists the site's palettes (``palette-index``, ``palettes.json``, the summary)
waits for all (`service.wait_for_palettes`), and the rest are collected when the build finishes
(`finish_palettes`). Records, and warnings in document and line order, are the same either way. Sphinx saves
the environment before writing: the outcomes already at hand are stored first (in a warm build, all), and
documents whose palettes were still on their way are marked ``waiting`` there, so an interrupted build reads
them again; once every palette arrived, the environment is saved again if any was.
"""

from __future__ import annotations

import collections
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import ENV_PICKLE_FILENAME, Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.locale import __
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.display import status_iterator

from ..remote.background import BackgroundBatch
from ..remote.batch import BatchJob, BatchOutcome
from ..remote.service import PaletteResult
from ..remote.urls import redact_url
from ..settings import PaletteConfig
from ..warning_kinds import Subtype
from . import collect, report
from .envdata import FailureNote, PaletteEnvData, PaletteRecord, RequestRecord
from .nodes import credit_of, make_swatch, palette, palette_bar, palette_credit
from .service import (
    batch_options,
    early_batch,
    get_service,
    hand_over,
    take_in_flight,
    wait_for_palettes,
    writes_serially,
)

logger = logging.getLogger(__name__)


def resolve_requests(app: Sphinx, env: BuildEnvironment) -> None:
    """Resolve the palette requests of every document read in this build (an ``env-updated`` handler).

    Requests submitted while reading (`service.submit_early`) are collected, the others resolved now;
    records and warnings follow document and line order whatever order the outcomes come in. When pages
    are written in this process, the outcomes are left to arrive while they are written (`Arrivals`).
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
    for docname in {docname for docname, _, _ in todo}:
        # Requests hold sources as written, credentials included: never saved with the environment.
        data.documents[docname].requests = []
    if early is not None and writes_serially(app):
        total = early.expect(jobs)
        arrivals = Arrivals(app, todo, early.remaining(), total, batch=early)
        hand_over(env, arrivals)
        return
    if early is not None:
        # Started while reading: what was submitted then is resolved already or on its way.
        outcomes = early.finish(jobs)
    else:
        outcomes = service.resolve_many(jobs, batch_options(PaletteConfig.from_sphinx(app.config)))
    Arrivals(app, todo, outcomes, len(jobs)).wait_all()
    data.note_cache_error(service.cache_error)


class Arrivals:
    """The outcomes of one batch step, turned into each document's records as soon as it has them all.

    Parameters
    ----------
    app : Sphinx
        The build (its environment's records, its verbosity).
    todo : list of (str, int, RequestRecord)
        Every request, by document and number within it, in document order.
    outcomes : iterator of BatchOutcome
        Their outcomes, keyed ``(docname, number)``, in any order; taken only when needed.
    total : int
        How many there are (for the progress display).
    batch : BackgroundBatch, optional
        The batch giving them while pages are written: its documents are marked waiting until stored, and
        their warnings are given here, in document order, as documents are done (else by `report.warn`).
    """

    def __init__(
        self,
        app: Sphinx,
        todo: list[tuple[str, int, RequestRecord]],
        outcomes: Iterator[BatchOutcome],
        total: int,
        batch: BackgroundBatch | None = None,
    ) -> None:
        self.data = PaletteEnvData.of(app.env)
        self.requests: dict[str, list[RequestRecord]] = {}
        for docname, _, request in todo:
            self.requests.setdefault(docname, []).append(request)
        self.results: dict[str, dict[int, PaletteResult]] = {docname: {} for docname in self.requests}
        self.progress = status_iterator(
            outcomes, __("computing palettes... "), "purple", total, app.verbosity, stringify_func=_docname_of
        )
        self.batch = batch
        self.to_warn = collections.deque(sorted(self.data.reading) if batch is not None else ())
        self.warned: set[tuple[str, str, str]] = set()
        #: Whether documents were still waiting for palettes when Sphinx saved the environment.
        self.left_waiting = False
        if batch is not None:
            for docname in self.requests:
                self.data.documents[docname].waiting = True
            # Outcomes at hand already (the cache's answers while reading: all of them in a warm build) are
            # stored before Sphinx saves the environment, which then needs no second save.
            while self.requests and batch.ready():
                self._take(next(self.progress))
            self.left_waiting = bool(self.requests)

    def wait_for(self, docname: str) -> None:
        """Take outcomes (in the order they come) until every palette of ``docname`` is stored."""
        while docname in self.requests:
            outcome = next(self.progress, None)
            if outcome is None:
                raise RuntimeError(f"the palette batch ended without the palettes of {docname}")
            self._take(outcome)

    def wait_all(self) -> None:
        """Take every outcome still to come, and end the batch."""
        for outcome in self.progress:
            self._take(outcome)
        self.cancel()

    def cancel(self) -> None:
        """Stop the batch giving the outcomes, if any (what it stored so far stays in the cache)."""
        if self.batch is not None:
            self.batch.cancel()

    def _take(self, outcome: BatchOutcome) -> None:
        key: tuple[str, int] = outcome.key  # type: ignore[assignment]
        docname, number = key
        results = self.results[docname]
        results[number] = outcome.result
        if len(results) < len(self.requests[docname]):
            return
        store(self.data, docname, self.requests.pop(docname), results)
        del self.results[docname]
        # Each document's warnings once every document before it has its palettes: in document order.
        while self.to_warn and self.to_warn[0] not in self.requests:
            report.warn_failures(self.data, self.to_warn.popleft(), self.warned)


def store(data: PaletteEnvData, docname: str, requests: list[RequestRecord], results: dict[int, Any]) -> None:
    """Keep the records of ``docname`` (``results`` by request number) and note its failures."""
    document = data.documents[docname]
    for number, request in enumerate(requests):
        result: PaletteResult = results[number]
        document.palettes.append(collect.record(docname, request, result))
        key = redact_url(request.source) if request.remote else request.source
        # Warned in document and line order: once per URL, once per use of a local file (the file's
        # trouble may depend on the page: a relative path).
        unique = key if request.remote else f"{docname}:{request.line}:{key}"
        for subtype, message in result.notices:
            document.failures.append(FailureNote(request.line, unique, str(subtype), message))
        if result.palette is not None:
            continue
        subtype, message = str(result.subtype or Subtype.IMAGE), result.error or "no palette"
        document.failures.append(FailureNote(request.line, unique, subtype, message))
    # With the records of directives refused while reading, in page order.
    document.palettes.sort(key=lambda r: r.line)
    document.waiting = False


def finish_palettes(app: Sphinx, exception: Exception | None) -> None:
    """Collect the palettes still arriving once pages are written, and save the environment with them if
    Sphinx saved it without (a ``build-finished`` handler, before everything that reports on the site's
    palettes).

    A failed build stops the batch instead: its documents stay marked waiting, to be read again.
    """
    arrivals = take_in_flight(app.env)
    if arrivals is None:
        return
    if exception is not None:
        arrivals.cancel()
        return
    arrivals.wait_all()
    data = PaletteEnvData.of(app.env)
    data.note_cache_error(get_service(app).cache_error)
    report.warn_cache(data)
    if arrivals.left_waiting:
        save_environment(app)


def save_environment(app: Sphinx) -> None:
    """Save the environment again, as Sphinx does before writing, now that it holds every palette.

    Should it fail, the copy Sphinx saved stays: it marks the documents whose palettes were still arriving,
    and the next build reads just those again.
    """
    path = Path(app.doctreedir, ENV_PICKLE_FILENAME)
    if not path.is_file():
        return  # nothing saved this build (or a failed build removed it)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # Sphinx's cached root doctree, made while writing: saved, the next build would take it for the root
    # document even after reading that again (its site-wide table of contents would miss new pages).
    app.env.__dict__.pop("master_doctree", None)
    try:
        with open(partial, "wb") as file:
            pickle.dump(app.env, file, pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except Exception as exc:  # another extension's data that does not pickle: keep Sphinx's copy
        partial.unlink(missing_ok=True)
        logger.info("palette: the environment was not saved again (%s); waiting pages are read again", exc)


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
            # Written while palettes arrive: this page waits for its own, and only those.
            wait_for_palettes(self.env, node["docname"])
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
