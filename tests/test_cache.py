"""sphinx_palette.remote.cache: round trips, corrupt entries are misses, atomic writes, unwritable dirs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sphinx_palette.engine import Palette, Swatch
from sphinx_palette.remote.cache import CacheError, PaletteCache, RemoteRecord, content_hash, palette_key
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
