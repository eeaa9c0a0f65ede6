"""One `PaletteService` per Sphinx process, configured from the Sphinx configuration."""

from __future__ import annotations

from sphinx.application import Sphinx

from . import __version__
from .cache import PaletteCache
from .config import cache_directory, is_offline
from .fetch import FetchSettings
from .pipeline import PaletteService

_ATTRIBUTE = "_palette_service"


def get_service(app: Sphinx) -> PaletteService:
    """The process's service, created on first use (each ``-j`` worker makes its own, sharing the cache)."""
    service = getattr(app, _ATTRIBUTE, None)
    if service is None:
        config = app.config
        verify: bool | str = bool(config.tls_verify)
        if config.tls_verify and isinstance(config.tls_cacerts, str) and config.tls_cacerts:
            verify = config.tls_cacerts
        user_agent = config.user_agent or f"sphinx-palette/{__version__}"
        settings = FetchSettings(
            timeout=float(config.palette_timeout),
            max_bytes=int(config.palette_max_bytes),
            user_agent=user_agent,
            verify=verify,
        )
        service = PaletteService(
            PaletteCache(cache_directory(app)),
            settings,
            remote_ttl=float(config.palette_remote_ttl),
            offline=is_offline(app),
        )
        setattr(app, _ATTRIBUTE, service)
    return service
