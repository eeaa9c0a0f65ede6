"""What a fetch takes and gives: its limits (`FetchSettings`), its result (`FetchResult`), its
failure (`FetchError`), and durations as messages state them (`seconds`).

Re-exported by `sphinx_palette.remote.fetch`, where callers import them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .urls import redact_url

__all__ = ["FetchError", "FetchResult", "FetchSettings", "seconds", "size_in_words"]


@dataclass(frozen=True)
class FetchSettings:
    """Limits and identity for fetching one resource.

    ``timeout`` is the total deadline in seconds for one :func:`fetch` call, retries and redirects
    included.  ``verify`` is passed to requests: ``True``/``False`` (Sphinx's ``tls_verify``) or the
    path of a CA bundle (from ``tls_cacerts``); ``host_ca_certs`` holds ``(netloc, bundle path)`` pairs
    for Sphinx's per-host form of ``tls_cacerts``.
    """

    timeout: float = 20.0
    max_bytes: int = 50_000_000
    user_agent: str = "sphinx-palette"
    verify: bool | str = True
    max_tries: int = 3
    max_redirects: int = 5
    host_ca_certs: tuple[tuple[str, str], ...] = ()

    def verify_for(self, url: str) -> bool | str:
        """What requests' ``verify`` should be for ``url``: a host's own CA bundle if it has one."""
        if self.verify is False or not self.host_ca_certs:
            return self.verify
        netloc = urlsplit(url).netloc.rpartition("@")[2]
        return dict(self.host_ca_certs).get(netloc, self.verify)


@dataclass(frozen=True)
class FetchResult:
    """A fetched resource.  URLs are redacted (no credentials).

    ``status`` is 200 (``content`` holds the body) or 304 (``content`` is None: the copy the caller
    holds for ``etag`` / ``last_modified`` is still current).  ``content_type`` is the bare media
    type, lower case, without parameters.
    """

    url: str
    final_url: str
    status: int
    content: bytes | None
    content_type: str | None
    etag: str | None
    last_modified: str | None


class FetchError(Exception):
    """A resource could not be fetched.

    ``url`` is the requested URL with any credentials removed; ``reason`` is a short phrase
    (``"HTTP 404 Not Found"``, ``"timed out"``, ...); ``str(error)`` is a sentence for a docs
    author.
    """

    def __init__(self, url: str, reason: str, detail: str | None = None) -> None:
        self.url = redact_url(url)
        self.reason = reason
        self.detail = detail
        message = f"cannot fetch {self.url}: {reason}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Parallel Sphinx builds pickle exceptions; rebuild from the fields, not the message.
        return (type(self), (self.url, self.reason, self.detail))


def size_in_words(count: int) -> str:
    """A number of bytes for a message, in decimal units as limits are set: ``"2.15 GB"``, ``"50 MB"``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def seconds(value: float) -> str:
    """A duration for a message: whole seconds from 10 s up, one decimal below (``"20 s"``, ``"0.5 s"``)."""
    if value >= 9.95:
        return f"{round(value):d} s"
    return f"{round(value, 1):g} s"
