"""The cache's records and their schema: what a valid palette record or URL record is.

Whatever is read back from the cache directory went through a disk that anyone (another tool, a careless
edit, a hostile file) may have written, so a record is accepted only when every field is what the cache
itself would have written: finite numbers, rgb as three integers from 0 to 255, shares in [0, 1] that sum to
1, each hex code matching its rgb. Anything else is ``None``, which the cache treats as a miss.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any, TypeGuard

from ..engine import MAX_COLORS, Palette, Swatch
from ..engine.colour import rgb_to_hex
from .urls import redact_url

__all__ = ["SHARE_TOLERANCE", "RemoteRecord", "is_digest", "palette_from_record", "remote_from_record"]

#: How far the shares of a stored palette may sum from 1 (they are rounded when written).
SHARE_TOLERANCE = 1e-3
#: How far in the future a "checked at" time may be: beyond it a record would never expire.
_CLOCK_SLACK = 86400.0

_HEX = re.compile(r"^#[0-9a-f]{6}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class RemoteRecord:
    """What the cache knows of one URL: its validators, when it was last checked, and its bytes' hash."""

    url: str
    blob: str
    checked_at: float
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


def is_digest(value: object) -> bool:
    """True for a sha256 hex digest, as blobs are named."""
    return isinstance(value, str) and _DIGEST.match(value) is not None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _swatch(data: Any) -> Swatch | None:
    if not isinstance(data, dict):
        return None
    rgb, share, hex_code = data.get("rgb"), data.get("share"), data.get("hex")
    if not isinstance(rgb, list) or len(rgb) != 3:
        return None
    if not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in rgb):
        return None
    if not _is_number(share) or not 0.0 <= share <= 1.0:
        return None
    colour = (rgb[0], rgb[1], rgb[2])
    if not isinstance(hex_code, str) or not _HEX.match(hex_code) or hex_code != rgb_to_hex(colour):
        return None
    return Swatch(rgb=colour, share=float(share))


def palette_from_record(data: Any) -> Palette | None:
    """The palette of a stored ``{"swatches": [...]}`` record, or ``None`` unless it is entirely valid."""
    if not isinstance(data, dict):
        return None
    items = data.get("swatches")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_COLORS:
        return None
    swatches = [_swatch(item) for item in items]
    if any(s is None for s in swatches):
        return None
    valid = [s for s in swatches if s is not None]
    if abs(math.fsum(s.share for s in valid) - 1.0) > SHARE_TOLERANCE:
        return None
    return Palette(tuple(valid))


def remote_from_record(data: Any, url: str) -> RemoteRecord | None:
    """The record of ``url`` from stored ``data``, or ``None`` unless it is entirely valid.

    The file holds the URL redacted; it must match ``url`` redacted (the file name hashes the URL as
    written).
    """
    if not isinstance(data, dict) or data.get("url") != redact_url(url):
        return None
    if set(data) - {"url", "blob", "checked_at", "etag", "last_modified", "content_type"}:
        return None
    checked_at = data.get("checked_at")
    if not is_digest(data.get("blob")) or not _is_number(checked_at):
        return None
    if not 0 <= checked_at <= time.time() + _CLOCK_SLACK:
        return None
    optional = (data.get("etag"), data.get("last_modified"), data.get("content_type"))
    if not all(value is None or isinstance(value, str) for value in optional):
        return None
    return RemoteRecord(
        url=url,
        blob=data["blob"],
        checked_at=float(checked_at),
        etag=optional[0],
        last_modified=optional[1],
        content_type=optional[2],
    )
