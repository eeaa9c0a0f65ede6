"""Reading an HTTP response's headers: Retry-After, the status in words, the media type."""

from __future__ import annotations

import email.utils
import http
from datetime import UTC, datetime

import requests

__all__ = ["media_type", "retry_after", "status_phrase"]


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def status_phrase(response: requests.Response) -> str:
    """The status as ``HTTP 404 Not Found``."""
    code = response.status_code
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = response.reason or ""
    return f"HTTP {code} {phrase}".rstrip()


def media_type(value: str | None) -> str | None:
    """The bare media type of a Content-Type value, lower case, without parameters."""
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None
