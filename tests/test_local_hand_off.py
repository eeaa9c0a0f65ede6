"""Local images handed off whole to the batch's own process pool (`remote.local_files`): the calling process
never reads an image the file memo does not know; the pool reads, hashes, computes, caches and remembers it,
with the same palettes, sizes, errors and cache entries as the caller would have made."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sphinx_palette.remote import batch, file_memo, local_files
from sphinx_palette.remote.batch import BatchJob, BatchOptions, resolve_many
from sphinx_palette.remote.cache import CacheError, PaletteCache
from sphinx_palette.remote.compute import FileJob
from sphinx_palette.remote.fetch import FetchSettings
from sphinx_palette.remote.service import PaletteRequest, PaletteResult, PaletteService
from tests.remote_helpers import png

COLOURS = [(220, 20, 30), (20, 160, 40), (20, 40, 200), (240, 200, 20), (120, 40, 160), (30, 200, 200)]


def service_for(cache: str | Path) -> PaletteService:
    return PaletteService(PaletteCache(cache), FetchSettings(timeout=10.0))


def images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n in range(count):
        path = folder / f"{n}.png"
        path.write_bytes(png([COLOURS[n % 6], COLOURS[(n + 3) % 6], (n * 20, 10, 10)]))
        files.append(path)
    return files


@pytest.fixture(scope="module")
def settled(tmp_path_factory) -> list[Path]:
    """Six images old enough for the file memo (`file_memo.RACY_SECONDS`) in every process: the pool's
    processes start clean, so the test cannot shorten the wait for them; it is waited once for the module."""
    files = images(tmp_path_factory.mktemp("settled"), 6)
    time.sleep(file_memo.RACY_SECONDS + 0.1)
    return files


def outcomes(service: PaletteService, files: list[Path], workers: int) -> dict[str, PaletteResult]:
    """Each file's result, by file name, from one batch of ``workers`` processes."""
    jobs = [BatchJob(p.name, PaletteRequest(f"img/{p.name}", colors=3), str(p)) for p in files]
    return {str(o.key): o.result for o in resolve_many(service, jobs, BatchOptions(workers=workers))}


def test_the_pool_resolves_unknown_files_whole_and_the_caller_never_reads_them(
    settled, tmp_path, monkeypatch
):
    files = settled
    serial = outcomes(service_for(tmp_path / "serial"), files, workers=1)
    read = []
    original = Path.read_bytes

    def watched(self: Path) -> bytes:
        read.append(self)
        return original(self)

    # The pool's processes start clean (forkserver): only this process's reads are watched.
    monkeypatch.setattr(Path, "read_bytes", watched)
    pooled = outcomes(service_for(tmp_path / "pooled"), files, workers=2)
    assert not [p for p in read if p.suffix == ".png"]
    assert {k: (r.palette, r.origin, r.width, r.height) for k, r in pooled.items()} == {
        k: (r.palette, r.origin, r.width, r.height) for k, r in serial.items()
    }
    assert all(r.origin == "computed" and r.palette is not None for r in pooled.values())
    # The pool stored the palettes and remembered the files, as the caller would have.
    cache = PaletteCache(tmp_path / "pooled")
    assert all(cache.file_facts(p) is not None for p in files)
    assert len(list((tmp_path / "pooled" / "palettes").glob("*.json"))) == len(files)


def test_files_the_memo_knows_are_answered_without_the_pool(settled, tmp_path, monkeypatch):
    files = settled
    first = outcomes(service_for(tmp_path / "cache"), files, workers=2)

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started for palettes the cache holds")

    monkeypatch.setattr(batch, "ProcessPoolExecutor", no_pool)
    again = outcomes(service_for(tmp_path / "cache"), files, workers=2)
    assert all(r.origin == "cache" for r in again.values())
    assert {k: r.palette for k, r in again.items()} == {k: r.palette for k, r in first.items()}


def test_a_broken_or_missing_file_fails_alike_in_the_pool_and_here(tmp_path):
    folder = tmp_path / "img"
    files = images(folder, 2)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    files += [folder / "broken.png", folder / "missing.png"]
    here = outcomes(service_for(tmp_path / "a"), files, workers=1)
    pooled = outcomes(service_for(tmp_path / "b"), files, workers=2)
    for name in ("broken.png", "missing.png"):
        assert pooled[name].palette is None and pooled[name].error
        assert (pooled[name].error, pooled[name].subtype) == (here[name].error, here[name].subtype)


def test_only_a_cache_on_disk_hands_files_off(tmp_path):
    (path,) = images(tmp_path / "img", 1)
    request = PaletteRequest("img/0.png", colors=3)
    on_disk = service_for(tmp_path / "cache").prepare(request, str(path), hand_off=True)
    assert on_disk.file_job == FileJob(str(path.resolve()), request, str(tmp_path / "cache"))
    assert on_disk.task is None and on_disk.result.palette is None
    # In object storage there is no file memo to spare the reading: the caller reads and hashes as before.
    in_memory = service_for(f"memory://palette-tests/{tmp_path.name}").prepare(
        request, str(path), hand_off=True
    )
    assert in_memory.file_job is None and in_memory.task is not None
    # Without hand_off nothing changes.
    assert service_for(tmp_path / "other").prepare(request, str(path)).file_job is None


def refused(self, key, palette):
    raise CacheError("the palette cache is full")


def test_a_cache_write_failure_in_the_pool_is_returned_once(tmp_path, monkeypatch):
    (path,) = images(tmp_path / "img", 1)
    monkeypatch.setattr(PaletteCache, "put_palette", refused)
    job = FileJob(str(path), PaletteRequest("img/0.png", colors=3), str(tmp_path / "cache"))
    result, error = local_files.resolve_file(job)
    assert result.palette is not None and error == "the palette cache is full"
    # The next job of this process starts with no error of its own.
    monkeypatch.undo()
    _, error = local_files.resolve_file(
        FileJob(str(path), PaletteRequest("img/0.png", colors=2), job.cache_directory)
    )
    assert error is None


def test_a_cache_write_failure_in_the_pool_reaches_the_callers_service(tmp_path, monkeypatch):
    class InThreads(ThreadPoolExecutor):
        """The batch's own pool, in threads of this process: the failing cache write can be staged here."""

        def __init__(self, workers, mp_context=None, initializer=None):
            super().__init__(workers)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", InThreads)
    monkeypatch.setattr(PaletteCache, "put_palette", refused)
    service = service_for(tmp_path / "cache")
    results = outcomes(service, images(tmp_path / "img", 2), workers=2)
    assert all(r.palette is not None and r.origin == "computed" for r in results.values())
    assert service.cache_error == "the palette cache is full"


@pytest.fixture(autouse=True)
def fresh_services():
    """`local_files` keeps one service per cache in each process: none carried from test to test here."""
    local_files._SERVICES.clear()
    yield
    local_files._SERVICES.clear()
