"""What one row of a batch is about, known before anything is fetched."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Target", "row_key"]


@dataclass(frozen=True)
class Target:
    """One image of a batch, as found while walking the sources.

    ``source`` is what a ``.. palette::`` directive would name to get this palette (a file path, an image
    URL, a IIIF image service or manifest; URLs without credentials), with ``canvas`` for a manifest.
    ``location`` is where it is read from (the same, credentials included, or an object-storage URL);
    ``collection`` the IIIF collection that listed it. ``error`` is a failure known before resolving (a
    collection that cannot be read, a pattern that matches nothing): such a target becomes an error row.
    """

    source: str
    location: str | None
    canvas: int | None = None
    manifest: str | None = None
    collection: str | None = None
    label: str | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        """The name of this target's row; a resumed batch skips the targets whose rows are written."""
        return row_key(self.source, self.canvas)


def row_key(source: str, canvas: int | None) -> str:
    """The key of a row from its ``source`` and ``canvas`` columns (one row per key)."""
    return source if canvas is None else f"{source}#canvas={canvas}"
