"""Running a batch: walk the sources, skip what the output has, resolve the rest, write a row per image."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..engine.region import Region
from ..remote.batch import BatchJob, BatchOptions
from ..remote.service import PaletteRequest, PaletteResult, PaletteService
from .outputs import Output
from .progress import Progress, format_duration
from .rows import make_row
from .sources import SourceWalker
from .targets import Target

__all__ = ["BatchRun", "PaletteParameters", "Resolver", "Summary", "local_resolver"]

#: Targets handed to the resolver at once: bounds the memory of very long batches.
CHUNK = 10_000

#: Resolves targets, yielding (index in the sequence given, result) as results come.
Resolver = Callable[[Sequence[Target]], Iterator[tuple[int, PaletteResult]]]


@dataclass(frozen=True)
class PaletteParameters:
    """What every palette of the batch is computed with, as the directive's options."""

    colors: int = 5
    sort: str = "share"
    region: Region | None = None
    emphasis: str = "balanced"

    def request(self, target: Target) -> PaletteRequest:
        """The palette service's request for ``target``."""
        assert target.location is not None
        return PaletteRequest(
            source=target.location,
            colors=self.colors,
            sort=self.sort,
            region=self.region,
            canvas=target.canvas or 1,
            emphasis=self.emphasis,
        )


@dataclass
class Summary:
    """Counts of a batch (``skipped``: rows the output already had)."""

    computed: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def total(self) -> int:
        """Images resolved in this run."""
        return self.computed + self.cached + self.failed

    def count(self, origin: str) -> None:
        """One more image, by its result's origin (``computed``, ``cache``, anything else failed)."""
        if origin == "computed":
            self.computed += 1
        elif origin == "cache":
            self.cached += 1
        else:
            self.failed += 1

    def line(self) -> str:
        """``N images: C computed, H from cache, F failed in T s`` (and what was skipped or interrupted)."""
        text = (
            f"{self.total} images: {self.computed} computed, {self.cached} from cache, "
            f"{self.failed} failed in {format_duration(self.seconds)}"
        )
        if self.skipped:
            text += f" ({self.skipped} already in the output)"
        if self.interrupted:
            text += "; interrupted: run the same command again to resume"
        return text


def local_resolver(service: PaletteService, parameters: PaletteParameters, options: BatchOptions) -> Resolver:
    """Resolve targets in this process with the core's batch step (`PaletteService.resolve_many`)."""

    def resolve(targets: Sequence[Target]) -> Iterator[tuple[int, PaletteResult]]:
        jobs = (
            BatchJob(index, parameters.request(target), target.location)
            for index, target in enumerate(targets)
        )
        for outcome in service.resolve_many(jobs, options):
            assert isinstance(outcome.key, int)
            yield outcome.key, outcome.result

    return resolve


class BatchRun:
    """One run of a batch into ``output``; `summary` counts as it goes (also when interrupted)."""

    def __init__(self, walker: SourceWalker, resolver: Resolver, output: Output, progress: Progress) -> None:
        self.walker = walker
        self.resolver = resolver
        self.output = output
        self.progress = progress
        self.summary = Summary()

    def run(self, sources: Iterable[str]) -> Summary:
        """Walk ``sources``, resolve every target whose row is not written yet, and write its row."""
        started = time.monotonic()
        try:
            todo: list[Target] = []
            for target in self.walker.targets(sources):
                if target.key in self.output.done:
                    self.summary.skipped += 1
                else:
                    todo.append(target)
            self.progress.start(len(todo))
            resolvable = []
            for target in todo:
                if target.location is None:
                    self._write(target, None)
                else:
                    resolvable.append(target)
            del todo
            for start in range(0, len(resolvable), CHUNK):
                chunk = resolvable[start : start + CHUNK]
                for index, result in self.resolver(chunk):
                    self._write(chunk[index], result)
        except KeyboardInterrupt:
            self.summary.interrupted = True
            raise
        finally:
            self.progress.close()
            self.summary.seconds = time.monotonic() - started
        return self.summary

    def _write(self, target: Target, result: PaletteResult | None) -> None:
        self.output.write(make_row(target, result))
        self.summary.count(result.origin if result is not None else "failed")
        self.progress.advance()
