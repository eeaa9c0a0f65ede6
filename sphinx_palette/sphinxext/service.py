"""One `PaletteService` per Sphinx process, configured from the Sphinx configuration."""

from __future__ import annotations

import os

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from .. import __version__
from ..remote.cache import PaletteCache
from ..remote.fetch import FetchSettings
from ..remote.service import PaletteService
from ..settings import PaletteConfig
from .config import cache_directory

_ATTRIBUTE = "_palette_service"


def get_service(owner: Sphinx | BuildEnvironment) -> PaletteService:
    """The process's service, created on first use (each ``-j`` worker makes its own, sharing the cache).

    ``owner`` is the application or, from a directive, its environment (``get_service(self.env)``), which
    avoids ``env.app``, deprecated since Sphinx 9.
    """
    app = _application(owner)
    service = getattr(app, _ATTRIBUTE, None)
    # A service made before a fork (parallel reading) keeps its parent's pooled connections: make a new one.
    if service is None or getattr(service, "_pid", None) != os.getpid():
        service = _make_service(app)
        service._pid = os.getpid()  # type: ignore[attr-defined]
        setattr(app, _ATTRIBUTE, service)
    return service


def close_service(app: Sphinx, exception: Exception | None = None) -> None:
    """Close the service's HTTP connections (a ``build-finished`` handler); the next use makes a new one."""
    service = getattr(app, _ATTRIBUTE, None)
    if service is not None:
        service.close()
        setattr(app, _ATTRIBUTE, None)


def _application(owner: Sphinx | BuildEnvironment) -> Sphinx:
    if isinstance(owner, BuildEnvironment):
        app = getattr(owner, "_app", None)  # Sphinx >= 8.2 keeps it here; env.app warns from Sphinx 9
        return app if app is not None else owner.app
    return owner


def _make_service(app: Sphinx) -> PaletteService:
    config = app.config
    palette_config = PaletteConfig.from_sphinx(config)
    verify: bool | str = bool(config.tls_verify)
    host_ca_certs: tuple[tuple[str, str], ...] = ()
    certs = config.tls_cacerts
    if config.tls_verify and certs:
        # Sphinx takes one bundle for every host, or a mapping from host to bundle.
        if isinstance(certs, (str, os.PathLike)):
            verify = os.fspath(certs)
        elif isinstance(certs, dict):
            host_ca_certs = tuple(sorted((str(h), os.fspath(p)) for h, p in certs.items()))
    user_agent = config.user_agent or f"sphinx-palette/{__version__}"
    settings = FetchSettings(
        timeout=palette_config.timeout,
        max_bytes=palette_config.max_bytes,
        user_agent=user_agent,
        verify=verify,
        host_ca_certs=host_ca_certs,
    )
    return PaletteService(
        PaletteCache(cache_directory(app, palette_config)),
        settings,
        remote_ttl=palette_config.remote_ttl,
        offline=palette_config.is_offline(),
    )
