"""Fetch remote images and JSON documents over HTTP(S), within hard limits of time and size.

No Sphinx here: the Sphinx layer turns its configuration into :class:`FetchSettings`
(``user_agent``, ``tls_verify`` / ``tls_cacerts``) and its warnings from :class:`FetchError`.

Guarantees of :func:`fetch`:

* only ``http`` and ``https``, on the first request and on every redirect hop;
* a *total* deadline (``FetchSettings.timeout``) for the whole call, retries, back-off and
  redirects included, kept by the watchdog of `sphinx_palette.remote.deadline`;
* at most ``max_bytes`` of body, refused early from ``Content-Length`` and cut off while streaming; a
  body whose first `SNIFF_BYTES` are neither an image nor a JSON document is cut off there;
* credentials written in a URL (``https://user:pw@host/...``) go to that host only and are
  redacted from every URL this module reports, as are credentials in query parameters
  (`sphinx_palette.remote.urls.redact_url`);
* failures in words (`sphinx_palette.remote.net_errors`), never the texts of urllib3's internals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from ..engine.decode_header import looks_like_image
from . import http_headers, net_errors
from .deadline import Guard, install_deadline_adapter, watchdog
from .fetch_model import FetchError, FetchResult, FetchSettings, seconds, size_in_words
from .urls import FETCHED_SCHEMES, is_url, redact_url, url_problem

if TYPE_CHECKING:
    from .politeness import HostGate

__all__ = [
    "FetchError",
    "FetchResult",
    "FetchSettings",
    "fetch",
    "make_session",
    "seconds",
]

_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024
_BACKOFF_BASE = 0.5
_BACKOFF_MAX = 8.0


# --- fetching -------------------------------------------------------------------------------


class _Retry(Exception):
    """A failure worth another try: connection error, 429 or 5xx."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class _Call:
    """The state of one fetch call: what is asked (URL, headers, validators), deadline and credentials."""

    url: str
    settings: FetchSettings
    deadline: float
    guard: Guard
    auth_origin: tuple[str, int] | None
    auth: tuple[str, str] | None
    #: Shared with other fetching threads: holds requests back while a host is paused (`politeness`).
    gate: HostGate | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Validators of the cached copy, for a conditional request (and kept when a 304 omits them).
    etag: str | None = None
    last_modified: str | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self.guard.fired or self.remaining() <= 0

    def timed_out(self) -> FetchError:
        return FetchError(
            self.url, "timed out", f"no complete answer within {seconds(self.settings.timeout)}"
        )


def _origin(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "").lower(), port


def _split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """Return the URL without userinfo, and the (user, password) it held."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    return redact_url(url), auth


def _check_url(original: str, url: str, *, redirect: bool) -> None:
    """Raise `FetchError` when ``url`` (the request, or a redirect's target) cannot be fetched."""
    problem = url_problem(url)
    if problem is None:
        return
    if redirect:
        scheme = url.partition(":")[0].lower() if is_url(url) else ""
        if scheme and scheme not in FETCHED_SCHEMES:
            where = f"redirected to {redact_url(url)}; only http and https are fetched"
            raise FetchError(original, f"unsupported URL scheme {scheme}:", where)
        raise FetchError(original, f"redirected to {redact_url(url)}, which cannot be fetched", problem)
    raise FetchError(original, "invalid URL", problem)


#: A body whose first this many bytes are neither an image nor a JSON document is not read further: however
#: large ``max_bytes`` is, junk (a gzip body that inflates to gigabytes of zeros) is never held in full.
SNIFF_BYTES = 16 * 2**20


def _read_body(call: _Call, response: requests.Response) -> bytes:
    limit = call.settings.max_bytes
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        # The size measured, rounded; the limit as it was set.
        detail = f"{size_in_words(int(declared))}; the limit is {limit:,} bytes"
        raise FetchError(call.url, "response too large", detail)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise FetchError(call.url, "response too large", f"over the limit of {limit:,} bytes")
        chunks.append(chunk)
        if size >= SNIFF_BYTES and size - len(chunk) < SNIFF_BYTES:
            _check_kind(call, chunks)
        if call.expired():
            raise call.timed_out()
    if call.expired():
        # The watchdog's shutdown can look like a clean end of a body delimited by the close.
        raise call.timed_out()
    return b"".join(chunks)


def _check_kind(call: _Call, chunks: list[bytes]) -> None:
    """Stop a large body that starts as neither an image nor a JSON (IIIF) document."""
    head = b""
    for chunk in chunks:
        head += chunk[: 4096 - len(head)]
        if len(head) >= 4096:
            break
    if looks_like_image(head) or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return
    shown = f"{SNIFF_BYTES // 2**20} MiB"
    raise FetchError(
        call.url, "not an image", f"its first {shown} are in no image format; the rest was not downloaded"
    )


def _one_request(
    call: _Call,
    session: requests.Session,
    url: str,
    headers: dict[str, str],
) -> requests.Response:
    remaining = call.remaining()
    if remaining <= 0:
        raise call.timed_out()
    if call.gate is not None:
        if not call.gate.wait(url, call.deadline):
            wait = seconds(call.gate.paused_for(url))
            raise FetchError(
                call.url, "server busy", f"the host asked for a pause of {wait}, past the deadline"
            )
        remaining = call.remaining()
    auth = call.auth if call.auth and _origin(url) == call.auth_origin else None
    try:
        return session.get(
            url,
            headers=headers,
            auth=auth,
            stream=True,
            allow_redirects=False,
            timeout=(remaining, remaining),
            verify=call.settings.verify_for(url),
        )
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema):
        raise FetchError(call.url, "invalid URL", "the URL cannot be sent as written") from None
    except (requests.exceptions.RequestException, Urllib3HTTPError, OSError, ValueError) as exc:
        if call.expired() or isinstance(exc, requests.exceptions.Timeout):
            raise call.timed_out() from None
        reason = net_errors.describe(exc, _origin(url)[0])
        if net_errors.is_tls_failure(exc):
            # A certificate does not mend itself between tries.
            raise FetchError(call.url, reason) from None
        raise _Retry(reason) from None


def _follow(
    call: _Call,
    session: requests.Session,
    start: str,
    headers: dict[str, str],
) -> tuple[str, requests.Response]:
    """Follow redirects from ``start``; return the final URL and its (non-redirect) response."""
    url = start
    seen = {url}
    hops = 0
    while True:
        response = _one_request(call, session, url, headers)
        if response.status_code not in _REDIRECTS:
            return url, response
        location = response.headers.get("Location")
        response.close()
        if not location:
            raise FetchError(call.url, f"{http_headers.status_phrase(response)} without a Location header")
        hops += 1
        if hops > call.settings.max_redirects:
            raise FetchError(call.url, "too many redirects", f"more than {call.settings.max_redirects}")
        target = urljoin(url, location.strip())
        _check_url(call.url, target, redirect=True)
        target, auth = _split_credentials(target)
        if auth is not None:
            call.auth, call.auth_origin = auth, _origin(target)
        if target in seen:
            raise FetchError(call.url, "redirect loop", f"{redact_url(url)} leads back to {target}")
        seen.add(target)
        url = target


def make_session(settings: FetchSettings | None = None) -> requests.Session:
    """A session for repeated :func:`fetch` calls (connection reuse), with the deadline adapter.

    Passing any other session to :func:`fetch` works too: its stock requests adapters are swapped
    for the deadline adapter; custom adapters (mocks) are kept, with per-read timeouts only.
    """
    session = requests.Session()
    install_deadline_adapter(session)
    if settings is not None:
        session.headers["User-Agent"] = settings.user_agent
    return session


def fetch(
    url: str,
    settings: FetchSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    session: requests.Session | None = None,
    accept: str | None = None,
    gate: HostGate | None = None,
) -> FetchResult:
    """Fetch ``url`` (http or https) within the limits of ``settings``.

        With ``etag`` and/or ``last_modified`` from an earlier result, the request is conditional and
        an unchanged resource comes back as ``status=304`` with ``content=None``.  Connection errors,
        429 and 5xx are retried (at most ``settings.max_tries`` tries) with exponential back-off or the
        server's ``Retry-After``, never beyond the deadline.  ``accept`` sets the Accept header.  A ``gate``
    (`sphinx_palette.remote.politeness.HostGate`) shared by fetching threads is told of every ``Retry-After``
    and holds every request to a paused host back, so one 429 pauses that host for all of them.

        Raises :class:`FetchError` for anything else: other 4xx, too many redirects or a loop, a scheme
        other than http(s), a body over ``max_bytes``, the deadline, TLS failures.
    """
    _check_url(url, url, redirect=False)
    start, auth = _split_credentials(url)
    headers = {"User-Agent": settings.user_agent}
    if accept:
        headers["Accept"] = accept
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    own_session = session is None
    if session is None:
        session = make_session(settings)
    else:
        install_deadline_adapter(session)
    deadline = time.monotonic() + settings.timeout
    try:
        with watchdog(settings.timeout) as guard:
            call = _Call(
                url=start,
                settings=settings,
                deadline=deadline,
                guard=guard,
                auth_origin=_origin(start) if auth else None,
                auth=auth,
                gate=gate,
                headers=headers,
                etag=etag,
                last_modified=last_modified,
            )
            return _fetch_with_retries(call, session)
    finally:
        if own_session:
            session.close()


def _fetch_with_retries(call: _Call, session: requests.Session) -> FetchResult:
    tries = max(1, call.settings.max_tries)
    for attempt in range(1, tries + 1):
        try:
            return _attempt(call, session)
        except _Retry as failure:
            if attempt == tries:
                detail = f"gave up after {tries} tries"
                raise FetchError(call.url, failure.reason, detail) from None
            if failure.retry_after is not None:
                wait = failure.retry_after
                if call.gate is not None:
                    call.gate.pause(call.url, wait)
                if wait >= call.remaining():
                    raise FetchError(
                        call.url,
                        failure.reason,
                        f"the server asked to retry after {seconds(wait)}, "
                        f"beyond the {seconds(call.settings.timeout)} deadline",
                    ) from None
            else:
                wait = min(_BACKOFF_BASE * 2 ** (attempt - 1), _BACKOFF_MAX)
                if wait >= call.remaining():
                    raise FetchError(
                        call.url, failure.reason, "no time left to retry before the deadline"
                    ) from None
            time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(call: _Call, session: requests.Session) -> FetchResult:
    final_url, response = _follow(call, session, call.url, call.headers)
    try:
        code = response.status_code
        if code == 304:
            return FetchResult(
                url=redact_url(call.url),
                final_url=redact_url(final_url),
                status=304,
                content=None,
                content_type=http_headers.media_type(response.headers.get("Content-Type")),
                etag=response.headers.get("ETag") or call.etag,
                last_modified=response.headers.get("Last-Modified") or call.last_modified,
            )
        if code == 429 or 500 <= code <= 599:
            raise _Retry(
                http_headers.status_phrase(response),
                http_headers.retry_after(response.headers.get("Retry-After")),
            )
        if not 200 <= code <= 299:
            raise FetchError(call.url, http_headers.status_phrase(response))
        try:
            content = _read_body(call, response)
        except (requests.exceptions.RequestException, Urllib3HTTPError, OSError) as exc:
            if call.expired():
                raise call.timed_out() from None
            raise _Retry(f"connection broken: {net_errors.describe(exc)}") from None
        return FetchResult(
            url=redact_url(call.url),
            final_url=redact_url(final_url),
            status=code,
            content=content,
            content_type=http_headers.media_type(response.headers.get("Content-Type")),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
    finally:
        response.close()
