"""sphinx_palette.remote.cache: round trips, corrupt entries are misses, atomic writes, unwritable dirs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sphinx_palette.engine import ENGINE_VERSION, Palette, Swatch
from sphinx_palette.remote.cache import (
    CacheError,
    PaletteCache,
    RemoteRecord,
    content_hash,
    is_cacheable,
    palette_key,
)
from sphinx_palette.remote.fetch import FetchSettings
from sphinx_palette.remote.service import PaletteRequest, PaletteService
from tests.remote_helpers import png

PALETTE = Palette((Swatch((200, 30, 40), 0.75), Swatch((10, 20, 250), 0.25)))
OTHER = Palette((Swatch((0, 0, 0), 1.0),))
KEY = palette_key(content_hash(b"image"), {"colors": 2})


def leftovers(directory: Path) -> list[Path]:
    """Temporary files a write may have left behind."""
    return [p for p in directory.rglob("*") if p.name.startswith(".tmp")]


def test_palette_round_trip(tmp_path):
    cache = PaletteCache(tmp_path)
    assert cache.get_palette(KEY) is None
    cache.put_palette(KEY, PALETTE)
    assert cache.get_palette(KEY) == PALETTE
    # A second cache object on the same directory (another -j worker, the next build) sees it.
    assert PaletteCache(tmp_path).get_palette(KEY) == PALETTE
    assert leftovers(tmp_path) == []


def test_keys_depend_on_image_and_parameters():
    image = content_hash(b"image")
    assert palette_key(image, {"colors": 2}) == palette_key(image, {"colors": 2})
    assert palette_key(image, {"colors": 2}) != palette_key(image, {"colors": 3})
    assert palette_key(image, {"colors": 2}) != palette_key(content_hash(b"other"), {"colors": 2})


def test_blob_round_trip(tmp_path):
    cache = PaletteCache(tmp_path)
    digest = cache.put_blob(b"some bytes")
    assert digest == content_hash(b"some bytes")
    assert cache.get_blob(digest) == b"some bytes"
    assert cache.get_blob(content_hash(b"absent")) is None
    assert cache.get_blob("../../etc/passwd") is None


def test_remote_record_round_trip(tmp_path):
    cache = PaletteCache(tmp_path)
    record = RemoteRecord(
        url="https://example.org/a.png",
        blob=content_hash(b"x"),
        checked_at=1000.5,
        etag='"v1"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        content_type="image/png",
    )
    cache.put_remote(record)
    assert cache.get_remote(record.url) == record
    assert cache.get_remote("https://example.org/b.png") is None


def test_credentials_are_not_written_to_disk(tmp_path):
    cache = PaletteCache(tmp_path)
    url = "https://user:s3cret@example.org/a.png"
    record = RemoteRecord(url=url, blob=content_hash(b"x"), checked_at=1.0)
    cache.put_remote(record)
    assert cache.get_remote(url) == record
    # Other credentials are another URL.
    assert cache.get_remote("https://user:other@example.org/a.png") is None
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"s3cret" not in path.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "\x00\xff garbage",
        lambda text: "",
        lambda text: "[1, 2, 3]",
        lambda text: json.dumps({"key": KEY, "palette": "not a palette"}),
        lambda text: json.dumps({"key": KEY, "palette": {"swatches": [{"rgb": [999, 0, 0], "share": 1}]}}),
        lambda text: json.dumps({"key": "another key", "palette": json.loads(text)["palette"]}),
    ],
    ids=["truncated", "garbage", "empty", "list", "wrong-type", "bad-colour", "wrong-key"],
)
def test_damaged_palette_entry_is_a_miss(tmp_path, damage):
    cache = PaletteCache(tmp_path)
    cache.put_palette(KEY, PALETTE)
    (path,) = (tmp_path / "palettes").iterdir()
    path.write_text(damage(path.read_text()), encoding="latin-1")
    assert cache.get_palette(KEY) is None
    cache.put_palette(KEY, PALETTE)
    assert cache.get_palette(KEY) == PALETTE


def test_blob_that_does_not_match_its_hash_is_a_miss_and_is_replaced(tmp_path):
    cache = PaletteCache(tmp_path)
    digest = cache.put_blob(b"original bytes")
    (tmp_path / "blobs" / digest).write_bytes(b"original byteZ")
    assert cache.get_blob(digest) is None
    # Storing the right bytes again repairs the entry instead of trusting the damaged file.
    assert cache.put_blob(b"original bytes") == digest
    assert cache.get_blob(digest) == b"original bytes"


@pytest.mark.parametrize(
    "payload",
    [
        {"url": "https://example.org/a.png", "blob": "not-a-digest", "checked_at": 1.0},
        {"url": "https://example.org/a.png", "blob": "0" * 64, "checked_at": "yesterday"},
        {"url": "https://example.org/a.png", "blob": "0" * 64, "checked_at": 1.0, "etag": 5},
        {"url": "https://example.org/a.png", "blob": "0" * 64},
        {"url": "https://example.org/a.png", "blob": "0" * 64, "checked_at": 1.0, "extra": 1},
    ],
)
def test_malformed_remote_record_is_a_miss(tmp_path, payload):
    cache = PaletteCache(tmp_path)
    url = "https://example.org/a.png"
    cache.put_remote(RemoteRecord(url=url, blob="0" * 64, checked_at=1.0))
    (path,) = (tmp_path / "remote").iterdir()
    path.write_text(json.dumps(payload))
    assert cache.get_remote(url) is None


def test_failed_write_keeps_the_old_entry_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    cache = PaletteCache(tmp_path)
    cache.put_palette(KEY, PALETTE)

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CacheError, match="No space left"):
        cache.put_palette(KEY, OTHER)
    monkeypatch.undo()
    assert cache.get_palette(KEY) == PALETTE
    assert leftovers(tmp_path) == []


def test_interrupted_write_keeps_the_old_entry(tmp_path, monkeypatch):
    cache = PaletteCache(tmp_path)
    cache.put_palette(KEY, PALETTE)
    real_fdopen = os.fdopen

    class Interrupted(Exception):
        pass

    def half_write(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        real_write = handle.write

        def write(data):
            real_write(data[: len(data) // 2])
            raise Interrupted

        handle.write = write
        return handle

    monkeypatch.setattr(os, "fdopen", half_write)
    with pytest.raises(Interrupted):
        cache.put_palette(KEY, OTHER)
    monkeypatch.undo()
    assert cache.get_palette(KEY) == PALETTE
    assert leftovers(tmp_path) == []


def test_writes_leave_only_entries(tmp_path):
    cache = PaletteCache(tmp_path)
    for colours in range(1, 20):
        cache.put_palette(palette_key("0" * 64, {"colors": colours}), PALETTE)
        cache.put_blob(bytes([colours]) * 100)
    assert leftovers(tmp_path) == []
    assert len(list((tmp_path / "palettes").iterdir())) == 19


@pytest.fixture
def unwritable(tmp_path) -> Path:
    """A cache directory that cannot be created: a regular file is in the way (works even as root)."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    return blocker / "cache"


def test_unwritable_directory_raises_cache_error(unwritable):
    cache = PaletteCache(unwritable)
    with pytest.raises(CacheError, match="cannot write to the palette cache"):
        cache.put_palette(KEY, PALETTE)
    with pytest.raises(CacheError):
        cache.put_blob(b"x")
    # Reads never raise.
    assert cache.get_palette(KEY) is None
    assert cache.get_blob(content_hash(b"x")) is None
    assert cache.get_remote("https://example.org/") is None


def test_service_records_cache_error_once_and_still_returns_the_palette(unwritable, tmp_path):
    image = tmp_path / "red.png"
    image.write_bytes(png([(220, 20, 30)]))
    service = PaletteService(PaletteCache(unwritable), FetchSettings())
    first = service.from_file(image, PaletteRequest(source="red.png", colors=2))
    assert first.palette is not None and first.origin == "computed" and first.error is None
    message = service.cache_error
    assert message and "cannot write to the palette cache" in message
    second = service.from_file(image, PaletteRequest(source="red.png", colors=3))
    assert second.palette is not None
    assert service.cache_error == message


# --- issue 15 item 1: every record read back is validated -------------------------------------------------


def _palette_file(cache: PaletteCache) -> Path:
    return cache.directory / "palettes" / f"{KEY}.json"


def _stored(swatches, **extra) -> str:
    return json.dumps({"key": KEY, "engine": ENGINE_VERSION, "palette": {"swatches": swatches}, **extra})


GOOD = [
    {"hex": "#c81e28", "rgb": [200, 30, 40], "share": 0.75},
    {"hex": "#0a14fa", "rgb": [10, 20, 250], "share": 0.25},
]


@pytest.mark.parametrize(
    "text",
    [
        _stored(GOOD).replace("0.75", "NaN"),
        _stored(GOOD).replace("0.75", "Infinity"),
        _stored(GOOD).replace("0.75", "-Infinity"),
        _stored(GOOD).replace("0.75", "1e308"),
        _stored(GOOD).replace("0.75", "1e400"),
        _stored(GOOD).replace("0.75", "-0.75"),
        _stored(GOOD).replace("0.75", "4.0"),
        _stored(GOOD).replace("0.75", '"0.75"'),
        _stored(GOOD).replace("0.75", "true"),
        _stored(GOOD).replace("0.75", "0.5"),  # shares no longer sum to 1
        _stored(GOOD).replace("200", "256"),
        _stored(GOOD).replace("200", "-1"),
        _stored(GOOD).replace("200", "200.0"),
        _stored(GOOD).replace("200", "true"),
        _stored(GOOD).replace("200", "NaN"),
        _stored(GOOD).replace("200, 30, 40", "200, 30"),
        _stored(GOOD).replace("#c81e28", "#000000"),  # hex that does not match rgb
        _stored(GOOD).replace("#c81e28", "#C81E28"),
        _stored(GOOD).replace(f'"engine": "{ENGINE_VERSION}"', '"engine": "0"'),
        _stored([]),
        _stored([{"hex": "#000000", "rgb": [0, 0, 0], "share": 1 / 400}] * 400),  # more than MAX_COLORS
        _stored(GOOD).replace(KEY, "0" * 64),
        json.dumps({"key": KEY, "palette": {"swatches": GOOD}}),  # no engine version
        "[" * 100_000 + "]" * 100_000,
        '{"key": ' * 50_000,
        "",
    ],
)
def test_hostile_palette_record_is_a_miss_and_is_overwritten(tmp_path, text):
    cache = PaletteCache(tmp_path)
    cache.put_palette(KEY, PALETTE)
    assert cache.get_palette(KEY) == PALETTE
    _palette_file(cache).write_text(text)
    assert cache.get_palette(KEY) is None
    cache.put_palette(KEY, PALETTE)
    assert cache.get_palette(KEY) == PALETTE


def test_valid_hand_written_record_is_read(tmp_path):
    cache = PaletteCache(tmp_path)
    _palette_file(cache).parent.mkdir(parents=True)
    _palette_file(cache).write_text(_stored(GOOD, comment="extra keys are ignored"))
    assert cache.get_palette(KEY) == PALETTE


def test_oversized_record_is_a_miss(tmp_path):
    cache = PaletteCache(tmp_path)
    cache.put_palette(KEY, PALETTE)
    _palette_file(cache).write_text(_stored(GOOD, padding="x" * (2 << 20)))
    assert cache.get_palette(KEY) is None


def test_an_entry_is_read_whole_whatever_its_status_said(tmp_path):
    from sphinx_palette.remote.cache_store import _read_to_end

    entry = tmp_path / "entry"
    entry.write_bytes(bytes(range(256)) * 400)  # 100 kB
    fd = os.open(entry, os.O_RDONLY)
    try:
        # As if it had grown since its status was taken: read on to the end, or to one byte past the limit.
        assert _read_to_end(fd, 10, None) == entry.read_bytes()
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_to_end(fd, 10, 70_000) == entry.read_bytes()[:70_001]
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_to_end(fd, 102_400, None) == entry.read_bytes()
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_to_end(fd, 200_000, None) == entry.read_bytes()  # or shrunk
    finally:
        os.close(fd)


@pytest.mark.parametrize("checked_at", ["1e308", "-5", '"yesterday"', "NaN", "true", "null"])
def test_remote_record_with_bad_time_is_a_miss(tmp_path, checked_at):
    cache = PaletteCache(tmp_path)
    url = "https://example.org/a.png"
    digest = cache.put_blob(png([(1, 2, 3)]))
    cache.put_remote(RemoteRecord(url=url, blob=digest, checked_at=1_700_000_000.0))
    (path,) = (cache.directory / "remote").glob("*.json")
    path.write_text(path.read_text().replace("1700000000.0", checked_at))
    assert cache.get_remote(url) is None


def test_directory_in_place_of_an_entry_is_repaired_silently(tmp_path):
    cache = PaletteCache(tmp_path)
    _palette_file(cache).mkdir(parents=True)
    (_palette_file(cache) / "inner").write_text("x")
    assert cache.get_palette(KEY) is None
    cache.put_palette(KEY, PALETTE)  # no CacheError
    assert cache.get_palette(KEY) == PALETTE


def test_file_in_place_of_a_folder_is_repaired_silently(tmp_path):
    cache = PaletteCache(tmp_path)
    (tmp_path / "blobs").write_text("not a folder")
    digest = cache.put_blob(b"\x89PNG")
    assert cache.get_blob(digest) == b"\x89PNG"


def test_symlinks_and_special_files_are_misses(tmp_path):
    cache = PaletteCache(tmp_path)
    cache.put_palette(KEY, PALETTE)
    outside = tmp_path / "outside.json"
    outside.write_text(_palette_file(cache).read_text())
    _palette_file(cache).unlink()
    _palette_file(cache).symlink_to(outside)
    assert cache.get_palette(KEY) is None  # even a valid record, through a link
    digest = content_hash(b"")
    (tmp_path / "blobs").mkdir()
    os.mkfifo(tmp_path / "blobs" / digest)  # a reader that opened it would block forever
    assert cache.get_blob(digest) is None
    cache.put_palette(KEY, PALETTE)
    assert not _palette_file(cache).is_symlink() and outside.read_text() != ""
    assert cache.get_palette(KEY) == PALETTE


# --- issue 13 item 5: bounded ----------------------------------------------------------------------------


def test_a_changed_url_keeps_one_blob(tmp_path):
    cache = PaletteCache(tmp_path)
    url = "https://example.org/a.png"
    for version in range(20):
        digest = cache.put_blob(png([(version, 2, 3)]))
        cache.put_remote(RemoteRecord(url=url, blob=digest, checked_at=1_700_000_000.0 + version))
    assert len(list((tmp_path / "blobs").iterdir())) == 1
    assert cache.get_blob(cache.get_remote(url).blob) == png([(19, 2, 3)])


def test_trim_removes_least_recently_used_first(tmp_path):
    cache = PaletteCache(tmp_path)
    keys = [palette_key(content_hash(bytes([i])), {}) for i in range(6)]
    for age, key in enumerate(keys):
        cache.put_palette(key, PALETTE)
        path = tmp_path / "palettes" / f"{key}.json"
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    size = (tmp_path / "palettes" / f"{keys[0]}.json").stat().st_size
    assert cache.get_palette(keys[0]) == PALETTE  # a read makes it the most recently used
    files, freed = cache.trim(3 * size)
    assert (files, freed) == (3, 3 * size)
    assert [cache.get_palette(k) is not None for k in keys] == [True, False, False, False, True, True]


def test_trim_by_age_and_stale_temporaries(tmp_path):
    cache = PaletteCache(tmp_path)
    cache.put_palette(KEY, PALETTE)
    old = tmp_path / "palettes" / ".tmp-killed.json"
    old.write_text("{half")
    os.utime(old, (1_000_000, 1_000_000))
    fresh = tmp_path / "palettes" / ".tmp-writing.json"
    fresh.write_text("{half")
    assert cache.trim(older_than=3600) == (1, 5)
    assert not old.exists() and fresh.exists()  # another build may be writing that one right now
    assert cache.get_palette(KEY) == PALETTE
    os.utime(_palette_file(cache), (1_000_000, 1_000_000))
    cache.trim(older_than=3600)
    assert cache.get_palette(KEY) is None


# --- issue 15 item 4: only images are cached --------------------------------------------------------------


def test_only_images_and_json_documents_are_cacheable():
    assert is_cacheable(png([(1, 2, 3)]))
    assert is_cacheable(b' {"@context": "http://iiif.io/api/presentation/3/context.json"}')
    assert not is_cacheable(b"<!doctype html><html><body>Not found</body></html>")
    assert not is_cacheable(b"\x00" * 4096)
    assert not is_cacheable(b"{not json")
    assert not is_cacheable(b"")


def test_a_non_image_body_is_never_written_to_the_blob_store(http_server, tmp_path):
    from tests.httpserver import Response

    http_server.route(
        "/a.png", Response(body=b"<html>login</html>" * 100, headers={"Content-Type": "image/png"})
    )
    service = PaletteService(PaletteCache(tmp_path), FetchSettings(timeout=5))
    url = http_server.url("/a.png")
    result = service.from_url(url, PaletteRequest(url))
    assert result.palette is None
    assert not (tmp_path / "blobs").exists() or list((tmp_path / "blobs").iterdir()) == []
    assert not (tmp_path / "remote").exists() or list((tmp_path / "remote").iterdir()) == []
