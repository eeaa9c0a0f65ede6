"""Running a batch on a Dask distributed cluster (the optional ``dask`` extra; imported only here).

The targets are cut into partitions of up to ``partition_size`` images, grouped by host, and each
partition is one task: the worker resolves it with the core's batch step (its own palette service on the
shared cache directory, fetch threads, compute in the worker process) and sends back the results, which
the client writes to the output as partitions finish. Only a few partitions per worker are submitted at
once, so neither the scheduler nor the client holds the whole batch.

Politeness holds across the cluster: every request to a host takes a lease of a `distributed.Semaphore`
named after that host, with ``per_host`` leases, so the whole cluster keeps at most ``per_host`` requests
in flight to one host. A ``Retry-After`` pause received by one worker is published on the scheduler
(`SchedulerPauses`, the core's `politeness.PauseBoard`), and every worker's gate consults it before each
request, so the host hears nothing from any worker until the pause is over.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from ..remote.batch import BatchJob, BatchOptions
from ..remote.politeness import HostGate, PauseBoard, host_of
from ..remote.service import PaletteResult
from .run import PaletteParameters, Resolver
from .service import BatchService, ServiceSpec
from .targets import Target

__all__ = ["ClusterGate", "DaskSettings", "SchedulerPauses", "dask_resolver", "resolve_partition"]

#: The scheduler's metadata key under which pauses are kept, by host.
PAUSES_KEY = "sphinx-palette-host-pauses"
#: How long a worker waits for the scheduler to answer about a pause before going on without it.
_BOARD_TIMEOUT = 10.0


class ClusterUnavailable(Exception):
    """Dask is not installed, or the scheduler cannot be reached; the message says which."""


@dataclass(frozen=True)
class DaskSettings:
    """Where and how: ``address`` is ``tcp://host:port`` or ``local:N`` (a LocalCluster of N processes)."""

    address: str
    partition_size: int = 64
    fetch_workers: int = 8
    per_host: int = 4


class SchedulerPauses(PauseBoard):
    """Pauses kept in the scheduler's metadata: ``PAUSES_KEY`` / host / worker: until (epoch seconds).

    Each worker writes its own entry (one request, no read-modify-write race); a host's pause is the
    latest of its entries. Called from fetch threads, which are not the worker's: each call runs on the
    worker's event loop with its scheduler connection. A scheduler that does not answer has no pauses.
    """

    def __init__(self, scheduler: Any, loop: Any, worker: str) -> None:
        self._scheduler, self._loop, self._worker = scheduler, loop, worker

    def publish(self, host: str, until: float) -> None:
        """Publish this worker's pause of ``host``."""
        self._call("set_metadata", keys=[PAUSES_KEY, host, self._worker], value=until)

    def paused_until(self, host: str) -> float:
        """The latest pause of ``host`` any worker published (0 when none, or no answer)."""
        entries = self._call("get_metadata", keys=[PAUSES_KEY, host], default={})
        if not isinstance(entries, dict):
            return 0.0
        return max((float(v) for v in entries.values() if isinstance(v, int | float)), default=0.0)

    def _call(self, name: str, **arguments: Any) -> Any:
        from distributed.utils import sync

        try:
            method = getattr(self._scheduler, name)
            return sync(self._loop, method, callback_timeout=_BOARD_TIMEOUT, **arguments)
        except Exception:  # politeness is kept locally when the scheduler cannot be asked
            return None


class ClusterGate(HostGate):
    """A `HostGate` that also holds a cluster-wide lease per host (`distributed.Semaphore`) and shares
    its ``Retry-After`` pauses with every worker (`SchedulerPauses`).

    Made in a task on a worker: the fetch threads that use it are not the worker's, so the worker's
    scheduler connection and event loop are taken here and given to each semaphore and to the board.
    """

    def __init__(self, per_host: int) -> None:
        from distributed import get_worker

        worker = get_worker()
        super().__init__(per_host, board=SchedulerPauses(worker.scheduler, worker.loop, worker.address))
        self.cluster_per_host = per_host
        self._scheduler, self._loop = worker.scheduler, worker.loop
        self._semaphores: dict[str, Any] = {}
        self._semaphores_lock = threading.Lock()

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """This process's slot for ``url``'s host, then one of the cluster's ``per_host`` leases."""
        with super().slot(url), self._semaphore(host_of(url)):
            yield

    def _semaphore(self, host: str) -> Any:
        from distributed import Semaphore

        with self._semaphores_lock:
            if host not in self._semaphores:
                self._semaphores[host] = Semaphore(
                    max_leases=self.cluster_per_host,
                    name=f"sphinx-palette-host:{host}",
                    scheduler_rpc=self._scheduler,
                    loop=self._loop,
                )
            return self._semaphores[host]


_services: dict[tuple[ServiceSpec, int], BatchService] = {}
_services_lock = threading.Lock()


def _worker_service(spec: ServiceSpec, per_host: int) -> BatchService:
    """The worker process's service for ``spec`` (made once: its sessions and gate are reused)."""
    with _services_lock:
        key = (spec, per_host)
        if key not in _services:
            service = spec.make()
            service.gate = ClusterGate(per_host)
            _services[key] = service
        return _services[key]


def resolve_partition(
    spec: ServiceSpec,
    parameters: PaletteParameters,
    items: list[tuple[int, Target]],
    fetch_workers: int,
    per_host: int,
) -> list[tuple[int, PaletteResult]]:
    """Resolve one partition on a worker: ``(index, target)`` pairs in, ``(index, result)`` pairs out."""
    service = _worker_service(spec, per_host)
    jobs = [BatchJob(index, parameters.request(target), target.location) for index, target in items]
    options = BatchOptions(fetch_workers=fetch_workers, per_host=per_host, workers=1)
    results = []
    for outcome in service.resolve_many(jobs, options):
        assert isinstance(outcome.key, int)
        results.append((outcome.key, outcome.result))
    return results


def partitions(targets: Sequence[Target], size: int) -> Iterator[list[tuple[int, Target]]]:
    """``(index, target)`` lists of up to ``size``, each from one host (local files are one "host")."""
    by_host: dict[str, list[tuple[int, Target]]] = {}
    for index, target in enumerate(targets):
        by_host.setdefault(host_of(target.location or "") if target.location else "", []).append(
            (index, target)
        )
    for items in by_host.values():
        for start in range(0, len(items), max(1, size)):
            yield items[start : start + max(1, size)]


@contextmanager
def dask_resolver(
    settings: DaskSettings, spec: ServiceSpec, parameters: PaletteParameters
) -> Iterator[Resolver]:
    """A `Resolver` running on the cluster at ``settings.address`` (closed with the context)."""
    try:
        import dask
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ClusterUnavailable(
            "--dask needs dask.distributed (pip install 'sphinx-palette[dask]')"
        ) from None
    with ExitStack() as stack:
        if settings.address.startswith("local:"):
            count = int(settings.address.partition(":")[2] or 2)
            # Dask's default MALLOC_TRIM_THRESHOLD_ makes glibc hand every freed image buffer back to the
            # system (and map each new one afresh): 10-20% more CPU per palette in our measurements. The
            # processes of this cluster live only as long as the batch, so glibc's defaults are kept.
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None
                    )
                )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(settings.address, timeout=30))
            except OSError as exc:
                raise ClusterUnavailable(
                    f"cannot reach the Dask scheduler {settings.address}: {exc}"
                ) from None

        def resolve(targets: Sequence[Target]) -> Iterator[tuple[int, PaletteResult]]:
            waiting = partitions(targets, settings.partition_size)
            in_flight = 2 * max(1, len(client.scheduler_info().get("workers", {})))
            finished = as_completed()
            for items in waiting:
                finished.add(_submit(client, spec, parameters, items, settings))
                if finished.count() >= in_flight:
                    break
            for future in finished:
                yield from future.result()
                future.release()
                following = next(waiting, None)
                if following is not None:
                    finished.add(_submit(client, spec, parameters, following, settings))

        yield resolve


def _submit(
    client: Any, spec: ServiceSpec, parameters: PaletteParameters, items: list, settings: DaskSettings
) -> Any:
    return client.submit(
        resolve_partition,
        spec,
        parameters,
        items,
        settings.fetch_workers,
        settings.per_host,
        pure=False,
    )
