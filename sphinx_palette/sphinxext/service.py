"""The `PaletteService` of a Sphinx build, configured from the Sphinx configuration.

Each process has its own (``-j`` workers make theirs, sharing the cache on disk); it is kept by the
environment's holder (`PaletteEnvData`), so a directive reaches it from ``self.env`` alone.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment

from .. import __version__
from ..remote.cache import PaletteCache
from ..remote.fetch import FetchSettings
from ..remote.service import PaletteService
from ..settings import PaletteConfig
from .config import cache_directory
from .envdata import PaletteEnvData


def prepare_service(app: Sphinx) -> None:
    """Say how this build's service is made (a ``builder-inited`` handler: the paths are known then)."""
    make = partial(make_service, app.config, cache_directory(app, PaletteConfig.from_sphinx(app.config)))
    PaletteEnvData.of(app.env).set_service_factory(make)


def get_service(owner: Sphinx | BuildEnvironment) -> PaletteService:
    """The process's service, made on first use; ``owner`` is the application or, from a directive, its
    environment (``get_service(self.env)``)."""
    if isinstance(owner, BuildEnvironment):
        return PaletteEnvData.of(owner).service()
    data = PaletteEnvData.of(owner.env)
    if not data.has_service_factory():
        prepare_service(owner)
    return data.service()


def close_service(app: Sphinx, exception: Exception | None = None) -> None:
    """Close the service's HTTP connections (a ``build-finished`` handler); the next use makes a new one.

    With ``palette_cache_max_bytes``, the cache is then trimmed to it, least recently used entries first.
    """
    PaletteEnvData.of(app.env).close_service()
    config = PaletteConfig.from_sphinx(app.config)
    if config.cache_max_bytes is not None:
        PaletteCache(cache_directory(app, config)).trim(config.cache_max_bytes)


def make_service(config: Config, cache_dir: Path) -> PaletteService:
    """A service from the ``palette_*`` settings and Sphinx's ``user_agent``, ``tls_verify``, ``tls_cacerts``.

    ``cache_dir`` is resolved by the caller (it depends on the configuration directory).
    """
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
        PaletteCache(cache_dir),
        settings,
        remote_ttl=palette_config.remote_ttl,
        offline=palette_config.is_offline(),
    )
