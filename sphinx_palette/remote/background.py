"""A batch that runs in the background while its jobs are still being found.

A site build finds its palette requests one document at a time. `BackgroundBatch` starts resolving the
first one at once (fetching, computing, caching, through `batch.resolve_many` over a `BatchFeed`) in a
thread of its own, while the caller goes on finding the rest. `expect` then names every job the caller
wants an outcome for and submits those not submitted yet; `take` gives their outcomes one at a time, as
they come (those already resolved first), whenever the caller needs the next one; `finish` does both.
Outcomes of jobs submitted but no longer wanted (a document read again, say) are dropped: their palettes
are in the cache anyway.

The batch never outlives its process's main thread: `cancel` stops it (work not started is dropped), and
every batch still running when the interpreter exits (an interrupted build) is cancelled before the
interpreter waits for the pools' threads.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import queue
import threading
import weakref
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import replace

from .batch import BatchFeed, BatchJob, BatchOptions, BatchOutcome, resolve_many
from .service import PaletteService

__all__ = ["BackgroundBatch"]

_LIVE: weakref.WeakSet[BackgroundBatch] = weakref.WeakSet()


class _Ended:
    """The end of the background thread's outcomes, with the exception that ended it, if any."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class BackgroundBatch:
    """Resolve jobs in a background thread as they are submitted; collect the wanted outcomes at the end.

    Parameters
    ----------
    service : PaletteService
        Resolves the jobs (its cache, fetch settings and host gate).
    options : BatchOptions
        Concurrency, as for `batch.resolve_many`.
    """

    def __init__(self, service: PaletteService, options: BatchOptions) -> None:
        self.feed = BatchFeed()
        self._service = service
        self._serials = itertools.count()
        #: The latest job submitted under each caller key, with the serial it runs under.
        self._submitted: dict[Hashable, tuple[int, BatchJob]] = {}
        self._outcomes: queue.SimpleQueue[BatchOutcome | _Ended] = queue.SimpleQueue()
        #: The outcomes named by `expect` not arrived yet, by serial; those arrived, not taken yet; the end.
        self._wanted: dict[int, BatchJob] = {}
        self._arrived: collections.deque[BatchOutcome] = collections.deque()
        self._ended: _Ended | None = None
        # A daemon thread: an interrupted build's interpreter never waits for it (see `_cancel_all`).
        self._thread = threading.Thread(
            target=self._drive, args=(service, options), name="palette-batch", daemon=True
        )
        self._thread.start()
        _LIVE.add(self)

    def submit(self, job: BatchJob) -> None:
        """Start resolving ``job`` (its outcome is given by `finish` if asked for there).

        A job the cache answers at once (`PaletteService.known`: a local file it read before, an image URL
        whose copy is fresh, and its palette) is answered here: a few cache entries read cost less than
        waking the batch's threads, whose work would contend with the caller's for the interpreter lock all
        through a warm build.
        """
        serial = next(self._serials)
        self._submitted[job.key] = (serial, job)
        known = self._service.known(job.request, job.where)
        if known is not None:
            self._outcomes.put(BatchOutcome(serial, known))
            return
        self.feed.put(replace(job, key=serial))

    def finish(self, jobs: Iterable[BatchJob]) -> Iterator[BatchOutcome]:
        """One outcome per job of ``jobs``, in completion order; ends the batch.

        A job submitted earlier (same key, same request and location) is not resolved again.
        """
        self.expect(jobs)
        try:
            yield from self.remaining()
        finally:
            # Whatever is still running was not asked for (or the caller stopped): drop it.
            self.cancel()

    def expect(self, jobs: Iterable[BatchJob]) -> int:
        """Name every job whose outcome `take` is to give, and close the batch to new jobs.

        Jobs not submitted yet (or submitted under their key with another request) are submitted now;
        returns the number of outcomes to take. The batch goes on in the background meanwhile.
        """
        wanted: dict[int, BatchJob] = {}
        for job in jobs:
            found = self._submitted.get(job.key)
            if found is None or found[1] != job:
                self.submit(job)
                found = self._submitted[job.key]
            wanted[found[0]] = job
        self._wanted = wanted
        # Named now: the jobs submitted (and their requests) need not stay alive while pages are written.
        self._submitted = {}
        self.feed.close()
        return len(wanted)

    def take(self) -> BatchOutcome | None:
        """The next outcome named by `expect`, waiting for it; None once all were taken.

        Raises RuntimeError (from the batch's own error) when the batch stopped before giving them all.
        """
        self._fill(block=True)
        if self._arrived:
            return self._arrived.popleft()
        if self._ended is not None and self._wanted:
            raise RuntimeError("the palette batch stopped early") from self._ended.error
        return None

    def ready(self) -> bool:
        """True when `take` returns at once: an outcome it names has arrived, the batch ended, or none is
        left to take."""
        return self._fill(block=False)

    def _fill(self, block: bool) -> bool:
        """Sort queued outcomes until one `expect` named has arrived, the batch ended, or none is left to
        take; False when that needs waiting and ``block`` is off."""
        while not self._arrived and self._wanted and self._ended is None:
            try:
                item = self._outcomes.get(block)
            except queue.Empty:
                return False
            if isinstance(item, _Ended):
                self._ended = item
                continue
            # Outcomes of jobs submitted but not named (a document read again since) are dropped.
            asked = self._wanted.pop(item.key, None) if isinstance(item.key, int) else None
            if asked is not None:
                self._arrived.append(BatchOutcome(asked.key, item.result))
        return True

    def remaining(self) -> Iterator[BatchOutcome]:
        """The outcomes named by `expect` still to be taken, one `take` at a time, as the caller asks."""
        while (outcome := self.take()) is not None:
            yield outcome

    def cancel(self) -> None:
        """Stop the batch and wait for its thread: work in progress ends, work not started is dropped."""
        self.feed.cancel()
        if self._thread is not threading.current_thread():
            self._thread.join()
        _LIVE.discard(self)

    @property
    def running(self) -> bool:
        """True until the batch has ended (finished or cancelled)."""
        return self._thread.is_alive()

    def _drive(self, service: PaletteService, options: BatchOptions) -> None:
        error: BaseException | None = None
        try:
            # `submit` asked the cache already: what reaches the feed is what it could not answer.
            for outcome in resolve_many(service, self.feed, options, known_first=False):
                self._outcomes.put(outcome)
        except BaseException as exc:  # handed to `finish`, which raises it in the caller's thread
            error = exc
        finally:
            self._outcomes.put(_Ended(error))


def _cancel_all() -> None:
    for batch in list(_LIVE):
        batch.cancel()


# Run before the interpreter joins the pools' threads at exit (`atexit` handlers run after that), so an
# interrupted build exits instead of waiting for a feed nobody will close.
_register = getattr(threading, "_register_atexit", atexit.register)
_register(_cancel_all)
