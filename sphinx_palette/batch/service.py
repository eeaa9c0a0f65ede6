"""The palette service of a batch: the core's `PaletteService`, which also reads object-storage URLs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..engine.decode_limits import DEFAULT_DECODE_BYTES
from ..remote.cache import PaletteCache
from ..remote.compute import Prepared
from ..remote.fetch import FetchSettings
from ..remote.iiif import IIIFError
from ..remote.service import PaletteRequest, PaletteResult, PaletteService, SourceFailure
from .storage import StorageError, is_object_url, read_object

__all__ = ["BatchService", "ServiceSpec"]


class BatchService(PaletteService):
    """`PaletteService` plus ``s3://`` (any fsspec URL) sources; everything else is the core's."""

    def prepare(
        self, request: PaletteRequest, location: str | Path | None = None, *, hand_off: bool = False
    ) -> Prepared:
        """First stage, as `PaletteService.prepare`; an object-storage URL is read through fsspec."""
        where = request.source if location is None else location
        if isinstance(where, str) and is_object_url(where):
            try:
                data = read_object(where, self.fetch_settings.max_bytes)
            except StorageError as exc:
                return Prepared(PaletteResult(error=str(exc), subtype="source"))
            return self.prepare_bytes(data, request, image_url=where)
        return super().prepare(request, location, hand_off=hand_off)

    def document(self, url: str) -> object:
        """A IIIF document, as `PaletteService.fetch_document`, its failures raised as `iiif.IIIFError`."""
        try:
            return self.fetch_document(url)
        except SourceFailure as exc:
            raise IIIFError(str(exc)) from None


@dataclass(frozen=True)
class ServiceSpec:
    """Everything needed to make the same service again in another process (a Dask worker)."""

    cache_dir: str
    timeout: float
    max_bytes: int
    remote_ttl: float
    offline: bool
    user_agent: str = f"sphinx-palette/{__version__}"
    decode_budget: int = DEFAULT_DECODE_BYTES

    def make(self) -> BatchService:
        """A new service with these settings."""
        settings = FetchSettings(timeout=self.timeout, max_bytes=self.max_bytes, user_agent=self.user_agent)
        return BatchService(
            PaletteCache(self.cache_dir),
            settings,
            remote_ttl=self.remote_ttl,
            offline=self.offline,
            decode_budget=self.decode_budget,
        )
