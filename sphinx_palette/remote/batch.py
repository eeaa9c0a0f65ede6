"""Many palette requests at once: dedupe, cache, polite concurrent fetching, parallel compute, streaming.

`resolve_many` (also `PaletteService.resolve_many`) is the batch step every front end shares: the Sphinx
extension once all documents are read, the MkDocs plugin once all pages are, the ``batch`` command. It
yields a `BatchOutcome` per job as each completes (plain, picklable data), so a caller can write or show
results while the rest are still being fetched.

How the work flows:

* identical jobs (same source, same parameters) are resolved once and answered for each key;
* the fetch stage (`PaletteService.prepare`: cache lookup, revalidation, download, IIIF) runs in a thread
  pool of ``fetch_workers``, with at most ``per_host`` requests to one host at once and a 429/503
  ``Retry-After`` pausing that host for every worker (`politeness.HostGate`);
* the compute stage (`compute.compute`) runs in a process pool of ``workers`` (1: in this process), or on
  any `concurrent.futures.Executor` given (a Dask ``client.get_executor()`` for instance);
* at most ``max_bodies`` jobs are between their start and their outcome, so at most that many image bodies
  are held in memory whatever the number of jobs;
* every palette is written to the content-addressed cache as soon as it is computed.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, replace
from typing import Any

from .compute import Prepared, compute
from .service import PaletteRequest, PaletteResult, PaletteService
from .urls import is_url, redact_url

__all__ = ["BatchJob", "BatchOptions", "BatchOutcome", "BatchProgress", "resolve_many"]


@dataclass(frozen=True)
class BatchJob:
    """One request of a batch.

    ``key`` is the caller's name for it (a string, a tuple: anything hashable and picklable), returned
    with its outcome. ``location`` is where the source is, when not ``request.source`` itself: the
    absolute path of a local file whose source was written relative to a page, for instance.
    """

    key: Hashable
    request: PaletteRequest
    location: str | None = None

    @property
    def where(self) -> str:
        """The URL or path the image is read from."""
        return self.request.source if self.location is None else self.location


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs.

    Parameters
    ----------
    fetch_workers : int, default 8
        Threads fetching (and reading cache entries) at once, over all hosts.
    per_host : int, default 4
        Requests in flight to one host at once, at most.
    workers : int or None, default None
        Processes computing palettes; None for the number of CPUs, 1 to compute in this process.
    max_bodies : int or None, default None
        Jobs between start and outcome at once (so image bodies in memory), at most; None for
        ``fetch_workers + 2 * workers``.
    executor : concurrent.futures.Executor or None, default None
        Where to run `compute.compute` instead of a process pool of ``workers`` (it is not shut down).
    """

    fetch_workers: int = 8
    per_host: int = 4
    workers: int | None = None
    max_bodies: int | None = None
    executor: Executor | None = None

    def compute_workers(self) -> int:
        """The number of compute processes ``workers`` stands for."""
        return max(1, self.workers if self.workers is not None else (os.cpu_count() or 1))

    def body_limit(self) -> int:
        """The number of jobs allowed in flight (`max_bodies` or its default)."""
        if self.max_bodies is not None:
            return max(1, self.max_bodies)
        return max(1, self.fetch_workers) + 2 * self.compute_workers()


@dataclass(frozen=True)
class BatchOutcome:
    """The result of the job named ``key``."""

    key: Hashable
    result: PaletteResult


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch stands after one more job finished: ``done`` of ``total``, that job's ``key``,
    its source as shown (credentials redacted) and its result's ``origin``."""

    done: int
    total: int
    key: Hashable
    source: str
    origin: str


def resolve_many(
    service: PaletteService,
    jobs: Iterable[BatchJob],
    options: BatchOptions | None = None,
    *,
    progress: Callable[[BatchProgress], None] | None = None,
) -> Iterator[BatchOutcome]:
    """Resolve ``jobs`` with ``service``, yielding one `BatchOutcome` per job, in completion order.

    ``progress`` is called after each outcome. Closing the iterator early cancels what has not started.
    """
    options = options or BatchOptions()
    groups: dict[tuple[str, PaletteRequest], list[BatchJob]] = {}
    for job in jobs:
        groups.setdefault((job.where, job.request), []).append(job)
    total = sum(len(group) for group in groups.values())
    if not total:
        return
    service.gate.per_host = max(1, options.per_host)
    runner = _Runner(service, options)
    done = 0
    try:
        for (where, _request), result in runner.run(groups):
            for index, job in enumerate(groups[(where, _request)]):
                # Each key gets its own result object; a caller may change one without touching the others.
                outcome = result if index == 0 else replace(result, notices=list(result.notices))
                done += 1
                if progress is not None:
                    shown = redact_url(job.request.source) if is_url(job.request.source) else job.where
                    progress(BatchProgress(done, total, job.key, shown, outcome.origin))
                yield BatchOutcome(job.key, outcome)
    finally:
        runner.shutdown()


_Group = tuple[str, PaletteRequest]


class _Runner:
    """The two pools of one batch and the bookkeeping between them."""

    def __init__(self, service: PaletteService, options: BatchOptions) -> None:
        self.service = service
        self.options = options
        self.fetching = ThreadPoolExecutor(max(1, options.fetch_workers), thread_name_prefix="palette-fetch")
        self.computing: Executor | None = options.executor
        self.own_pool: ProcessPoolExecutor | None = None

    def run(self, groups: Iterable[_Group]) -> Iterator[tuple[_Group, PaletteResult]]:
        """Each group with its result, as results come."""
        waiting = iter(groups)
        limit = self.options.body_limit()
        prepares: dict[Future[Any], _Group] = {}
        computes: dict[Future[Any], tuple[_Group, Prepared]] = {}
        here: deque[tuple[_Group, Prepared]] = deque()  # computed in this process, one per turn
        exhausted = False
        while True:
            while not exhausted and len(prepares) + len(computes) + len(here) < limit:
                group = next(waiting, None)
                if group is None:
                    exhausted = True
                    break
                where, request = group
                prepares[self.fetching.submit(self.service.prepare, request, where)] = group
            if not prepares and not computes and not here:
                return
            finished, _ = wait_for(
                [*prepares, *computes], timeout=0 if here else None, return_when=FIRST_COMPLETED
            )
            for future in finished:
                if future in prepares:
                    group = prepares.pop(future)
                    prepared: Prepared = future.result()
                    if prepared.task is None:
                        yield group, prepared.result
                    elif (executor := self._executor()) is not None:
                        computes[executor.submit(compute, prepared.task)] = (group, prepared)
                    else:
                        here.append((group, prepared))
                else:
                    group, prepared = computes.pop(future)
                    yield group, self.service.complete(prepared, future.result())
            if here:
                group, prepared = here.popleft()
                yield group, self.service.complete(prepared)

    def _executor(self) -> Executor | None:
        if self.computing is None and self.options.compute_workers() > 1:
            self.own_pool = ProcessPoolExecutor(self.options.compute_workers(), mp_context=_context())
            self.computing = self.own_pool
        return self.computing

    def shutdown(self) -> None:
        """Stop both pools; work not started is dropped."""
        self.fetching.shutdown(wait=True, cancel_futures=True)
        if self.own_pool is not None:
            self.own_pool.shutdown(wait=True, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    """Processes started clean, never forked from a process running fetch threads and OpenMP pools."""
    if sys.platform == "win32" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports the engine once; each worker is then forked from it ready to compute.
    context.set_forkserver_preload([compute.__module__])
    return context
