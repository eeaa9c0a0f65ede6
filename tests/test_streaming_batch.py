"""The batch step fed while it runs (`BatchFeed`, `BackgroundBatch`): work starts on the first job, later
jobs start while earlier ones are in flight, a job whose twin is resolved already is answered at once, an
open empty feed never deadlocks, and an error or a cancel shuts the pools down."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from sphinx_palette.remote.background import BackgroundBatch
from sphinx_palette.remote.batch import BatchFeed, BatchJob, BatchOptions, resolve_many
from sphinx_palette.remote.cache import PaletteCache
from sphinx_palette.remote.fetch import FetchSettings
from sphinx_palette.remote.service import PaletteRequest, PaletteService
from tests.httpserver import RecordedRequest, Response, json_response, make_server
from tests.remote_helpers import info_json, png

SETTINGS = FetchSettings(timeout=10.0, max_bytes=1_000_000, user_agent="test-agent")
IMAGE = png([(200, 30, 30), (30, 30, 200)])
#: Generous bound for a step that should take milliseconds: reached only when something is stuck.
STUCK = 30.0


@pytest.fixture
def server():
    with make_server() as running:
        running.route("/a.png", Response(headers={"Content-Type": "image/png"}, body=IMAGE))
        yield running


def service_for(cache_dir: Path | str) -> PaletteService:
    return PaletteService(PaletteCache(cache_dir), SETTINGS, remote_ttl=3600.0)


def job(key, url: str) -> BatchJob:
    return BatchJob(key, PaletteRequest(url, colors=2))


def fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("palette-fetch", "palette-batch"))]


def test_a_job_arriving_after_its_twin_finished_is_answered_from_it(server, tmp_path):
    url = server.url("/a.png")
    feed = BatchFeed()
    outcomes = resolve_many(service_for(tmp_path), feed, BatchOptions(workers=1))
    feed.put(job("first", url))
    first = next(outcomes)  # resolved while the feed is still open
    assert first.key == "first" and first.result.origin == "computed"
    feed.put(job("twin", url))
    feed.close()
    twin = next(outcomes)
    assert twin.key == "twin"
    assert twin.result.palette == first.result.palette and twin.result.origin == "computed"
    assert twin.result is not first.result and twin.result.notices is not first.result.notices
    assert list(outcomes) == []
    assert len(server.requests) == 1


def test_an_open_empty_feed_waits_without_deadlock_and_ends_when_closed(server, tmp_path):
    feed = BatchFeed()
    seen: list[object] = []
    done = threading.Event()

    def consume() -> None:
        for outcome in resolve_many(service_for(tmp_path), feed, BatchOptions(workers=1)):
            seen.append(outcome.key)
        done.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    assert not done.wait(0.2)  # open and empty: waiting, not finished
    feed.put(job("one", server.url("/a.png")))
    feed.close()
    consumer.join(STUCK)
    assert done.is_set() and seen == ["one"]
    assert fetch_threads() == []


def test_a_job_put_while_another_is_in_flight_starts_at_once(server, tmp_path):
    second_arrived = threading.Event()
    first_released_early = []

    def slow(request: RecordedRequest) -> Response:
        # Held until the second request reaches the server: only if the batch started it meanwhile.
        first_released_early.append(not second_arrived.wait(STUCK))
        return Response(headers={"Content-Type": "image/png"}, body=IMAGE)

    def quick(request: RecordedRequest) -> Response:
        second_arrived.set()
        return Response(headers={"Content-Type": "image/png"}, body=png([(10, 200, 10)]))

    server.route("/slow.png", slow)
    server.route("/quick.png", quick)
    feed = BatchFeed()
    outcomes = resolve_many(service_for(tmp_path), feed, BatchOptions(workers=1))
    feed.put(job("slow", server.url("/slow.png")))
    started = threading.Timer(0.1, lambda: (feed.put(job("quick", server.url("/quick.png"))), feed.close()))
    started.start()
    keys = [outcome.key for outcome in outcomes]
    started.join()
    assert sorted(keys) == ["quick", "slow"]
    assert first_released_early == [False]


def test_background_batch_collects_only_the_jobs_asked_for(server, tmp_path):
    url = server.url("/a.png")
    batch = BackgroundBatch(service_for(tmp_path), BatchOptions(workers=1))
    batch.submit(job(("page", 0), url))
    batch.submit(job(("gone", 0), server.url("/missing.png")))  # a document since purged
    wanted = [job(("page", 0), url), job(("page", 1), url)]
    outcomes = {o.key: o.result for o in batch.finish(wanted)}
    assert set(outcomes) == {("page", 0), ("page", 1)}
    assert outcomes[("page", 0)].palette == outcomes[("page", 1)].palette is not None
    assert not batch.running and fetch_threads() == []
    assert [r.path for r in server.requests].count("/a.png") == 1


def test_a_resubmitted_key_with_another_request_is_resolved_again(server, tmp_path):
    server.route("/b.png", Response(headers={"Content-Type": "image/png"}, body=png([(10, 200, 10)])))
    batch = BackgroundBatch(service_for(tmp_path), BatchOptions(workers=1))
    batch.submit(job(("page", 0), server.url("/a.png")))  # the page as first read
    outcomes = list(batch.finish([job(("page", 0), server.url("/b.png"))]))  # as read again
    assert [o.key for o in outcomes] == [("page", 0)]
    palette = outcomes[0].result.palette
    assert palette is not None and int(palette.hexes[0][3:5], 16) > 150  # b.png's green, not a.png
    assert "/b.png" in [r.path for r in server.requests]


def test_an_error_in_the_batch_reaches_the_caller_and_stops_the_pools(server, tmp_path, monkeypatch):
    service = service_for(tmp_path)

    def broken(request, location=None):
        raise ValueError("broken service")

    monkeypatch.setattr(service, "prepare", broken)
    batch = BackgroundBatch(service, BatchOptions(workers=1))
    batch.submit(job("x", server.url("/a.png")))
    with pytest.raises(RuntimeError, match="stopped early") as raised:
        list(batch.finish([job("x", server.url("/a.png"))]))
    assert isinstance(raised.value.__cause__, ValueError)
    assert not batch.running and fetch_threads() == []


def test_cancel_stops_work_in_flight_and_drops_the_rest(server, tmp_path):
    release = threading.Event()

    def held(request: RecordedRequest) -> Response:
        release.wait(STUCK)
        return Response(headers={"Content-Type": "image/png"}, body=IMAGE)

    for n in range(20):
        server.route(f"/held{n}.png", held)
    batch = BackgroundBatch(service_for(tmp_path), BatchOptions(fetch_workers=2, per_host=2, workers=1))
    for n in range(20):
        batch.submit(job(n, server.url(f"/held{n}.png")))
    canceller = threading.Thread(target=batch.cancel)
    canceller.start()
    release.set()  # the two requests in flight end; the other 18 never start
    canceller.join(STUCK)
    assert not canceller.is_alive() and not batch.running
    assert fetch_threads() == []
    assert len(server.requests) <= 4


def test_compute_processes_run_at_the_priority_asked_for(tmp_path):
    from sphinx_palette.remote import batch

    runner = batch._Runner(service_for(tmp_path / "cache"), BatchOptions(workers=2, nice=3))
    try:
        pool = runner._executor()
        assert pool is not None
        # os.nice(0) gives a process's niceness: the caller's plus the increment asked for (19 at most).
        assert pool.submit(os.nice, 0).result(timeout=STUCK) == min(os.nice(0) + 3, 19)
    finally:
        runner.shutdown()


def test_a_local_file_the_cache_knows_is_answered_at_once_without_the_batch(tmp_path, monkeypatch):
    from sphinx_palette.remote import file_memo

    monkeypatch.setattr(file_memo, "RACY_SECONDS", 0.0)  # remembered although just written
    image = tmp_path / "a.png"
    image.write_bytes(IMAGE)
    first = BackgroundBatch(service_for(tmp_path / "cache"), BatchOptions(workers=1))
    (computed,) = first.finish([BatchJob("a", PaletteRequest("a.png", colors=2), str(image))])
    assert computed.result.origin == "computed"

    service = service_for(tmp_path / "cache")
    batch = BackgroundBatch(service, BatchOptions(workers=1))
    known = BatchJob("a", PaletteRequest("a.png", colors=2), str(image))
    unknown = BatchJob("b", PaletteRequest("a.png", colors=3), str(image))  # another palette of it
    batch.submit(known)
    batch.submit(unknown)
    assert batch.feed.count == 1  # only the palette the cache lacks went to the batch's threads
    outcomes = {o.key: o.result for o in batch.finish([known, unknown])}
    assert outcomes["a"].origin == "cache" and outcomes["a"].palette == computed.result.palette
    assert (outcomes["a"].width, outcomes["a"].height) == (computed.result.width, computed.result.height)
    assert outcomes["b"].origin == "computed"
    assert not batch.running


def test_an_image_url_with_a_fresh_copy_is_answered_at_once_like_the_batch_would(server, tmp_path):
    url = server.url("/a.png")
    first = BackgroundBatch(service_for(tmp_path / "cache"), BatchOptions(workers=1))
    (fetched,) = first.finish([job("a", url)])
    assert fetched.result.origin == "computed" and len(server.requests) == 1

    batch = BackgroundBatch(service_for(tmp_path / "cache"), BatchOptions(workers=1))
    batch.submit(job("a", url))
    batch.submit(job("b", server.url("/missing.png")))  # never fetched: goes to the batch
    assert batch.feed.count == 1
    outcomes = {o.key: o.result for o in batch.finish([job("a", url), job("b", server.url("/missing.png"))])}
    assert len(server.requests) == 2  # the fresh copy was not asked for again
    # The same result as the batch's own path gives (that build's resolve, with its threads).
    (slow,) = resolve_many(service_for(tmp_path / "cache"), [job("a", url)], BatchOptions(workers=1))
    assert outcomes["a"] == slow.result
    assert outcomes["a"].origin == "cache" and outcomes["a"].checked_at is not None
    assert outcomes["b"].palette is None


def test_ready_says_whether_take_returns_without_waiting(server, tmp_path):
    url = server.url("/a.png")
    (warmed,) = BackgroundBatch(service_for(tmp_path), BatchOptions(workers=1)).finish([job("a", url)])
    release = threading.Event()

    def held(request: RecordedRequest) -> Response:
        release.wait(STUCK)
        return Response(headers={"Content-Type": "image/png"}, body=png([(10, 200, 10)]))

    server.route("/held.png", held)
    batch = BackgroundBatch(service_for(tmp_path), BatchOptions(workers=1))
    batch.submit(job(("gone", 0), server.url("/missing.png")))  # submitted, then no longer wanted
    assert batch.expect([job("a", url), job("h", server.url("/held.png"))]) == 2
    assert batch.ready()  # the cache answered "a" when it was submitted
    first = batch.take()
    assert first is not None and first.key == "a" and first.result.palette == warmed.result.palette
    assert not batch.ready()  # "h" is held by the server; "gone" is not asked for
    release.set()
    limit = time.monotonic() + STUCK
    while not batch.ready():
        assert time.monotonic() < limit, "the held image never arrived"
        time.sleep(0.01)
    second = batch.take()
    assert second is not None and second.key == "h" and second.result.palette is not None
    assert batch.ready() and batch.take() is None  # nothing left: neither waits
    batch.cancel()


def test_a_copy_to_revalidate_or_a_iiif_document_is_left_to_the_batch(server, tmp_path):
    base = server.url("/iiif/3/img")
    server.route("/iiif/3/img/info.json", json_response(info_json(base, 3, 2)))
    server.route(
        "/iiif/3/img/full/512,/0/default.jpg", Response(headers={"Content-Type": "image/png"}, body=IMAGE)
    )
    service = service_for(tmp_path / "cache")
    plain, iiif = (
        PaletteRequest(server.url("/a.png"), colors=2),
        PaletteRequest(base + "/info.json", colors=2),
    )
    assert service.known(plain) is None  # nothing cached yet
    jobs = [job("a", plain.source), job("i", iiif.source)]
    assert all(o.result.palette for o in resolve_many(service, jobs, BatchOptions(workers=1)))
    assert service.known(plain) is not None
    # A IIIF document is resolved to its image by the batch's path, even with everything fresh in the cache.
    assert service.known(iiif) is None
    assert service.known(PaletteRequest(plain.source, colors=3)) is None  # another palette of it
    stale = PaletteService(PaletteCache(tmp_path / "cache"), SETTINGS, remote_ttl=0.0)
    assert stale.known(plain) is None  # its copy is to be revalidated first


def jpeg_with_long_preamble(comment_bytes: int = 2 * 65533) -> bytes:
    """A JPEG whose size (its SOF segment) comes after ``comment_bytes`` of comments (by default 128 kB:
    past what `known_url` reads)."""
    import cv2
    import numpy as np

    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[:, :30] = (30, 30, 200)
    encoded = cv2.imencode(".jpg", pixels)[1].tobytes()
    comments = b""
    while comment_bytes > 0:
        length = min(comment_bytes, 65533)
        comments += b"\xff\xfe" + (length + 2).to_bytes(2, "big") + b"x" * length
        comment_bytes -= length
    return encoded[:2] + comments + encoded[2:]


def test_a_copy_whose_header_follows_its_first_kilobytes_is_still_answered_at_once(server, tmp_path):
    server.route(
        "/mid.jpg", Response(headers={"Content-Type": "image/jpeg"}, body=jpeg_with_long_preamble(10_000))
    )
    url = server.url("/mid.jpg")
    (first,) = resolve_many(service_for(tmp_path / "cache"), [job("m", url)], BatchOptions(workers=1))
    assert (first.result.width, first.result.height) == (60, 40)
    known = service_for(tmp_path / "cache").known(PaletteRequest(url, colors=2))
    # The batch's own path (`prepare`), which reads the whole copy, not the look-up `known` makes.
    (again,) = resolve_many(
        service_for(tmp_path / "cache"), [job("m", url)], BatchOptions(workers=1), known_first=False
    )
    assert known is not None and known == again.result and (known.width, known.height) == (60, 40)
    assert len(server.requests) == 1


def test_a_copy_whose_header_lies_deep_is_answered_by_the_batch_with_the_same_result(server, tmp_path):
    server.route(
        "/deep.jpg", Response(headers={"Content-Type": "image/jpeg"}, body=jpeg_with_long_preamble())
    )
    server.route("/a.png", Response(headers={"Content-Type": "image/png"}, body=IMAGE))
    service = service_for(tmp_path / "cache")
    deep, shallow = (PaletteRequest(server.url(p), colors=2) for p in ("/deep.jpg", "/a.png"))
    first = {
        o.key: o.result for o in resolve_many(service, [job("d", deep.source), job("s", shallow.source)])
    }
    assert (first["d"].width, first["d"].height) == (60, 40)
    assert service.known(deep) is None  # its size is not in the first 64 kB read: left to the batch
    # The shallow one is answered from the start of its copy, as the batch answers it from the whole.
    (again,) = resolve_many(
        service_for(tmp_path / "cache"),
        [job("s", shallow.source)],
        BatchOptions(workers=1),
        known_first=False,
    )
    assert service.known(shallow) == again.result and again.result.origin == "cache"


def test_a_blob_head_is_the_start_of_a_blob_on_disk_only(tmp_path):
    cache = PaletteCache(tmp_path / "cache")
    digest = cache.put_blob(b"0123456789")
    assert cache.blob_head(digest, 4) == b"0123"
    assert cache.blob_head("0" * 64, 4) is None and cache.blob_head("../etc", 4) is None
    in_memory = PaletteCache(f"memory://palette-tests/{tmp_path.name}")
    assert in_memory.blob_head(in_memory.put_blob(b"0123456789"), 4) is None


def test_a_warm_batch_answers_from_the_cache_without_preparing_anything(server, tmp_path, monkeypatch):
    """What the cache answers at once (`PaletteService.known`) never reaches the fetch threads: no image is
    read whole or hashed again; the rest of the same batch is prepared as usual."""
    image = png([(30, 160, 60), (230, 230, 230)])
    server.route("/b.png", Response(headers={"Content-Type": "image/png"}, body=image))
    cached, fresh = server.url("/a.png"), server.url("/b.png")
    (cold,) = resolve_many(service_for(tmp_path / "cache"), [job("a", cached)], BatchOptions(workers=1))
    service = service_for(tmp_path / "cache")
    prepare = service.prepare
    prepared: list[str] = []

    def counted(request, location=None, **kwargs):
        prepared.append(request.source)
        return prepare(request, location, **kwargs)

    monkeypatch.setattr(service, "prepare", counted)
    jobs = [job("a", cached), job("twin", cached), job("b", fresh)]
    outcomes = {o.key: o.result for o in resolve_many(service, jobs, BatchOptions(workers=1))}
    assert prepared == [fresh]
    assert outcomes["a"].origin == outcomes["twin"].origin == "cache"
    assert outcomes["a"].palette == outcomes["twin"].palette == cold.result.palette
    assert outcomes["twin"] is not outcomes["a"]  # each key its own result, as for twins prepared
    assert outcomes["b"].origin == "computed"
    # Asked not to (`BackgroundBatch` asks the cache itself before putting a job), the batch prepares all.
    prepared.clear()
    again = list(resolve_many(service, [job("a", cached)], BatchOptions(workers=1), known_first=False))
    assert prepared == [cached] and again[0].result.origin == "cache"


def test_with_a_cache_in_object_storage_nothing_is_looked_up_ahead(server, tmp_path):
    """There each entry read is a request, and a copy's header cannot be read alone: `known` leaves every
    image to the batch's threads instead of asking the store for its record first."""
    service = service_for(f"memory://palette-tests/{tmp_path.name}")
    url = server.url("/a.png")
    (first,) = resolve_many(service, [job("a", url)], BatchOptions(workers=1))
    assert first.result.origin == "computed"
    reads: list[tuple[str, str]] = []
    store = service.cache.store
    read = store.read

    def counted(kind, name, *args, **kwargs):
        reads.append((kind, name))
        return read(kind, name, *args, **kwargs)

    store.read = counted
    assert service.known(PaletteRequest(url, colors=2)) is None
    assert reads == []
    (again,) = resolve_many(service, [job("a", url)], BatchOptions(workers=1))
    assert again.result.origin == "cache" and again.result.palette == first.result.palette


def test_a_job_the_cache_cannot_answer_is_fetched_while_the_answered_ones_are_handed_out(server, tmp_path):
    """A miss found among jobs the cache answers starts at once: its fetch overlaps what the caller does with
    the answers that follow it, instead of waiting until they are all taken."""
    cached = server.url("/a.png")
    (cold,) = resolve_many(service_for(tmp_path / "cache"), [job("a", cached)], BatchOptions(workers=1))
    asked = threading.Event()
    release = threading.Event()

    def held(request: RecordedRequest) -> Response:
        asked.set()
        release.wait(STUCK)
        return Response(headers={"Content-Type": "image/png"}, body=png([(10, 10, 10), (250, 250, 250)]))

    server.route("/held.png", held)
    jobs = [job("miss", server.url("/held.png")), job("hit", cached)]
    outcomes = resolve_many(service_for(tmp_path / "cache"), jobs, BatchOptions(workers=1))
    try:
        hit = next(outcomes)
        assert hit.key == "hit" and hit.result.palette == cold.result.palette
        # While the caller holds the answer, the miss's request is on its way already.
        assert asked.wait(STUCK), "the miss was not fetched while the answer was being handled"
    finally:
        release.set()
    (miss,) = list(outcomes)
    assert miss.key == "miss" and miss.result.origin == "computed"
