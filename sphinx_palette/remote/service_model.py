"""What the palette service takes and gives: `PaletteRequest`, `PaletteResult`, and `SourceFailure`.

Plain, picklable data shared by every front end, the batch runners and the service itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine import Palette
from ..engine.region import Region

__all__ = ["PaletteRequest", "PaletteResult", "SourceFailure", "note_checked"]


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


def note_checked(result: PaletteResult, checked_at: float) -> None:
    """Record on ``result`` when a remote copy it used was last checked (the oldest, if several)."""
    result.checked_at = checked_at if result.checked_at is None else min(result.checked_at, checked_at)
