"""From what an author wrote to a palette: read or fetch the image, resolve IIIF, consult the cache.

`PaletteService` is the one object the front ends talk to. It knows nothing of Sphinx: it takes a
`PaletteRequest` (or many, `PaletteService.resolve_many`) and returns a `PaletteResult` whose ``error`` and
``notices`` the caller turns into warnings. It is safe to use from several threads at once: each source is
resolved in two stages, `prepare` (cache, fetch, IIIF; threads) and `compute` (the engine; any process).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import Palette
from ..engine.decode import image_dimensions
from ..engine.region import Region
from . import iiif
from .cache import CacheError, PaletteCache, RemoteRecord, content_hash, is_cacheable, palette_key
from .compute import Computed, ComputeTask, Prepared, compute
from .fetch import FetchError, FetchSettings, fetch, make_session
from .politeness import HostGate
from .urls import is_url, redact_url, url_problem

if TYPE_CHECKING:
    import requests

    from .batch import BatchJob, BatchOptions, BatchOutcome, BatchProgress

#: Sent when a IIIF document is expected, for servers that negotiate between JSON-LD and HTML.
JSON_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"

#: Long side, in pixels, of the IIIF derivative asked for: as much as the engine samples, no more.
IIIF_TARGET = 512


@dataclass(frozen=True)
class PaletteRequest:
    """What one directive asks for, with the source as the author wrote it."""

    source: str
    colors: int = 5
    sort: str = "share"
    region: Region | None = None
    canvas: int = 1
    seed: int = 0
    emphasis: str = "balanced"


@dataclass
class PaletteResult:
    """A palette, or why there is none, with what is known of where it came from.

    ``origin`` is ``"computed"``, ``"cache"`` or ``"failed"``. ``error`` / ``subtype`` describe a failure
    (a URL that failed once gives the same failure for every later use in the build). ``notices`` are
    ``(subtype, message)`` pairs worth a warning even though a palette was found (a stale copy was used).
    """

    palette: Palette | None = None
    origin: str = "failed"
    error: str | None = None
    subtype: str | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)
    image_url: str | None = None
    manifest_url: str | None = None
    label: str | None = None
    credit: str | None = None
    checked_at: float | None = None
    #: Pixel size of the image the palette was taken from (the derivative, for IIIF), when its header says.
    width: int | None = None
    height: int | None = None


class SourceFailure(Exception):
    """A failure with the warning subtype it belongs to (``fetch``, ``offline``, ``iiif``, ``image``, ...)."""

    def __init__(self, subtype: str, message: str) -> None:
        super().__init__(message)
        self.subtype = subtype


class PaletteService:
    """Palettes for local files and URLs, through the cache, honouring offline mode and the remote TTL."""

    def __init__(
        self,
        cache: PaletteCache,
        fetch_settings: FetchSettings,
        *,
        remote_ttl: float = 86400.0,
        offline: bool = False,
        clock: Callable[[], float] = time.time,
        gate: HostGate | None = None,
    ) -> None:
        self.cache = cache
        self.fetch_settings = fetch_settings
        self.remote_ttl = remote_ttl
        self.offline = offline
        self.clock = clock
        #: Per-host limits and pauses shared by every thread fetching for this service.
        self.gate = gate or HostGate()
        self.cache_error: str | None = None
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}
        # Failures already reported: by source and request (what a directive asked for), and by fetched URL
        # (so a URL that failed is neither fetched again nor reported again, whichever directive uses it).
        self._failures: dict[str, tuple[str, str]] = {}
        self._fetch_failures: dict[str, str] = {}

    def from_file(self, path: str | Path, request: PaletteRequest) -> PaletteResult:
        """The palette of a local image file."""
        return self.complete(self.prepare_file(path, request))

    def from_url(self, url: str, request: PaletteRequest) -> PaletteResult:
        """The palette of an http(s) image, IIIF image service or IIIF manifest at ``url``."""
        return self.complete(self.prepare_url(url, request))

    def prepare(self, request: PaletteRequest, location: str | Path | None = None) -> Prepared:
        """First stage for ``request``: its image bytes (or its cached palette, or its failure).

        ``location`` is where the source is: a URL, or the path of a local file (by default
        ``request.source``). Safe to call from several threads at once.
        """
        where = request.source if location is None else location
        if isinstance(where, str) and is_url(where):
            return self.prepare_url(where, request)
        return self.prepare_file(where, request)

    def prepare_file(self, path: str | Path, request: PaletteRequest) -> Prepared:
        """First stage for a local image file: read it, look its palette up in the cache."""
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            return Prepared(_failed("source", f"image file not found: {request.source}"))
        except OSError as exc:
            message = f"cannot read image file {request.source}: {exc.strerror or exc}"
            return Prepared(_failed("source", message))
        return self._task(data, request, request.region, PaletteResult(), None)

    def prepare_url(self, url: str, request: PaletteRequest) -> Prepared:
        """First stage for a URL: the cache within the TTL, else a (conditional) fetch; IIIF resolved."""
        shown = redact_url(url)
        problem = url_problem(url)
        if problem is not None:
            return Prepared(_failed("source", f"cannot fetch {shown}: {problem}"))
        # A URL that failed once fails for every later use in this build; report it once.
        failure_key = f"{url}#{request.canvas}#{request.region}"
        if failure_key in self._failures:
            subtype, message = self._failures[failure_key]
            return Prepared(PaletteResult(error=message, subtype=subtype))
        result = PaletteResult()
        # One deadline for the whole chain (manifest, info.json, image): palette_timeout bounds the image.
        deadline = time.monotonic() + self.fetch_settings.timeout
        try:
            return self._resolve(url, request, result, deadline)
        except SourceFailure as exc:
            self._failures[failure_key] = (exc.subtype, str(exc))
            result.error, result.subtype, result.origin = str(exc), exc.subtype, "failed"
            return Prepared(result)

    def prepare_bytes(
        self, data: bytes, request: PaletteRequest, *, image_url: str | None = None
    ) -> Prepared:
        """First stage for image bytes the caller read itself (from object storage, say)."""
        return self._task(data, request, request.region, PaletteResult(image_url=image_url), None)

    def fetch_document(self, url: str) -> object:
        """The parsed JSON document at ``url`` (a IIIF collection, say), through the cache, the limits and
        the host gate, as the documents of a palette are; raises `SourceFailure`."""
        problem = url_problem(url)
        if problem is not None:
            raise SourceFailure("source", f"cannot fetch {redact_url(url)}: {problem}")
        deadline = time.monotonic() + self.fetch_settings.timeout
        data, _ = self._get(url, PaletteResult(), deadline, accept=JSON_ACCEPT)
        return _parse_json(url, data)

    def complete(self, prepared: Prepared, computed: Computed | None = None) -> PaletteResult:
        """Last stage: the result of ``prepared``, computing its palette here unless ``computed`` is given.

        A computed palette is written to the cache at once, so an interrupted batch keeps its work.
        """
        result, task = prepared.result, prepared.task
        if task is None:
            return result
        if computed is None:
            computed = compute(task)
        if computed.palette is None:
            result.error, result.subtype, result.origin = computed.error, "image", "failed"
            return result
        palette = computed.palette
        result.palette, result.origin = palette, "computed"
        self._store(lambda: self.cache.put_palette(task.key, palette))
        return result

    def resolve_many(
        self,
        jobs: Iterable[BatchJob],
        options: BatchOptions | None = None,
        *,
        progress: Callable[[BatchProgress], None] | None = None,
    ) -> Iterator[BatchOutcome]:
        """Resolve many requests at once, yielding each outcome as it completes; see `remote.batch`."""
        from .batch import BatchOptions, resolve_many

        return resolve_many(self, jobs, options or BatchOptions(), progress=progress)

    def _resolve(self, url: str, request: PaletteRequest, result: PaletteResult, deadline: float) -> Prepared:
        data, content_type = self._get(url, result, deadline)
        region = request.region
        image_url = url
        if not iiif.is_image_request(url) and iiif.looks_like_json(data, content_type):
            document = _parse_json(url, data)
            shown = redact_url(url)
            try:
                # The redacted URL: IIIF messages quote it, and the manifest URL is shown in the page.
                resolved = iiif.resolve(
                    shown,
                    document,
                    canvas=request.canvas,
                    region=region,
                    target=IIIF_TARGET,
                    get_json=lambda u: _parse_json(u, self._get(u, result, deadline, accept=JSON_ACCEPT)[0]),
                )
            except iiif.IIIFError as exc:
                raise SourceFailure("iiif", f"{shown}: {exc}") from None
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                # A document shaped in a way the resolver did not foresee: a failed palette, not a crash.
                raise SourceFailure("iiif", f"{shown} cannot be read as a IIIF document ({exc})") from None
            image_url = resolved.image_url
            result.manifest_url = resolved.manifest_url and redact_url(resolved.manifest_url)
            result.label, result.credit = resolved.label, resolved.credit
            # A scaled-down derivative needs the region as the resolver restated it (fractions, not pixels).
            region = None if resolved.region_done else resolved.crop
            data, content_type = self._get(image_url, result, deadline)
        result.image_url = redact_url(image_url)
        return self._task(data, request, region, result, content_type)

    def _get(
        self, url: str, result: PaletteResult, deadline: float, accept: str | None = None
    ) -> tuple[bytes, str | None]:
        """Bytes of ``url``: from the cache within the TTL or offline, else by a (conditional) request."""
        # One thread per URL at a time: a manifest shared by many canvases is fetched once, then cached.
        with self._url_lock(url):
            return self._get_locked(url, result, deadline, accept)

    def _get_locked(
        self, url: str, result: PaletteResult, deadline: float, accept: str | None
    ) -> tuple[bytes, str | None]:
        record = self.cache.get_remote(url)
        cached = self.cache.get_blob(record.blob) if record else None
        now = self.clock()
        if record and cached is not None:
            # A URL that already failed in this build: its cached copy, reported (as stale) once.
            if self.offline or url in self._fetch_failures or now - record.checked_at < self.remote_ttl:
                _note_checked(result, record.checked_at)
                return cached, record.content_type
        elif self.offline:
            raise SourceFailure(
                "offline", f"offline build and no cached copy of {redact_url(url)}; build once online first"
            )
        elif url in self._fetch_failures:
            raise SourceFailure("fetch", self._fetch_failures[url])
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SourceFailure(
                "fetch",
                f"gave up before fetching {redact_url(url)}: the {self.fetch_settings.timeout:g} s allowed "
                "for this image went on the IIIF documents before it",
            )
        try:
            with self.gate.slot(url):
                response = fetch(
                    url,
                    replace(
                        self.fetch_settings,
                        timeout=min(deadline - time.monotonic(), self.fetch_settings.timeout),
                    ),
                    etag=record.etag if cached is not None and record else None,
                    last_modified=record.last_modified if cached is not None and record else None,
                    session=self._get_session(),
                    accept=accept,
                    gate=self.gate,
                )
        except FetchError as exc:
            self._fetch_failures[url] = str(exc)
            if record and cached is not None:
                age = _describe_age(now - record.checked_at)
                result.notices.append(
                    (
                        "stale",
                        f"could not refresh {exc.url} ({exc.reason}); using the stale copy cached {age}",
                    )
                )
                _note_checked(result, record.checked_at)
                return cached, record.content_type
            raise SourceFailure("fetch", str(exc)) from None
        if response.status == 304 and record and cached is not None:
            refreshed = _replace_checked(record, now, response.etag, response.last_modified)
            self._store(lambda: self.cache.put_remote(refreshed))
            _note_checked(result, now)
            return cached, record.content_type
        data = response.content or b""
        if is_cacheable(data):  # an error page or a non-image body is used once, never stored
            digest = content_hash(data)
            self._store(lambda: self.cache.put_blob(data))
            self._store(
                lambda: self.cache.put_remote(
                    RemoteRecord(
                        url=url,
                        blob=digest,
                        checked_at=now,
                        etag=response.etag,
                        last_modified=response.last_modified,
                        content_type=response.content_type,
                    )
                )
            )
        _note_checked(result, now)
        return data, response.content_type

    def _task(
        self,
        data: bytes,
        request: PaletteRequest,
        region: Region | None,
        result: PaletteResult,
        content_type: str | None,
    ) -> Prepared:
        """The palette from the cache (a finished result), or what to compute it from."""
        parameters = {
            "colors": request.colors,
            "sort": request.sort,
            "seed": request.seed,
            "emphasis": request.emphasis,
            "region": None if region is None else str(region),
        }
        key = palette_key(content_hash(data), parameters)
        result.width, result.height = image_dimensions(data) or (None, None)
        cached = self.cache.get_palette(key)
        if cached is not None:
            result.palette, result.origin = cached, "cache"
            return Prepared(result)
        task = ComputeTask(
            key=key,
            data=data,
            colors=request.colors,
            sort=request.sort,
            seed=request.seed,
            region=region,
            where=result.image_url or request.source,
            content_type=content_type,
            emphasis=request.emphasis,
        )
        return Prepared(result, task)

    def _store(self, write: Callable[[], object]) -> None:
        try:
            write()
        except CacheError as exc:
            self.cache_error = self.cache_error or str(exc)

    def close(self) -> None:
        """Close pooled HTTP connections; the service stays usable and reconnects when needed."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for session in sessions:
            session.close()

    def _get_session(self) -> requests.Session:
        # One session per thread: connections are reused by the thread that opened them.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = make_session(self.fetch_settings)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _url_lock(self, url: str) -> threading.Lock:
        with self._lock:
            return self._url_locks.setdefault(url, threading.Lock())


def _failed(subtype: str, message: str) -> PaletteResult:
    return PaletteResult(error=message, subtype=subtype)


def _parse_json(url: str, data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise SourceFailure("iiif", f"{redact_url(url)} is not valid JSON: {exc}") from None


def _note_checked(result: PaletteResult, checked_at: float) -> None:
    result.checked_at = checked_at if result.checked_at is None else min(result.checked_at, checked_at)


def _replace_checked(
    record: RemoteRecord, now: float, etag: str | None, last_modified: str | None
) -> RemoteRecord:
    """The record after a 304: checked now, with any validators the 304 updated."""
    return RemoteRecord(
        url=record.url,
        blob=record.blob,
        checked_at=now,
        etag=etag or record.etag,
        last_modified=last_modified or record.last_modified,
        content_type=record.content_type,
    )


def _describe_age(seconds: float) -> str:
    for unit, size, below in (("minute", 60, 3600), ("hour", 3600, 2 * 86400), ("day", 86400, None)):
        if below is None or seconds < below:
            count = max(1, round(seconds / size))
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    raise AssertionError("unreachable")  # pragma: no cover
