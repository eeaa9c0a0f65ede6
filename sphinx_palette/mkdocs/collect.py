"""What the pages ask for, collected while MkDocs reads them, and the palettes resolved all at once.

`Use` is one ``palette`` fence on one page, validated; identical requests (the same image with the same
options, on any page) are resolved once. `resolve_all` is the build's one batch step, the core's
`remote.batch.resolve_many` (concurrent polite fetching, parallel compute, the cache): it runs after every
page is read and before any is written. No MkDocs here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from ..options import PaletteOptions
from ..remote.batch import BatchJob, BatchOptions, BatchProgress
from ..remote.service import PaletteRequest, PaletteResult, PaletteService


@dataclass(frozen=True)
class Target:
    """What to read: a local file (absolute path) or a URL, and what to compute from it."""

    location: str
    remote: bool
    request: PaletteRequest


@dataclass
class Use:
    """One ``palette`` fence: its page, line, anchor, validated options and (once resolved) its result."""

    page: str
    line: int
    anchor: str
    options: PaletteOptions
    target: Target
    result: PaletteResult | None = None
    origin: str = "failed"


@dataclass
class Collected:
    """Every use of the build, by page, in reading order."""

    uses: list[Use] = field(default_factory=list)

    def add(self, use: Use) -> None:
        """Record one use."""
        self.uses.append(use)

    def targets(self) -> list[Target]:
        """The distinct targets, in first-use order."""
        return list(dict.fromkeys(u.target for u in self.uses))


def resolve_all(
    service: PaletteService,
    collected: Collected,
    options: BatchOptions | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> None:
    """Resolve every distinct target once, all at once, and give each use its result.

    ``progress(done, total, page)`` is called as each target is resolved, with the page of its first use.
    The first use of a target counts as computed or cached as the service says; later uses of the same
    target on other pages count as cached, as they are in the Sphinx extension.
    """
    targets: dict[Hashable, Target] = dict(enumerate(collected.targets()))
    first_page = {}
    for use in reversed(collected.uses):
        first_page[use.target] = use.page
    jobs = [
        BatchJob(key=key, request=t.request, location=None if t.remote else t.location)
        for key, t in targets.items()
    ]

    def report(state: BatchProgress) -> None:
        if progress is not None:
            progress(state.done, state.total, first_page[targets[state.key]])

    results: dict[Target, PaletteResult] = {}
    for outcome in service.resolve_many(jobs, options, progress=report):
        results[targets[outcome.key]] = outcome.result
    seen: set[Target] = set()
    for use in collected.uses:
        use.result = results[use.target]
        origin = use.result.origin
        if use.target in seen and origin == "computed":
            origin = "cache"
        use.origin = origin
        seen.add(use.target)
