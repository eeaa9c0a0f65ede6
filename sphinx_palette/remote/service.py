"""From what an author wrote to a palette: read or fetch the image, resolve IIIF, consult the cache.

`PaletteService` is the one object the front ends talk to. It knows nothing of Sphinx: it takes a
`PaletteRequest` (or many, `PaletteService.resolve_many`) and returns a `PaletteResult` whose ``error`` and
``notices`` the caller turns into warnings. It is safe to use from several threads at once: each source is
resolved in two stages, `prepare` (cache, fetch, IIIF; threads) and `compute` (the engine; any process).
The request and result types live in `remote.service_model`, the cached fetching of URLs in
`remote.cached_fetch`; both are re-exported here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.decode_header import image_dimensions
from ..engine.decode_limits import DEFAULT_DECODE_BYTES
from ..engine.region import Region
from . import iiif
from .cache import CacheError, PaletteCache, content_hash, palette_key
from .cached_fetch import CachedFetcher, parse_json
from .compute import Computed, ComputeTask, FileJob, Prepared, compute, region_notices
from .fetch import FetchSettings
from .file_memo import ImageFacts
from .politeness import HostGate
from .service_model import PaletteRequest, PaletteResult, SourceFailure
from .urls import is_url, redact_url, url_problem

if TYPE_CHECKING:
    from ..settings import PaletteConfig
    from .batch import BatchJob, BatchOptions, BatchOutcome, BatchProgress

__all__ = ["IIIF_TARGET", "PaletteRequest", "PaletteResult", "PaletteService", "SourceFailure"]

#: Long side, in pixels, of the IIIF derivative asked for: as much as the engine samples, no more.
IIIF_TARGET = 512
#: How much of a cached copy `PaletteService.known_url` reads for its header: a little first (most headers sit
#: in the first few hundred bytes), more only when that holds none (a JPEG's may follow EXIF and ICC data).
_HEADER_BYTES = (4 * 1024, 64 * 1024)


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
        decode_budget: int = DEFAULT_DECODE_BYTES,
    ) -> None:
        self.cache = cache
        #: Most memory one decode may take, in bytes (``palette_decode_budget``); goes with each task.
        self.decode_budget = decode_budget
        self.fetch_settings = fetch_settings
        self.cache_error: str | None = None
        #: The remote half: sessions, per-URL locks, TTL, offline mode and the per-host gate.
        self.fetcher = CachedFetcher(
            cache,
            fetch_settings,
            remote_ttl=remote_ttl,
            offline=offline,
            clock=clock,
            gate=gate or HostGate(),
            store=self._store,
        )
        # Failures already reported, by source and request (what a directive asked for).
        self._failures: dict[str, tuple[str, str]] = {}

    @classmethod
    def from_config(
        cls,
        config: PaletteConfig,
        cache_location: str | Path,
        *,
        user_agent: str,
        verify: bool | str = True,
        host_ca_certs: tuple[tuple[str, str], ...] = (),
    ) -> PaletteService:
        """The service of a build or command: the cache at ``cache_location`` (a path or URL), and the
        limits, TTL, offline mode and decode budget of ``config``; ``verify`` and ``host_ca_certs`` are
        the TLS settings of `FetchSettings`."""
        fetch_settings = FetchSettings(
            timeout=config.timeout,
            max_bytes=config.max_bytes,
            user_agent=user_agent,
            verify=verify,
            host_ca_certs=host_ca_certs,
        )
        return cls(
            PaletteCache(cache_location),
            fetch_settings,
            remote_ttl=config.remote_ttl,
            offline=config.is_offline(),
            decode_budget=config.decode_budget,
        )

    @property
    def gate(self) -> HostGate:
        """Per-host limits and pauses shared by every thread fetching for this service (replaceable)."""
        return self.fetcher.gate

    @gate.setter
    def gate(self, gate: HostGate) -> None:
        self.fetcher.gate = gate

    @property
    def offline(self) -> bool:
        """True when nothing is fetched: remote sources come from the cache or fail."""
        return self.fetcher.offline

    @property
    def remote_ttl(self) -> float:
        """Seconds a cached remote copy is used before it is revalidated."""
        return self.fetcher.remote_ttl

    def from_file(self, path: str | Path, request: PaletteRequest) -> PaletteResult:
        """The palette of a local image file."""
        return self.complete(self.prepare_file(path, request))

    def from_url(self, url: str, request: PaletteRequest) -> PaletteResult:
        """The palette of an http(s) image, IIIF image service or IIIF manifest at ``url``."""
        return self.complete(self.prepare_url(url, request))

    def prepare(
        self, request: PaletteRequest, location: str | Path | None = None, *, hand_off: bool = False
    ) -> Prepared:
        """First stage for ``request``: its image bytes (or its cached palette, or its failure).

        ``location`` is where the source is: a URL, or the path of a local file (by default
        ``request.source``). ``hand_off`` is as for `prepare_file`. Safe to call from several threads at once.
        """
        where = request.source if location is None else location
        if isinstance(where, str) and is_url(where):
            return self.prepare_url(where, request)
        return self.prepare_file(where, request, hand_off=hand_off)

    def prepare_file(self, path: str | Path, request: PaletteRequest, *, hand_off: bool = False) -> Prepared:
        """First stage for a local image file: its palette from the cache, else its bytes.

        A file the cache has read before and that is unchanged since (`PaletteCache.file_facts`: same size,
        times, inode and device) is not read again when its palette is cached. Any other file is, with
        ``hand_off`` and a cache on disk, left unread: the `Prepared` holds a `FileJob` for a process on
        this machine to resolve whole (`local_files.resolve_file`).
        """
        known = self.known_file(path, request)
        if known is not None:
            return Prepared(known)
        if hand_off and self.cache.on_disk:
            job = FileJob(os.path.abspath(path), request, str(self.cache.directory), self.decode_budget)
            return Prepared(PaletteResult(), file_job=job)
        try:
            before = os.stat(path)
            data = Path(path).read_bytes()
            after = os.stat(path)
        except FileNotFoundError:
            return Prepared(_failed("source", f"image file not found: {request.source}"))
        except OSError as exc:
            message = f"cannot read image file {request.source}: {exc.strerror or exc}"
            return Prepared(_failed("source", message))
        facts = _facts_of(data)
        self.cache.remember_file(path, before, after, facts)
        result = PaletteResult()
        result.notices.extend(_region_notices(request.region, data))
        return self._task(data, request, request.region, result, None, facts)

    def known(self, request: PaletteRequest, location: str | Path | None = None) -> PaletteResult | None:
        """The result of ``request`` when the cache answers it at once (`known_file`, `known_url`), else None.

        Cheap enough to call where the request is made, instead of handing it to `prepare`'s threads.
        """
        where = request.source if location is None else location
        if isinstance(where, str) and is_url(where):
            return self.known_url(where, request)
        return self.known_file(where, request)

    def known_url(self, url: str, request: PaletteRequest) -> PaletteResult | None:
        """The result for an image URL whose cached copy is used as it is (within the TTL, or offline) and
        whose palette is cached, as `prepare_url` would give it, without its threads; else None (a IIIF
        document, a region, a copy to revalidate, a URL that failed, a cache in object storage: see
        `CachedFetcher.cached_fresh`)."""
        if request.region is not None or url_problem(url) is not None:
            return None
        if _failure_key(url, request) in self._failures:
            return None
        result = PaletteResult()
        short, long = _HEADER_BYTES
        fetched = self.fetcher.cached_fresh(url, result, head=short)
        if fetched is None or fetched.digest is None:
            return None
        start, digest = fetched.data, fetched.digest
        # Read in order, a header found in the start is the one the whole copy gives; else the whole is read.
        # A IIIF document has no image header: it is left to `prepare_url`, which resolves it to its image.
        size = image_dimensions(start)
        if size is None and len(start) == short:
            start = self.cache.blob_head(digest, long) or b""
            size = image_dimensions(start)
        if size is None:
            return None
        cached = self.cache.get_palette(_palette_key(digest, request, None))
        if cached is None:
            return None
        result.image_url = redact_url(url)
        result.width, result.height = size
        result.palette, result.origin = cached, "cache"
        return result

    def known_file(self, path: str | Path, request: PaletteRequest) -> PaletteResult | None:
        """The result for a local file the cache answers without reading it, else None.

        That is a file the cache has read before and that is unchanged since (`PaletteCache.file_facts`:
        same size, times, inode and device), whose palette for ``request`` is cached: two small cache
        entries read, the image not opened. Cheap enough to call where the request is made.
        """
        if request.region is not None:
            return None
        known = self.cache.file_facts(path)
        if known is None:
            return None
        cached = self.cache.get_palette(_palette_key(known.digest, request, None))
        if cached is None:
            return None
        return PaletteResult(cached, "cache", width=known.width, height=known.height)

    def prepare_url(self, url: str, request: PaletteRequest) -> Prepared:
        """First stage for a URL: the cache within the TTL, else a (conditional) fetch; IIIF resolved."""
        shown = redact_url(url)
        problem = url_problem(url)
        if problem is not None:
            return Prepared(_failed("source", f"cannot fetch {shown}: {problem}"))
        # A URL that failed once fails for every later use in this build; report it once.
        failure_key = _failure_key(url, request)
        if failure_key in self._failures:
            subtype, message = self._failures[failure_key]
            return Prepared(_failed(subtype, message))
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
        result = PaletteResult(image_url=image_url)
        result.notices.extend(_region_notices(request.region, data))
        return self._task(data, request, request.region, result, None)

    def fetch_document(self, url: str) -> object:
        """The parsed JSON document at ``url`` (a IIIF collection, say), through the cache, the limits and
        the host gate, as the documents of a palette are; raises `SourceFailure`."""
        problem = url_problem(url)
        if problem is not None:
            raise SourceFailure("source", f"cannot fetch {redact_url(url)}: {problem}")
        deadline = time.monotonic() + self.fetch_settings.timeout
        return self.fetcher.get_json(url, PaletteResult(), deadline)

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

    def close(self) -> None:
        """Close pooled HTTP connections; the service stays usable and reconnects when needed."""
        self.fetcher.close()

    def _resolve(self, url: str, request: PaletteRequest, result: PaletteResult, deadline: float) -> Prepared:
        data, content_type, digest = self.fetcher.fetch(url, result, deadline)
        region = request.region
        image_url = url
        full_size: tuple[int, int] | None = None
        if not iiif.is_image_request(url) and iiif.looks_like_json(data, content_type):
            document = parse_json(url, data)
            shown = redact_url(url)
            try:
                # The redacted URL: IIIF messages quote it, and the manifest URL is shown in the page.
                resolved = iiif.resolve(
                    shown,
                    document,
                    canvas=request.canvas,
                    region=region,
                    target=IIIF_TARGET,
                    get_json=lambda u: self.fetcher.get_json(u, result, deadline),
                )
            except iiif.IIIFError as exc:
                raise SourceFailure("iiif", f"{shown}: {exc}") from None
            except (AttributeError, KeyError, TypeError, ValueError):
                # A document shaped in a way the resolver did not foresee: a failed palette, not a crash.
                # Python's own words ("'list' object has no attribute 'get'") would tell an author nothing.
                reason = "its structure is not that of a IIIF manifest or image service"
                raise SourceFailure("iiif", f"{shown} cannot be read as a IIIF document ({reason})") from None
            image_url = resolved.image_url
            result.manifest_url = resolved.manifest_url and redact_url(resolved.manifest_url)
            result.label, result.credit = resolved.label, resolved.credit
            # A scaled-down derivative needs the region as the resolver restated it (fractions, not pixels).
            region = None if resolved.region_done else resolved.crop
            full_size = resolved.full_size
            data, content_type, digest = self.fetcher.fetch(image_url, result, deadline)
        result.image_url = redact_url(image_url)
        # The region is measured on the full image a IIIF service describes, else on the image as shown.
        result.notices.extend(_region_notices(request.region, data, full_size))
        # A cached copy was checked against its hash when read: it is not hashed a second time.
        return self._task(data, request, region, result, content_type, _facts_of(data, digest))

    def _task(
        self,
        data: bytes,
        request: PaletteRequest,
        region: Region | None,
        result: PaletteResult,
        content_type: str | None,
        facts: ImageFacts | None = None,
    ) -> Prepared:
        """The palette from the cache (a finished result), or what to compute it from; ``facts`` are the
        hash and size of ``data`` when the caller has them already."""
        facts = facts or _facts_of(data)
        key = _palette_key(facts.digest, request, region)
        result.width, result.height = facts.width, facts.height
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
            decode_budget=self.decode_budget,
        )
        return Prepared(result, task)

    def _store(self, write: Callable[[], object]) -> None:
        try:
            write()
        except CacheError as exc:
            self.cache_error = self.cache_error or str(exc)


def _palette_key(digest: str, request: PaletteRequest, region: Region | None) -> str:
    """The cache key of ``request``'s palette of the image hashing to ``digest``, cut to ``region``."""
    parameters = {
        "colors": request.colors,
        "sort": request.sort,
        "seed": request.seed,
        "emphasis": request.emphasis,
        "region": None if region is None else str(region),
    }
    return palette_key(digest, parameters)


def _failure_key(url: str, request: PaletteRequest) -> str:
    """What a URL's failure is remembered under: one URL may fail for one canvas or region only."""
    return f"{url}#{request.canvas}#{request.region}"


def _facts_of(data: bytes, digest: str | None = None) -> ImageFacts:
    """The hash (``digest`` when the caller knows it already) and header size of image ``data``."""
    return ImageFacts(digest or content_hash(data), *(image_dimensions(data) or (None, None)))


def _failed(subtype: str, message: str) -> PaletteResult:
    return PaletteResult(error=message, subtype=subtype)


def _region_notices(
    region: Region | None, data: bytes, full_size: tuple[int, int] | None = None
) -> list[tuple[str, str]]:
    """`region_notices` for ``region`` cut from ``data`` (or from an image of ``full_size``).

    The header is read only when there is a region: that is libvips' import and work on every cached
    palette otherwise, so a build whose palettes all come from the cache never loads it.
    """
    if region is None:
        return []
    from ..engine.decode import shown_dimensions

    return region_notices(region, full_size or shown_dimensions(data))
