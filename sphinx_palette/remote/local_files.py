"""Local images resolved whole by a process on this machine: read, hashed, looked up, computed, stored.

In a batch that runs a process pool of its own, a local image the file memo does not know (a cold build, a
fresh checkout) is not read by the calling process at all. `PaletteService.prepare_file` hands it off as a
`compute.FileJob`, and `resolve_file`, in a pool process, does all of `PaletteService.from_file` there:
reading and hashing the file, looking for its palette in the cache, computing and storing it, remembering
the file. The calling process (a site build, writing pages on one core) then spends nothing on image bytes
or cache writes, work its interpreter would otherwise do under its one lock, beside the pages it writes.
Files the memo knows are still answered by the caller from the cache, without a trip to the pool.
"""

from __future__ import annotations

from .cache import PaletteCache
from .compute import FileJob
from .fetch import FetchSettings
from .service import PaletteResult, PaletteService

__all__ = ["resolve_file"]

#: This process's services, by cache directory and decode budget: one cache object each, made once.
_SERVICES: dict[tuple[str, int], PaletteService] = {}


def resolve_file(job: FileJob) -> tuple[PaletteResult, str | None]:
    """The result of ``job``, resolved in this process, and the cache's error when a write failed."""
    service = _SERVICES.get((job.cache_directory, job.decode_budget))
    if service is None:
        # Never fetches: a local file's palette needs no network settings.
        service = PaletteService(
            PaletteCache(job.cache_directory), FetchSettings(), decode_budget=job.decode_budget
        )
        _SERVICES[job.cache_directory, job.decode_budget] = service
    result = service.from_file(job.path, job.request)
    # Reported once by the caller's service, which keeps the first; this one starts afresh for the next job.
    error, service.cache_error = service.cache_error, None
    return result, error
