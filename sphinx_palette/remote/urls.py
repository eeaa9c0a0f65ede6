"""URL helpers shared by every layer: is a source a URL, and the form of a URL that is safe to show."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def is_url(source: str) -> bool:
    """True when ``source`` has a URL scheme (``http:``, ``ftp:``, ``data:`` ...) rather than being a path."""
    scheme = urlsplit(source).scheme
    return len(scheme) > 1  # one letter is a Windows drive, as in C:\images\a.png


def redact_url(url: str) -> str:
    """Return ``url`` without its ``user:password@`` part, for any message or output."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or "@" not in parts.netloc:
        if parts is None and "@" in url:
            # Unparseable: cut anything between "//" and the last "@" before the path.
            head, sep, rest = url.partition("//")
            if sep:
                authority, slash, path = rest.partition("/")
                return head + sep + authority.rpartition("@")[2] + slash + path
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
