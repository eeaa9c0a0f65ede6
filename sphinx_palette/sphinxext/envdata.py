"""Everything the extension keeps on the build environment, in one typed holder (`PaletteEnvData`).

The model is intersphinx's ``InventoryAdapter``: the only module that touches an attribute of ``env`` for
the extension. What belongs to a document sits in its `DocumentData`, so one `purge` and one `merge` keep
``-j`` builds equal to serial ones whatever the kind of record; adding a kind of record is adding a field
to `DocumentData`. What belongs to the current build (which documents are read, the first cache failure)
sits beside it; the palette service of this process is kept too, but never pickled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sphinx.environment import BuildEnvironment

from ..engine.palette import Swatch
from ..remote.service import PaletteRequest, PaletteService

#: The one attribute the extension sets on the environment.
ATTRIBUTE = "sphinx_palette_data"


@dataclass(frozen=True, slots=True)
class SwatchRecord:
    """One swatch of a palette as the site lists it (index, ``palettes.json``)."""

    hex: str
    rgb: tuple[int, int, int]
    share: float
    name: str
    family: str

    def as_json(self) -> dict[str, Any]:
        """The swatch in ``palettes.json``: the engine's one swatch shape (`Swatch.to_dict`)."""
        return Swatch(self.rgb, self.share).to_dict()


@dataclass(frozen=True, slots=True)
class PaletteRecord:
    """What the site knows of one ``palette`` directive: where it is, where its image came from, its swatches.

    ``origin`` is the service's (``computed``, ``cache``, ``failed``); ``checked_at`` is when a remote
    image was last confirmed; a failed palette has no ``swatches`` and no ``title``.
    """

    docname: str
    anchor: str
    source: str
    line: int
    origin: str
    remote: bool
    checked_at: float | None = None
    title: str = ""
    manifest: str | None = None
    credit: str | None = None
    image: str | None = None
    swatches: tuple[SwatchRecord, ...] = ()
    #: The alt text of the swatch bar; for a failed palette, the message and warning subtype instead.
    alt: str = ""
    error: str | None = None
    subtype: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    """A ``palette`` directive as read: what to resolve once every document is read, and how to show it.

    ``location`` is the URL or the absolute path of the image (``source`` is as written); ``title`` is the
    caption as text (empty without one); ``alt`` and ``credit`` are the author's (``credit`` as text);
    ``image`` is the shown local image, relative to the source directory.
    """

    anchor: str
    line: int
    source: str
    location: str
    remote: bool
    request: PaletteRequest
    title: str = ""
    alt: str | None = None
    credit: str | None = None
    hide_credit: bool = False
    show_image: bool = False
    image: str | None = None


@dataclass(frozen=True, order=True)
class FailureNote:
    """A remote source's failure, noted while reading and warned about once all documents are read."""

    line: int
    key: str
    subtype: str
    message: str


@dataclass
class DocumentData:
    """What one document contributes; dropped whole when the document is read again or removed."""

    #: Recorded while reading; handed to the batch step once every document is read, which resolves them
    #: into `palettes` (at ``-j 1`` while pages are written), and dropped then (sources as written may hold
    #: credentials: they are never saved with the environment).
    requests: list[RequestRecord] = field(default_factory=list)
    palettes: list[PaletteRecord] = field(default_factory=list)
    failures: list[FailureNote] = field(default_factory=list)
    #: The document holds a ``palette-index`` (rewritten whenever any palette of the site changes).
    has_index: bool = False
    #: Its palettes were still arriving when the environment was saved before writing: if the build does
    #: not finish, the next one reads the document again (see `resolve`).
    waiting: bool = False


@dataclass
class PaletteEnvData:
    """The extension's data on one build environment. Get it with `PaletteEnvData.of(env)`."""

    documents: dict[str, DocumentData] = field(default_factory=dict)
    #: The documents this build reads (set at ``env-before-read-docs``).
    reading: set[str] = field(default_factory=set)
    #: Whether this build removes documents (set at ``env-get-outdated``).
    removed_any: bool = False
    #: The first failure to write the cache in this build, to be warned about once.
    cache_error: str | None = None
    #: How to make this build's palette service (set when the builder starts), and the service of this
    #: process with the process it belongs to. Neither is pickled.
    _make_service: Callable[[], PaletteService] | None = field(default=None, repr=False, compare=False)
    _service: tuple[int, PaletteService] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, env: BuildEnvironment) -> PaletteEnvData:
        """The holder of ``env``, made on first use."""
        data = env.__dict__.get(ATTRIBUTE)
        if not isinstance(data, cls):
            data = cls()
            setattr(env, ATTRIBUTE, data)
        return data

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_make_service": None, "_service": None}

    # Per document.

    def document(self, docname: str) -> DocumentData:
        """The data of ``docname``, made on first use."""
        return self.documents.setdefault(docname, DocumentData())

    def palettes(self, docname: str) -> list[PaletteRecord]:
        """The palette records of ``docname`` (empty when it has none)."""
        found = self.documents.get(docname)
        return found.palettes if found is not None else []

    def palette_at(self, docname: str, anchor: str) -> PaletteRecord | None:
        """The palette record of the directive with node id ``anchor`` in ``docname``, if resolved."""
        return next((r for r in self.palettes(docname) if r.anchor == anchor), None)

    def all_palettes(self) -> Iterator[PaletteRecord]:
        """Every palette record, by document name, then in page order."""
        for docname in sorted(self.documents):
            yield from self.documents[docname].palettes

    def index_documents(self) -> set[str]:
        """The documents holding a ``palette-index``."""
        return {d for d, data in self.documents.items() if data.has_index}

    def purge(self, docname: str) -> None:
        """Forget everything ``docname`` contributed (before it is read again, or when it is removed)."""
        self.documents.pop(docname, None)

    def merge(self, docnames: Iterable[str], other: PaletteEnvData) -> None:
        """Take from a parallel reader's holder the data of the documents it read, and only those."""
        for docname in docnames:
            if docname in other.documents:
                self.documents[docname] = other.documents[docname]
        self.note_cache_error(other.cache_error)

    # This build.

    def start_build(self, removed_any: bool) -> None:
        """Reset what belongs to one build (called once the outdated documents are known)."""
        self.removed_any = removed_any
        self.reading = set()

    def note_cache_error(self, message: str | None) -> None:
        """Remember the first failure to write the cache in this build."""
        if message and not self.cache_error:
            self.cache_error = message

    def take_cache_error(self) -> str | None:
        """The cache failure to warn about, once."""
        message, self.cache_error = self.cache_error, None
        return message

    # This process.

    def set_service_factory(self, make: Callable[[], PaletteService]) -> None:
        """Say how to make the palette service of this build; a service made by another factory is closed."""
        self.close_service()
        self._make_service = make

    def has_service_factory(self) -> bool:
        """True once `set_service_factory` was called in this process's build."""
        return self._make_service is not None

    def service(self) -> PaletteService:
        """The palette service of this process, made on first use.

        A service made before a fork (parallel reading) keeps its parent's pooled connections: a worker
        makes its own, sharing the cache on disk.
        """
        if self._make_service is None:
            raise RuntimeError("the palette service is used before the builder started")
        if self._service is None or self._service[0] != os.getpid():
            self._service = (os.getpid(), self._make_service())
        return self._service[1]

    def close_service(self) -> None:
        """Close the service's connections; the next use makes a new one."""
        if self._service is not None:
            self._service[1].close()
            self._service = None
