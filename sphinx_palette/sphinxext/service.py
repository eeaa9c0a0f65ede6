"""The `PaletteService` of a Sphinx build, configured from the Sphinx configuration, and its early batch.

Each process has its own service (``-j`` workers make theirs, sharing the cache on disk); it is kept by the
environment's holder (`PaletteEnvData`), so a directive reaches it from ``self.env`` alone.

When documents are read serially in the main process, requests are resolved while reading goes on: the
directive submits each one to this build's `BackgroundBatch` (`submit_early`) and the batch step at
``env-updated`` collects the outcomes (`early_batch`). A process that forks readers (``-j N``) never starts
threads first: there, and in the forked readers, nothing starts early and everything is resolved after
reading. The batch is kept beside the environment, never on it (the environment is pickled).

When this process also writes the pages (`writes_serially`: Sphinx forks no writers), the batch step hands
over the palettes still arriving (`hand_over`) instead of waiting for them, and pages are written meanwhile:
`wait_for_palettes` makes a page wait for its own palettes, or anything listing the site's for all of them.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.parallel import parallel_available

from .. import __version__
from ..remote.background import BackgroundBatch
from ..remote.batch import BatchJob, BatchOptions
from ..remote.cache import CacheError, PaletteCache
from ..remote.service import PaletteService
from ..settings import PaletteConfig
from ..warning_kinds import WARNING_TYPE, Subtype
from .config import cache_directory
from .envdata import PaletteEnvData

logger = logging.getLogger(__name__)


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


#: How much lower the compute processes' priority is than the build's. The build's own thread, reading and
#: then writing pages while palettes are computed, is its critical path: it keeps its core, and palettes
#: are computed on the cores it leaves (measured in docs/performance.md, "Writing pages while palettes
#: arrive": a cold build of 200 local images gained 1.4 to 2.4 s on 2 cores).
WORKER_NICE = 10


def batch_options(config: PaletteConfig) -> BatchOptions:
    """The batch step's concurrency: ``palette_fetch_workers``, ``palette_per_host``, ``palette_workers``;
    compute processes at a lower priority (`WORKER_NICE`)."""
    return BatchOptions(
        fetch_workers=config.fetch_workers, per_host=config.per_host, workers=config.workers, nice=WORKER_NICE
    )


@dataclass
class _Early:
    """This build's permission to resolve while reading: the main process, and its batch once started."""

    pid: int
    options: BatchOptions
    batch: BackgroundBatch | None = None


_EARLY: weakref.WeakKeyDictionary[BuildEnvironment, _Early] = weakref.WeakKeyDictionary()


def allow_early(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Let directives start resolving while documents are read, unless reading forks (an
    ``env-before-read-docs`` handler)."""
    cancel_early(env)
    cancel_in_flight(env)
    if docnames and not reads_in_parallel(app):
        options = batch_options(PaletteConfig.from_sphinx(app.config))
        _EARLY[env] = _Early(os.getpid(), options)


def reads_in_parallel(app: Sphinx) -> bool:
    """Whether Sphinx will read documents in forked processes (its own test, without its warnings)."""
    if not parallel_available or app.parallel <= 1:
        return False
    return all(getattr(ext, "parallel_read_safe", None) for ext in app.extensions.values())


def writes_serially(app: Sphinx) -> bool:
    """Whether every page is written in this process: Sphinx forks writers only with ``-j N``, N > 1.

    Forked writers never start while this process runs threads (a lock held by one of them at the fork
    would stay held in the child), so palettes may arrive while pages are written only here.
    """
    return not parallel_available or app.parallel <= 1


def submit_early(env: BuildEnvironment, job: BatchJob) -> None:
    """Start resolving ``job`` now if this build allows it in this process (called by the directive)."""
    early = _EARLY.get(env)
    if early is None or early.pid != os.getpid():
        return  # parallel reading, a forked reader, or a build not started by Sphinx's reader
    if early.batch is None:
        early.batch = BackgroundBatch(get_service(env), early.options)
    early.batch.submit(job)


def early_batch(env: BuildEnvironment) -> BackgroundBatch | None:
    """The batch started while reading, handed over once (to the batch step at ``env-updated``)."""
    early = _EARLY.pop(env, None)
    if early is None or early.pid != os.getpid():
        return None
    return early.batch


def cancel_early(env: BuildEnvironment) -> None:
    """Stop a batch started while reading that nobody will collect (a failed or interrupted build)."""
    early = _EARLY.pop(env, None)
    if early is not None and early.batch is not None and early.pid == os.getpid():
        early.batch.cancel()


class InFlight(Protocol):
    """Palettes still arriving while pages are written (`resolve.Arrivals`)."""

    #: Whether documents were still waiting for palettes when Sphinx saved the environment.
    left_waiting: bool

    def wait_for(self, docname: str) -> None:
        """Return once every palette of ``docname`` is stored."""

    def wait_all(self) -> None:
        """Return once every palette is stored."""

    def cancel(self) -> None:
        """Stop whatever is still arriving."""


_IN_FLIGHT: weakref.WeakKeyDictionary[BuildEnvironment, tuple[int, InFlight]] = weakref.WeakKeyDictionary()


def hand_over(env: BuildEnvironment, in_flight: InFlight) -> None:
    """Let pages be written while ``in_flight`` palettes arrive (called by the batch step)."""
    cancel_in_flight(env)
    _IN_FLIGHT[env] = (os.getpid(), in_flight)


def wait_for_palettes(env: BuildEnvironment, docname: str | None = None) -> None:
    """Return once the palettes of ``docname`` (of every document, without one) are in the environment."""
    found = _in_flight(env)
    if found is None:
        return
    if docname is None:
        found.wait_all()
    else:
        found.wait_for(docname)


def palettes_in_flight(env: BuildEnvironment) -> bool:
    """Whether palettes handed over by the batch step are still arriving in this process."""
    return _in_flight(env) is not None


def _in_flight(env: BuildEnvironment) -> InFlight | None:
    found = _IN_FLIGHT.get(env)
    return found[1] if found is not None and found[0] == os.getpid() else None


def take_in_flight(env: BuildEnvironment) -> InFlight | None:
    """The palettes still arriving, handed over once (to the build's end)."""
    found = _IN_FLIGHT.pop(env, None)
    return found[1] if found is not None and found[0] == os.getpid() else None


def cancel_in_flight(env: BuildEnvironment) -> None:
    """Stop palettes still arriving that nobody will collect (a failed build)."""
    found = take_in_flight(env)
    if found is not None:
        found.cancel()


def close_service(app: Sphinx, exception: Exception | None = None) -> None:
    """Close the service's HTTP connections (a ``build-finished`` handler); the next use makes a new one.

    With ``palette_cache_max_bytes``, the cache is then trimmed to it, least recently used entries first.
    """
    cancel_early(app.env)
    cancel_in_flight(app.env)
    PaletteEnvData.of(app.env).close_service()
    config = PaletteConfig.from_sphinx(app.config)
    if config.cache_max_bytes is not None:
        try:
            PaletteCache(cache_directory(app, config)).trim(config.cache_max_bytes)
        except CacheError as exc:
            logger.warning("the cache was not trimmed: %s", exc, type=WARNING_TYPE, subtype=Subtype.CACHE)


def make_service(config: Config, cache_dir: Path | str) -> PaletteService:
    """A service from the ``palette_*`` settings and Sphinx's ``user_agent``, ``tls_verify``, ``tls_cacerts``.

    ``cache_dir`` is resolved by the caller (it depends on the configuration directory); it may be an
    object-storage URL.
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
    return PaletteService.from_config(
        palette_config, cache_dir, user_agent=user_agent, verify=verify, host_ca_certs=host_ca_certs
    )
