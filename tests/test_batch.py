"""The batch step (PaletteService.resolve_many) against local servers: dedupe, per-host limits, pauses
shared by all workers, bounded memory, pluggable compute, results cached as they arrive."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sphinx_palette.remote.batch import BatchJob, BatchOptions, resolve_many
from sphinx_palette.remote.cache import PaletteCache
from sphinx_palette.remote.compute import compute
from sphinx_palette.remote.fetch import FetchSettings
from sphinx_palette.remote.politeness import HostGate, host_of
from sphinx_palette.remote.service import PaletteRequest, PaletteService
from tests.batch_helpers import CountingImages
from tests.httpserver import Response, make_server
from tests.remote_helpers import png, top_hex

COLOURS = [(220, 20, 30), (20, 160, 40), (20, 40, 200), (240, 200, 20), (120, 40, 160), (30, 200, 200)]
SETTINGS = FetchSettings(timeout=10.0, max_bytes=1_000_000, user_agent="test-agent")


def service_for(cache_dir: Path, **kwargs) -> PaletteService:
    settings = kwargs.pop("settings", SETTINGS)
    return PaletteService(PaletteCache(cache_dir), settings, remote_ttl=3600.0, **kwargs)


def Watched(hold: float = 0.05, first: list[Response] | None = None) -> CountingImages:
    """Serves ``/N.png`` in one colour of `COLOURS` after ``hold`` seconds, counting requests in flight."""
    return CountingImages(lambda n: png([COLOURS[n % len(COLOURS)]]), hold, first)


@pytest.fixture
def server():
    with make_server() as running:
        yield running


def serve(server, count: int, handler) -> list[str]:
    for number in range(count):
        server.route(f"/{number}.png", handler)
    return [server.url(f"/{number}.png") for number in range(count)]


def write_images(folder: Path, count: int, make) -> list[Path]:
    """``count`` PNG files in ``folder``, the n-th with the bytes ``make(n)``."""
    files = []
    for number in range(count):
        path = folder / f"{number}.png"
        path.write_bytes(make(number))
        files.append(path)
    return files


def url_jobs(urls: list[str], colors: int = 3) -> list[BatchJob]:
    return [BatchJob(url, PaletteRequest(url, colors=colors)) for url in urls]


def test_every_job_gets_its_palette_and_progress_counts_up(server, tmp_path):
    urls = serve(server, 12, Watched())
    seen = []
    outcomes = list(
        resolve_many(service_for(tmp_path), url_jobs(urls), BatchOptions(workers=1), progress=seen.append)
    )
    assert sorted(o.key for o in outcomes) == sorted(urls)
    for outcome in outcomes:
        index = int(outcome.key.rsplit("/", 1)[1].split(".")[0])
        expected = "#{:02x}{:02x}{:02x}".format(*COLOURS[index % len(COLOURS)])
        # Paths six apart serve the same bytes: one may find the other's palette in the cache.
        assert outcome.result.origin in ("computed", "cache")
        assert top_hex(outcome.result).lower() == expected
    assert [p.done for p in seen] == list(range(1, 13))
    assert {p.total for p in seen} == {12}
    assert [p.key for p in seen] == [o.key for o in outcomes]


def test_per_host_limit_holds_and_is_used(server, tmp_path):
    handler = Watched(hold=0.1)
    urls = serve(server, 16, handler)
    options = BatchOptions(fetch_workers=8, per_host=3, workers=1)
    service = service_for(tmp_path)
    assert all(o.result.palette for o in resolve_many(service, url_jobs(urls), options))
    assert handler.peak == 3
    assert service.gate.peak[host_of(urls[0])] == 3


def test_fetch_workers_bound_all_hosts_together(tmp_path):
    handler = Watched(hold=0.1)
    with make_server() as one, make_server() as two:
        urls = serve(one, 8, handler) + serve(two, 8, handler)
        options = BatchOptions(fetch_workers=3, per_host=4, workers=1)
        assert all(o.result.palette for o in resolve_many(service_for(tmp_path), url_jobs(urls), options))
    assert handler.peak == 3


def test_identical_jobs_are_resolved_once(server, tmp_path):
    handler = Watched()
    url = serve(server, 1, handler)[0]
    jobs = [BatchJob(key, PaletteRequest(url, colors=3)) for key in ("a", "b", "c")]
    jobs.append(BatchJob("d", PaletteRequest(url, colors=2)))
    outcomes = {o.key: o.result for o in resolve_many(service_for(tmp_path), jobs, BatchOptions(workers=1))}
    assert set(outcomes) == {"a", "b", "c", "d"}
    assert len(handler.log) == 1  # the image is fetched once; the other size is computed from the cache
    assert outcomes["a"].palette == outcomes["b"].palette == outcomes["c"].palette
    assert outcomes["a"] is not outcomes["b"]
    assert outcomes["d"].palette is not None and outcomes["d"].origin == "computed"


def test_retry_after_pauses_the_host_for_every_worker(server, tmp_path):
    # The first request answered is told to wait; the three sent with it are answered normally.
    handler = Watched(hold=0.2, first=[Response(status=429, headers={"Retry-After": "1"})])
    urls = serve(server, 10, handler)
    options = BatchOptions(fetch_workers=4, per_host=4, workers=1)
    outcomes = list(resolve_many(service_for(tmp_path), url_jobs(urls), options))
    assert all(o.result.palette for o in outcomes), [o.result.error for o in outcomes]
    paused_at = next(t for t, _, status in handler.log if status == 429)
    later = handler.log[4:]  # everything but the four requests already sent when the 429 came
    assert len(later) == 7  # six more images and the retry of the one told to wait
    assert all(arrived >= paused_at + 1.0 for arrived, _, _ in later)


def test_a_pause_beyond_the_deadline_fails_those_images_without_more_requests(server, tmp_path):
    handler = Watched(first=[Response(status=503, headers={"Retry-After": "30"})] * 2)
    urls = serve(server, 6, handler)
    service = service_for(tmp_path, settings=FetchSettings(timeout=2.0, user_agent="test-agent"))
    options = BatchOptions(fetch_workers=2, per_host=2, workers=1)
    started = time.monotonic()
    outcomes = list(resolve_many(service, url_jobs(urls), options))
    assert time.monotonic() - started < 10  # nobody sat out the 30 s pause
    # The requests already on their way when the first answer came, and none during the pause.
    told = len(handler.log)
    assert 1 <= told <= 2
    assert all(o.result.origin == "failed" and o.result.subtype == "fetch" for o in outcomes)
    messages = sorted(o.result.error for o in outcomes)
    assert sum("retry after 30 s, beyond the 2 s deadline" in m for m in messages) == told
    assert sum("the host asked for a pause" in m for m in messages) == 6 - told


def test_bodies_in_flight_are_bounded(tmp_path):
    files = write_images(tmp_path, 20, lambda n: png([COLOURS[n % len(COLOURS)], (0, 0, n * 10)]))

    started = set()
    peak = 0

    class Counting(PaletteService):
        def prepare(self, request, location=None):
            nonlocal peak
            started.add(request.source)
            peak = max(peak, len(started))
            return super().prepare(request, location)

    service = Counting(PaletteCache(tmp_path / "cache"), SETTINGS)
    jobs = [BatchJob(str(p), PaletteRequest(str(p), colors=2)) for p in files]
    for outcome in resolve_many(service, jobs, BatchOptions(fetch_workers=4, workers=1, max_bodies=3)):
        time.sleep(0.01)  # a slow consumer: the batch must not run ahead of it
        started.discard(outcome.key)
    assert peak == 3


def test_compute_runs_on_the_executor_given(tmp_path):
    files = write_images(tmp_path, 4, lambda n: png([COLOURS[n]]))
    threads = set()

    def recorded(task):
        threads.add(threading.current_thread().name)
        return compute(task)

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            assert fn is compute
            return super().submit(recorded, *args, **kwargs)

    jobs = [BatchJob(p.name, PaletteRequest("images/" + p.name, colors=2), str(p)) for p in files]
    with Recording(2, thread_name_prefix="elsewhere") as executor:
        outcomes = list(resolve_many(service_for(tmp_path / "c"), jobs, BatchOptions(executor=executor)))
    assert {o.key for o in outcomes} == {p.name for p in files}
    assert all(o.result.origin == "computed" for o in outcomes)
    assert threads and all(name.startswith("elsewhere") for name in threads)


def test_process_pool_gives_the_same_palettes_as_in_process(tmp_path):
    files = write_images(tmp_path, 6, lambda n: png([COLOURS[n], COLOURS[(n + 2) % 6], (10, 10, 10)]))
    jobs = [BatchJob(str(p), PaletteRequest(str(p), colors=3)) for p in files]
    serial = {
        o.key: o.result.palette
        for o in resolve_many(service_for(tmp_path / "a"), jobs, BatchOptions(workers=1))
    }
    pooled = {
        o.key: o.result.palette
        for o in resolve_many(service_for(tmp_path / "b"), jobs, BatchOptions(workers=2))
    }
    assert serial == pooled
    assert all(palette is not None for palette in pooled.values())


def test_results_are_cached_as_they_arrive(tmp_path):
    files = write_images(tmp_path, 5, lambda n: png([COLOURS[n]]))
    jobs = [BatchJob(str(p), PaletteRequest(str(p), colors=2)) for p in files]
    batch = resolve_many(
        service_for(tmp_path / "cache"), jobs, BatchOptions(fetch_workers=1, workers=1, max_bodies=1)
    )
    first = next(batch)
    batch.close()  # interrupted after one result
    again = {
        o.key: o.result.origin
        for o in resolve_many(service_for(tmp_path / "cache"), jobs, BatchOptions(workers=1))
    }
    assert again[first.key] == "cache"
    assert list(again.values()).count("computed") >= 3


def test_failures_are_outcomes_not_exceptions(server, tmp_path):
    server.route("/broken.png", Response(headers={"Content-Type": "text/html"}, body=b"<html>no</html>"))
    jobs = [
        BatchJob("missing", PaletteRequest(server.url("/missing.png"))),
        BatchJob("broken", PaletteRequest(server.url("/broken.png"))),
        BatchJob("nofile", PaletteRequest("img/none.png"), str(tmp_path / "none.png")),
    ]
    outcomes = {o.key: o.result for o in resolve_many(service_for(tmp_path), jobs, BatchOptions(workers=1))}
    assert outcomes["missing"].subtype == "fetch" and "404" in outcomes["missing"].error
    assert outcomes["broken"].subtype == "image"
    assert outcomes["nofile"].subtype == "source" and "img/none.png" in outcomes["nofile"].error


def test_host_gate_waits_out_a_pause_and_refuses_past_a_deadline():
    now = [100.0]
    gate = HostGate(per_host=1, clock=lambda: now[0])
    gate.pause("http://a.example/x", 5)
    assert gate.paused_for("http://a.example/y") == 5
    assert gate.paused_for("http://b.example/y") == 0
    assert not gate.wait("http://a.example/y", deadline=104.0)
    assert gate.wait("http://b.example/y", deadline=101.0)
    now[0] = 105.0
    assert gate.wait("http://a.example/y", deadline=106.0)
    assert host_of("http://user:pw@A.example:8080/x") == "a.example:8080"


class SharedBoard:
    """A pause board in this process standing in for a cluster's (`batch.cluster.SchedulerPauses`)."""

    def __init__(self) -> None:
        self.pauses: dict[str, float] = {}
        self.lookups = 0

    def publish(self, host: str, until: float) -> None:
        self.pauses[host] = max(until, self.pauses.get(host, 0.0))

    def paused_until(self, host: str) -> float:
        self.lookups += 1
        return self.pauses.get(host, 0.0)


def test_a_pause_published_on_the_board_holds_every_gate_that_shares_it():
    board = SharedBoard()
    told, other, alone = HostGate(board=board), HostGate(board=board), HostGate()
    told.pause("http://a.example/x", 0.5)
    assert board.pauses["a.example"] > time.time() + 0.4
    # Another process's gate has heard nothing itself, yet refuses what ends past its deadline...
    assert not other.wait("http://a.example/y", deadline=time.monotonic() + 0.1)
    # ...and waits the pause out otherwise; a gate without the board does not know of it.
    started = time.monotonic()
    assert other.wait("http://a.example/y", deadline=started + 5)
    assert time.monotonic() - started >= 0.35
    assert alone.wait("http://a.example/y", deadline=time.monotonic() + 0.01)
    assert other.wait("http://b.example/y", deadline=time.monotonic() + 0.01)
