"""Many palette requests at once: dedupe, cache, polite concurrent fetching, parallel compute, streaming.

`resolve_many` (also `PaletteService.resolve_many`) is the batch step every front end shares: the Sphinx
extension once all documents are read, the MkDocs plugin once all pages are, the ``batch`` command. It
yields a `BatchOutcome` per job as each completes (plain, picklable data), so a caller can write or show
results while the rest are still being fetched.

How the work flows:

* jobs come from a finite iterable, or from a `BatchFeed` filled while the batch already runs (a Sphinx
  build puts each request as its document is read); work starts on the first job;
* identical jobs (same source, same parameters) are resolved once and answered for each key, also when a
  job arrives after its twin was resolved;
* a job the cache answers at once (`PaletteService.known`: a fresh copy or an unchanged local file, and its
  palette) is answered where it arrives, without the pools: a few small cache entries read, not the image's
  bytes (IIIF documents, regions and copies to revalidate go to the pools, which start on the first of
  them at once; a batch the cache answers whole starts no thread);
* the fetch stage (`PaletteService.prepare`: cache lookup, revalidation, download, IIIF) runs in a thread
  pool of ``fetch_workers``, with at most ``per_host`` requests to one host at once and a 429/503
  ``Retry-After`` pausing that host for every worker (`politeness.HostGate`);
* the compute stage (`compute.compute`) runs in a process pool of ``workers`` (1: in this process), or on
  any `concurrent.futures.Executor` given (a Dask ``client.get_executor()`` for instance);
* with a process pool of its own and a cache on disk, a local image the file memo does not know is not read
  here at all: the pool reads, hashes, computes and caches it (`local_files`), so a caller busy with work of
  its own (a site build) spends nothing on image bytes;
* at most ``max_bodies`` jobs are between their start and their outcome, so at most that many image bodies
  are held in memory whatever the number of jobs;
* every palette is written to the content-addressed cache as soon as it is computed.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from .compute import Prepared, compute
from .local_files import resolve_file
from .service import PaletteRequest, PaletteResult, PaletteService
from .urls import is_url, redact_url

__all__ = ["BatchFeed", "BatchJob", "BatchOptions", "BatchOutcome", "BatchProgress", "resolve_many"]


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
    nice : int, default 0
        How much lower than the caller's the compute processes' scheduling priority is (an `os.nice`
        increment, where the platform has it): a caller with work of its own (a site build writing pages
        meanwhile) keeps its core; the workers still take every core it leaves idle.
    """

    fetch_workers: int = 8
    per_host: int = 4
    workers: int | None = None
    max_bodies: int | None = None
    executor: Executor | None = None
    nice: int = 0

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


class BatchFeed:
    """Jobs that arrive while the batch runs: `put` from any thread, `close` once no more will come.

    `resolve_many` given a feed starts on the first job at once and takes later ones as they come, never
    waiting on the feed while work is in flight. `cancel` stops the batch: what has not started is
    dropped. A feed made with ``jobs`` holds them and is closed already.
    """

    def __init__(self, jobs: Iterable[BatchJob] | None = None) -> None:
        self._lock = threading.Lock()
        self._waiting: list[BatchJob] = []
        self._signal: Future[None] = Future()
        self.count = 0
        self.closed = False
        self.cancelled = False
        if jobs is not None:
            for job in jobs:
                self.put(job)
            self.close()

    def put(self, job: BatchJob) -> None:
        """Add ``job`` to the batch."""
        with self._lock:
            if self.closed:
                raise RuntimeError("a job was put into a closed batch feed")
            self._waiting.append(job)
            self.count += 1
            self._wake()

    def close(self) -> None:
        """Say that every job has been put: the batch ends once they are resolved."""
        with self._lock:
            self.closed = True
            self._wake()

    def cancel(self) -> None:
        """Stop the batch: jobs not started are dropped, and no more outcomes come."""
        with self._lock:
            self.closed = self.cancelled = True
            self._wake()

    def take(self) -> tuple[list[BatchJob], Future[None], bool]:
        """The jobs put since the last call, a future done when anything changes next, and `closed`."""
        with self._lock:
            jobs, self._waiting = self._waiting, []
            self._signal = Future()
            return jobs, self._signal, self.closed

    def _wake(self) -> None:
        if not self._signal.done():
            self._signal.set_result(None)


def resolve_many(
    service: PaletteService,
    jobs: Iterable[BatchJob] | BatchFeed,
    options: BatchOptions | None = None,
    *,
    progress: Callable[[BatchProgress], None] | None = None,
    known_first: bool = True,
) -> Iterator[BatchOutcome]:
    """Resolve ``jobs`` with ``service``, yielding one `BatchOutcome` per job, in completion order.

    ``jobs`` is a finite iterable, or a `BatchFeed` still being filled: then the batch ends when the feed
    is closed and every job put is resolved (``total`` in `BatchProgress` is the number put so far).
    ``progress`` is called after each outcome. Closing the iterator early cancels what has not started.
    ``known_first=False`` skips asking the cache first (`PaletteService.known`), for a caller that asked it
    before putting the job.
    """
    options = options or BatchOptions()
    feed = jobs if isinstance(jobs, BatchFeed) else BatchFeed(jobs)
    service.gate.per_host = max(1, options.per_host)
    runner = _Runner(service, options, known_first)
    done = 0
    try:
        for job, outcome in runner.run(feed):
            done += 1
            if progress is not None:
                shown = redact_url(job.request.source) if is_url(job.request.source) else job.where
                progress(BatchProgress(done, feed.count, job.key, shown, outcome.origin))
            yield BatchOutcome(job.key, outcome)
    finally:
        runner.shutdown()


_Group = tuple[str, PaletteRequest]


class _Runner:
    """The two pools of one batch and the bookkeeping between them."""

    def __init__(self, service: PaletteService, options: BatchOptions, known_first: bool = True) -> None:
        self.service = service
        self.options = options
        self.known_first = known_first
        self.fetching: ThreadPoolExecutor | None = None
        self.computing: Executor | None = options.executor
        self.own_pool: ProcessPoolExecutor | None = None
        #: Local files the file memo does not know go whole to our own pool (`local_files`): it runs here.
        self.hands_off = options.executor is None and options.compute_workers() > 1
        #: Jobs waiting for their group's result, by group; groups resolved, with their result.
        self.asked: dict[_Group, list[BatchJob]] = {}
        self.answered: dict[_Group, PaletteResult] = {}

    def run(self, feed: BatchFeed) -> Iterator[tuple[BatchJob, PaletteResult]]:
        """Each job of ``feed`` with its result, as results come; identical jobs are resolved once."""
        limit = self.options.body_limit()
        queued: deque[_Group] = deque()
        prepares: dict[Future[Any], _Group] = {}
        computes: dict[Future[Any], tuple[_Group, Prepared]] = {}
        files: dict[Future[tuple[PaletteResult, str | None]], _Group] = {}  # resolved whole in the pool
        here: deque[tuple[_Group, Prepared]] = deque()  # computed in this process, one per turn

        def start() -> None:
            """Start preparing queued groups while fewer than ``limit`` are between start and outcome."""
            while queued and len(prepares) + len(computes) + len(files) + len(here) < limit:
                group = queued.popleft()
                prepare = partial(self.service.prepare, group[1], group[0])
                if self.hands_off:
                    prepare = partial(prepare, hand_off=True)
                prepares[self._fetching().submit(prepare)] = group

        while not feed.cancelled:
            arrived, signal, closed = feed.take()
            for job in arrived:
                group = (job.where, job.request)
                if group in self.answered:
                    # A twin already resolved: answered at once, from its result.
                    yield job, _copy(self.answered[group])
                elif group in self.asked:
                    self.asked[group].append(job)
                elif self.known_first and (known := self.service.known(group[1], group[0])) is not None:
                    self.answered[group] = known
                    yield job, known
                else:
                    self.asked[group] = [job]
                    queued.append(group)
                    # Started as soon as found: fetching overlaps the look-ups and answers still to come.
                    start()
            start()
            if not prepares and not computes and not files and not here:
                if closed:
                    return
                wait_for([signal])  # nothing in flight: the next job, the end, or a cancel
                continue
            # The feed's signal wakes this wait when a job arrives, so new jobs never queue behind it.
            waiting = [*prepares, *computes, *files, signal]
            finished, _ = wait_for(waiting, timeout=0 if here else None, return_when=FIRST_COMPLETED)
            for future in finished:
                if future in prepares:
                    group = prepares.pop(future)
                    prepared: Prepared = future.result()
                    if prepared.file_job is not None:
                        files[self._own_pool().submit(resolve_file, prepared.file_job)] = group
                    elif prepared.task is None:
                        yield from self._answer(group, prepared.result)
                    elif (executor := self._executor()) is not None:
                        computes[executor.submit(compute, prepared.task)] = (group, prepared)
                    else:
                        here.append((group, prepared))
                elif future in computes:
                    group, prepared = computes.pop(future)
                    yield from self._answer(group, self.service.complete(prepared, future.result()))
                elif future in files:
                    group = files.pop(future)
                    result, cache_error = future.result()
                    self.service.cache_error = self.service.cache_error or cache_error
                    yield from self._answer(group, result)
            if here and not feed.cancelled:
                group, prepared = here.popleft()
                yield from self._answer(group, self.service.complete(prepared))

    def _answer(self, group: _Group, result: PaletteResult) -> Iterator[tuple[BatchJob, PaletteResult]]:
        self.answered[group] = result
        for index, job in enumerate(self.asked.pop(group)):
            # Each key gets its own result object; a caller may change one without touching the others.
            yield job, result if index == 0 else _copy(result)

    def _fetching(self) -> ThreadPoolExecutor:
        if self.fetching is None:
            workers = max(1, self.options.fetch_workers)
            self.fetching = ThreadPoolExecutor(workers, thread_name_prefix="palette-fetch")
        return self.fetching

    def _executor(self) -> Executor | None:
        if self.computing is None and self.options.compute_workers() > 1:
            nice = self.options.nice if hasattr(os, "nice") else 0
            self.own_pool = ProcessPoolExecutor(
                self.options.compute_workers(),
                mp_context=_context(),
                initializer=partial(os.nice, nice) if nice else None,
            )
            self.computing = self.own_pool
        return self.computing

    def _own_pool(self) -> ProcessPoolExecutor:
        """The pool a file is handed off to (asked for only when `hands_off` says there is one)."""
        self._executor()
        if self.own_pool is None:
            raise RuntimeError("a local file was handed off in a batch without a process pool of its own")
        return self.own_pool

    def shutdown(self) -> None:
        """Stop both pools; work not started is dropped."""
        if self.fetching is not None:
            self.fetching.shutdown(wait=True, cancel_futures=True)
        if self.own_pool is not None:
            self.own_pool.shutdown(wait=True, cancel_futures=True)


def _copy(result: PaletteResult) -> PaletteResult:
    return replace(result, notices=list(result.notices))


def _context() -> multiprocessing.context.BaseContext:
    """Processes started clean, never forked from a process running fetch threads and OpenMP pools."""
    if sys.platform == "win32" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports the engine once; each worker is then forked from it ready to compute.
    context.set_forkserver_preload([resolve_file.__module__, "sphinx_palette.engine.extract"])
    return context
