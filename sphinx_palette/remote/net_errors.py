"""What went wrong on the network, in words: connection refused, timed out, DNS failure, TLS error ...

requests wraps urllib3 errors that wrap socket and ssl errors, and their texts name internal classes
(``HTTPConnectionPool(host=...): Max retries exceeded``). `describe` walks that chain and says what happened
at the bottom of it, for a warning a documentation author can act on.
"""

from __future__ import annotations

import http.client
import socket
import ssl

from urllib3 import exceptions as u3

__all__ = ["describe", "is_tls_failure"]

# OpenSSL's X509_V_ERR_* codes, as ssl.SSLCertVerificationError.verify_code carries them.
_UNTRUSTED = {
    18: "self-signed certificate",
    19: "self-signed certificate in the chain",
    20: "issuer certificate not found",
    21: "no certificate chain to a trusted root",
}
_EXPIRED = 10
_NOT_YET_VALID = 9
_HOST_MISMATCHES = (62, 64)  # host name, IP address


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps (``reason``, arguments, ``__cause__``, ``__context__``)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 32:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        linked = [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]
        todo.extend(e for e in linked if isinstance(e, BaseException))
    return seen


def _first(chain: list[BaseException], kinds: type | tuple[type, ...]) -> BaseException | None:
    return next((e for e in chain if isinstance(e, kinds)), None)


def is_tls_failure(exc: BaseException) -> bool:
    """True when the failure happened in TLS (certificate or handshake), which retrying cannot mend."""
    return _first(_chain(exc), (ssl.SSLError, u3.SSLError)) is not None


def describe(exc: BaseException, host: str = "") -> str:
    """A short phrase for a failed connection, naming the cause in full and never internal class names."""
    chain = _chain(exc)
    verify = _first(chain, ssl.SSLCertVerificationError)
    if isinstance(verify, ssl.SSLCertVerificationError):
        return _certificate(verify, host)
    tls = _first(chain, ssl.SSLError)
    if isinstance(tls, ssl.SSLError):
        return f"TLS error: the secure connection could not be set up ({_ssl_reason(tls)})"
    if _first(chain, u3.SSLError) is not None:
        return "TLS error: the secure connection could not be set up"
    if _first(chain, (u3.NameResolutionError, socket.gaierror)) is not None:
        named = f" {host}" if host else ""
        return f"DNS failure: the host name{named} could not be resolved"
    if _first(chain, ConnectionRefusedError) is not None:
        return "connection refused (is the server running, and on that port?)"
    if _first(chain, (u3.ConnectTimeoutError, socket.timeout, TimeoutError)) is not None:
        return "timed out while connecting"
    if _first(chain, ConnectionResetError) is not None:
        return "the connection was reset by the server"
    if _first(chain, (http.client.RemoteDisconnected, ConnectionAbortedError, BrokenPipeError)) is not None:
        return "the server closed the connection without answering"
    if _first(chain, (http.client.IncompleteRead, u3.IncompleteRead)) is not None:
        return "the response ended before all of it arrived"
    if _first(chain, u3.ProxyError) is not None:
        return "the proxy refused or failed the connection"
    unreachable = _first(chain, OSError)
    if isinstance(unreachable, OSError) and unreachable.strerror:
        return f"connection failed: {unreachable.strerror[0].lower()}{unreachable.strerror[1:]}"
    return "connection failed"


def _certificate(error: ssl.SSLCertVerificationError, host: str) -> str:
    code = error.verify_code
    message = error.verify_message or _ssl_reason(error)
    if code in _UNTRUSTED:
        return f"TLS error: certificate not trusted ({_UNTRUSTED[code]}; {message})"
    if code == _EXPIRED:
        return f"TLS error: certificate expired ({message})"
    if code == _NOT_YET_VALID:
        return f"TLS error: certificate not valid yet ({message})"
    if code in _HOST_MISMATCHES or "hostname" in message.lower() or "ip address mismatch" in message.lower():
        named = f" {host}" if host else " this host"
        return f"TLS error: host name mismatch (the certificate is not valid for{named}; {message})"
    return f"TLS error: certificate not accepted ({message})"


def _ssl_reason(error: ssl.SSLError) -> str:
    reason = getattr(error, "reason", None)
    if reason:
        return str(reason).replace("_", " ").lower()
    return error.strerror or (str(error.args[1]) if len(error.args) > 1 else "no reason given")
