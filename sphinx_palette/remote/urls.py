"""URL rules for every layer: is a source a URL, can it be fetched, and the form of it that is safe to show.

Nothing here raises on what an author may write: a malformed URL is a `url_problem` in words, and
`redact_url` returns something printable for any string.

Redaction removes ``user:password@`` and replaces the value of every query (or fragment) parameter that
carries a credential with ``REDACTED``: the names in `REDACTED_PARAMS`, any name starting with one of
`REDACTED_PREFIXES` (``X-Amz-Signature``, ``X-Goog-Credential`` ...), and the names a project adds with
`add_redacted_params` (the ``palette_redact_params`` setting). Only what is shown or stored is redacted; the
request itself uses the URL as written.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

__all__ = [
    "FETCHED_SCHEMES",
    "REDACTED",
    "REDACTED_PARAMS",
    "REDACTED_PREFIXES",
    "add_redacted_params",
    "is_redacted_param",
    "is_url",
    "redact_url",
    "url_problem",
]

FETCHED_SCHEMES = ("http", "https")

#: What a redacted value is replaced with.
REDACTED = "REDACTED"

#: Query parameter names (compared without case) whose values are credentials.
REDACTED_PARAMS = frozenset(
    {
        "access_token",
        "api-key",
        "api_key",
        "apikey",
        "auth",
        "awsaccesskeyid",
        "client_secret",
        "id_token",
        "key",
        "password",
        "refresh_token",
        "secret",
        "sig",
        "signature",
        "token",
    }
)
#: Name prefixes whose parameters are all redacted: pre-signed S3 and Google Cloud Storage URLs.
REDACTED_PREFIXES = ("x-amz-", "x-goog-")

# Names and prefixes added by projects. Only ever grows: redacting one parameter too many is harmless,
# one too few would leak, so a process that builds several projects redacts the union of their settings.
_added_names: set[str] = set()
_added_prefixes: set[str] = set()
_added_lock = threading.Lock()

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# One parameter after ?, &, ; or # (OAuth implicit grants put the token in the fragment).
_PARAMETER = re.compile(r"(?P<lead>[?&;#])(?P<name>[^=&;#?]+)=(?P<value>[^&;#]*)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST_CHARACTERS = re.compile(r"^[A-Za-z0-9._~\-]+$")


def is_url(source: str) -> bool:
    """True when ``source`` starts with a URL scheme (``http:``, ``ftp:``, ``data:`` ...) rather than a path.

    A one-letter scheme is a Windows drive, as in ``C:\\images\\a.png``. Never raises.
    """
    match = _SCHEME.match(source.strip())
    return match is not None and len(match.group(1)) > 1


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched, in words, or ``None`` when it is a well-formed http(s) URL.

    Checks the scheme (only http and https), the host (present; IPv6 brackets balanced; an international
    name that IDNA can encode), the port (a number from 1 to 65535) and control characters. Spaces in the
    path and query are allowed: they are sent percent-encoded, as a browser does.
    """
    text = url.strip()
    match = _SCHEME.match(text)
    if match is None or len(match.group(1)) < 2:
        return "not a URL (it has no scheme such as https:)"
    scheme = match.group(1).lower()
    if scheme not in FETCHED_SCHEMES:
        if scheme == "file":
            return "only http and https URLs are fetched, not file: (give a local image by its path instead)"
        if scheme == "data":
            return "only http and https URLs are fetched, not data: (save the image in the project instead)"
        return f"only http and https URLs are fetched, not {scheme}:"
    if _CONTROL.search(text):
        return "the URL contains a control character (a tab or line break?)"
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        if "IPv6" in str(exc):
            return "malformed URL: the brackets around an IPv6 address are not balanced"
        return f"malformed URL ({exc})"
    if not parts.netloc.rpartition("@")[2]:
        return "the URL has no host name"
    try:
        port = parts.port
    except ValueError:
        return "the port is not a number from 1 to 65535"
    if port == 0:
        return "the port is not a number from 1 to 65535"
    return _host_problem(parts.hostname or "", parts.netloc.rpartition("@")[2])


def _host_problem(host: str, hostport: str) -> str | None:
    if not host:
        return "the URL has no host name"
    if hostport.startswith("["):
        return None  # urlsplit has checked the brackets; the address itself is for the resolver
    if " " in host:
        return "the host name contains a space"
    if host.isascii():
        if not _HOST_CHARACTERS.match(host):
            return f"the host name {host!r} contains characters a host name cannot have"
        return None
    try:
        import idna

        idna.encode(host, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError):
        # idna's reason ("Codepoint U+2603 not allowed at position 1") is the library's, not the author's.
        return f"the host name {host!r} is not a valid international domain name"
    return None


def add_redacted_params(names: Iterable[str]) -> None:
    """Redact these query parameters too, in this process, from now on.

    A name ending in ``*`` is a prefix (``"X-Acme-*"``). Names are compared without case.
    """
    with _added_lock:
        for name in names:
            word = name.strip().lower()
            if word.endswith("*") and len(word) > 1:
                _added_prefixes.add(word[:-1])
            elif word and word != "*":
                _added_names.add(word)


def is_redacted_param(name: str) -> bool:
    """True when a query parameter called ``name`` carries a credential and is shown as `REDACTED`."""
    word = unquote(name).strip().lower()
    if word in REDACTED_PARAMS or word in _added_names:
        return True
    return word.startswith(REDACTED_PREFIXES) or any(word.startswith(p) for p in _added_prefixes)


def redact_url(url: str) -> str:
    """``url`` without its ``user:password@`` part and with credential parameters' values `REDACTED`.

    For any message or output; works on malformed URLs too and never raises.
    """
    shown = _without_userinfo(url)
    return _PARAMETER.sub(_redact_parameter, shown)


def _redact_parameter(match: re.Match[str]) -> str:
    if not is_redacted_param(match.group("name")) or not match.group("value"):
        return match.group(0)
    return f"{match.group('lead')}{match.group('name')}={REDACTED}"


def _without_userinfo(url: str) -> str:
    head, sep, rest = url.partition("//")
    if not sep or not _SCHEME.match(head):
        return url
    # The authority ends at the first "/", "?" or "#"; the userinfo is everything before its last "@".
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    authority = rest[:end]
    if "@" not in authority:
        return url
    return head + sep + authority.rpartition("@")[2] + rest[end:]
