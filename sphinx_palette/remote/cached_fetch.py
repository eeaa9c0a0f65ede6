"""The bytes of a URL through the cache: fresh within the TTL, revalidated after, stale if a refresh fails.

`CachedFetcher` is the remote half of the palette service. It keeps one HTTP session per thread, lets one
thread at a time fetch a given URL (a manifest shared by many canvases is fetched once, then cached),
remembers the URLs that failed in this build, and honours offline mode, the per-host gate and the deadline
of the whole chain (manifest, info.json, image).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from .cache import PaletteCache, RemoteRecord, content_hash, is_cacheable
from .fetch import FetchError, FetchSettings, fetch, make_session
from .fetch_model import seconds
from .politeness import HostGate
from .service_model import PaletteResult, SourceFailure, note_checked
from .urls import redact_url

if TYPE_CHECKING:
    import requests

__all__ = ["JSON_ACCEPT", "CachedFetcher", "Fetched", "parse_json"]

#: Sent when a IIIF document is expected, for servers that negotiate between JSON-LD and HTML.
JSON_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"


class Fetched(NamedTuple):
    """The bytes of a URL, their content type, and their sha256 when known without hashing them again (a
    cached copy, checked against its hash when read, or bytes just stored)."""

    data: bytes
    content_type: str | None
    digest: str | None = None


class CachedFetcher:
    """Bytes of URLs from the cache within ``remote_ttl`` (or offline), else by a (conditional) request.

    ``store`` runs a cache write, keeping the first failure for the caller to report; ``gate`` may be
    replaced after construction (a cluster-wide gate, say).
    """

    def __init__(
        self,
        cache: PaletteCache,
        fetch_settings: FetchSettings,
        *,
        remote_ttl: float,
        offline: bool,
        clock: Callable[[], float],
        gate: HostGate,
        store: Callable[[Callable[[], object]], None],
    ) -> None:
        self.cache = cache
        self.fetch_settings = fetch_settings
        self.remote_ttl = remote_ttl
        self.offline = offline
        self.clock = clock
        self.gate = gate
        self._store = store
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}
        # Fetched URLs that failed: neither fetched again nor reported again, whichever directive uses them.
        self._fetch_failures: dict[str, str] = {}

    def get(
        self, url: str, result: PaletteResult, deadline: float, accept: str | None = None
    ) -> tuple[bytes, str | None]:
        """Bytes and content type of ``url``, noting on ``result`` when they were checked; raises
        `SourceFailure`. ``deadline`` is a `time.monotonic` instant."""
        fetched = self.fetch(url, result, deadline, accept)
        return fetched.data, fetched.content_type

    def fetch(self, url: str, result: PaletteResult, deadline: float, accept: str | None = None) -> Fetched:
        """As `get`, with the bytes' hash when it is known already (see `Fetched`)."""
        # One thread per URL at a time: a manifest shared by many canvases is fetched once, then cached.
        with self._url_lock(url):
            return self._get_locked(url, result, deadline, accept)

    def cached_fresh(self, url: str, result: PaletteResult, head: int) -> Fetched | None:
        """The start (``head`` bytes at most) of the cached copy of ``url`` when `fetch` would use that copy
        as it is, sending nothing (within the TTL, or offline), noting on ``result`` when it was checked;
        else None. Reads only: no lock, no request, not the whole copy (enough for its header and kind).
        Always None for a cache in object storage, without reading anything: a copy's start is read alone
        only from a cache on disk (`PaletteCache.blob_head`), and there each entry read is a request."""
        if not self.cache.on_disk:
            return None
        if url in self._fetch_failures:
            return None  # `fetch` knows what to say of it
        record = self.cache.get_remote(url)
        if record is None or not self._used_as_is(record, self.clock()):
            return None
        start = self.cache.blob_head(record.blob, head)
        if start is None:
            return None
        note_checked(result, record.checked_at)
        return Fetched(start, record.content_type, record.blob)

    def _used_as_is(self, record: RemoteRecord, now: float) -> bool:
        """True when the cached copy ``record`` describes is used without asking its server: offline, or
        checked less than the TTL ago."""
        return self.offline or now - record.checked_at < self.remote_ttl

    def get_json(self, url: str, result: PaletteResult, deadline: float) -> object:
        """The parsed JSON document at ``url``; raises `SourceFailure`."""
        return parse_json(url, self.get(url, result, deadline, accept=JSON_ACCEPT)[0])

    def close(self) -> None:
        """Close pooled HTTP connections; the fetcher stays usable and reconnects when needed."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for session in sessions:
            session.close()

    def _get_locked(self, url: str, result: PaletteResult, deadline: float, accept: str | None) -> Fetched:
        record = self.cache.get_remote(url)
        cached = self.cache.get_blob(record.blob) if record else None
        now = self.clock()
        if record and cached is not None:
            # A URL that already failed in this build: its cached copy, reported (as stale) once.
            if url in self._fetch_failures or self._used_as_is(record, now):
                note_checked(result, record.checked_at)
                return Fetched(cached, record.content_type, record.blob)
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
                f"gave up before fetching {redact_url(url)}: the {seconds(self.fetch_settings.timeout)} "
                "allowed for this image went on the IIIF documents before it",
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
                note_checked(result, record.checked_at)
                return Fetched(cached, record.content_type, record.blob)
            raise SourceFailure("fetch", str(exc)) from None
        if response.status == 304 and record and cached is not None:
            refreshed = _replace_checked(record, now, response.etag, response.last_modified)
            self._store(lambda: self.cache.put_remote(refreshed))
            note_checked(result, now)
            return Fetched(cached, record.content_type, record.blob)
        data = response.content or b""
        digest = None
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
        note_checked(result, now)
        return Fetched(data, response.content_type, digest)

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


def parse_json(url: str, data: bytes) -> object:
    """``data`` parsed as JSON; raises `SourceFailure` (subtype ``iiif``) naming the redacted ``url``."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        why = f"the first error is at line {exc.lineno}, column {exc.colno}"
    except UnicodeDecodeError:
        why = "it is not UTF-8 text"
    except (ValueError, RecursionError):
        why = "it is nested too deeply"
    # Not the parser's own words ("Expecting value: line 1 column 1 (char 0)").
    raise SourceFailure("iiif", f"{redact_url(url)} is not valid JSON ({why})")


def _replace_checked(
    record: RemoteRecord, now: float, etag: str | None, last_modified: str | None
) -> RemoteRecord:
    """The record after a 304: checked now, with any validators the 304 updated."""
    return replace(
        record, checked_at=now, etag=etag or record.etag, last_modified=last_modified or record.last_modified
    )


def _describe_age(seconds: float) -> str:
    for unit, size, below in (("minute", 60, 3600), ("hour", 3600, 2 * 86400), ("day", 86400, None)):
        if below is None or seconds < below:
            count = max(1, round(seconds / size))
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    raise AssertionError("unreachable")  # pragma: no cover
