"""The cache remembers local images' hashes by file status, so a warm build does not read them again, and
never misses a change: new content of the same size with the modification time set back, a file replaced,
a file written just before it was read."""

from __future__ import annotations

import json
import os
import pathlib
import struct
import time
import zlib

import pytest

from sphinx_palette.remote import file_memo, service
from sphinx_palette.remote.cache import CacheError, PaletteCache
from sphinx_palette.remote.fetch import FetchSettings
from sphinx_palette.remote.service import PaletteRequest, PaletteService

from .httpserver import Response
from .remote_helpers import png, top_hex

RED, BLUE = (200, 30, 30), (30, 30, 200)


def padded(data: bytes, total: int) -> bytes:
    """The PNG ``data`` grown to ``total`` bytes by a ``tEXt`` chunk (same pixels)."""
    payload = b"Comment\x00" + b"x" * (total - len(data) - 12 - 8)
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload) & 0xFFFFFFFF)
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk + data[end:]


def same_size(*images: bytes) -> list[bytes]:
    total = max(len(image) for image in images) + 40
    return [padded(image, total) for image in images]


@pytest.fixture
def reads(monkeypatch):
    """The local image files read, by path, from now on."""
    seen: list[str] = []
    original = pathlib.Path.read_bytes

    def read_bytes(self: pathlib.Path) -> bytes:
        seen.append(str(self))
        return original(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    return seen


@pytest.fixture
def quick(monkeypatch):
    """Files count as settled 50 ms after they were written (instead of `RACY_SECONDS`)."""
    monkeypatch.setattr(file_memo, "RACY_SECONDS", 0.05)

    def settle() -> None:
        time.sleep(0.1)

    return settle


def make_service(tmp_path) -> PaletteService:
    return PaletteService(PaletteCache(tmp_path / "cache"), FetchSettings(), offline=True)


def request_for(path) -> PaletteRequest:
    return PaletteRequest(source=os.path.basename(path), colors=2)


def test_an_unchanged_file_is_not_read_again(tmp_path, reads, quick):
    image = tmp_path / "red.png"
    image.write_bytes(png([RED]))
    quick()
    first = make_service(tmp_path).from_file(image, request_for(image))
    assert first.origin == "computed" and top_hex(first) == "#c81e1e"
    assert reads == [str(image)]
    assert len(list((tmp_path / "cache" / "files").iterdir())) == 1

    again = make_service(tmp_path).from_file(image, request_for(image))
    assert reads == [str(image)]  # the palette came from the cache, the file was not read
    assert (again.origin, again.palette, again.width, again.height) == ("cache", first.palette, 64, 64)


def test_new_content_of_the_same_size_and_time_is_seen(tmp_path, reads, quick):
    red, blue = same_size(png([RED]), png([BLUE]))
    image = tmp_path / "image.png"
    image.write_bytes(red)
    quick()
    assert top_hex(make_service(tmp_path).from_file(image, request_for(image))) == "#c81e1e"
    before = image.stat()

    # Rewritten in place, the modification time set back (as `cp -p` or `rsync -t` do): only the status
    # change time tells.
    image.write_bytes(blue)
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = image.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ino == before.st_ino

    result = make_service(tmp_path).from_file(image, request_for(image))
    assert top_hex(result) == "#1e1ec8"
    assert reads == [str(image)] * 2


def test_a_file_replaced_by_another_is_seen(tmp_path, quick):
    red, blue = same_size(png([RED]), png([BLUE]))
    image, other = tmp_path / "image.png", tmp_path / "other.png"
    image.write_bytes(red)
    other.write_bytes(blue)
    quick()
    assert top_hex(make_service(tmp_path).from_file(image, request_for(image))) == "#c81e1e"
    times = image.stat()
    os.utime(other, ns=(times.st_atime_ns, times.st_mtime_ns))
    os.replace(other, image)
    assert top_hex(make_service(tmp_path).from_file(image, request_for(image))) == "#1e1ec8"


def test_a_file_written_just_before_it_is_read_is_not_remembered(tmp_path, reads):
    # Within `RACY_SECONDS` of its last change a file could change again in the same clock tick unseen.
    image = tmp_path / "red.png"
    image.write_bytes(png([RED]))
    for _ in range(2):
        assert make_service(tmp_path).from_file(image, request_for(image)).palette is not None
    assert not (tmp_path / "cache" / "files").exists()
    assert reads == [str(image)] * 2


def test_a_file_changing_while_read_is_not_remembered(tmp_path):
    image = tmp_path / "red.png"
    image.write_bytes(png([RED]))
    before = image.stat()
    facts = file_memo.ImageFacts("0" * 64, 64, 64)
    later = time.time() + 60
    assert file_memo.record_of(str(image), before, before, facts, now=later) is not None
    image.write_bytes(png([BLUE]))
    assert file_memo.record_of(str(image), before, image.stat(), facts, now=later) is None


def test_a_cache_that_cannot_remember_files_says_nothing(tmp_path, reads, quick, monkeypatch):
    # Remembering only saves a read: a cache whose palettes can be read but that takes no new entries (a
    # shared one mounted read-only) must not make a warm build warn.
    image = tmp_path / "red.png"
    image.write_bytes(png([RED]))
    quick()
    make_service(tmp_path).from_file(image, request_for(image))
    (tmp_path / "cache" / "files").rename(tmp_path / "elsewhere")

    def refuse(self, kind, name, data):
        raise CacheError("cannot write to the palette cache: read-only file system")

    monkeypatch.setattr(type(PaletteCache(tmp_path).store), "write", refuse)
    warm = make_service(tmp_path)
    result = warm.from_file(image, request_for(image))
    assert (result.origin, top_hex(result), warm.cache_error) == ("cache", "#c81e1e", None)
    assert reads == [str(image)] * 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: {**entry, "sha256": "not a digest"},
        lambda entry: {**entry, "size": str(entry["size"])},
        lambda entry: {**entry, "path": entry["path"] + "x"},
        lambda entry: {**entry, "width": -1},
        lambda entry: {**entry, "extra": 1},
        lambda entry: [entry],
    ],
)
def test_a_damaged_entry_is_a_miss(tmp_path, reads, quick, damage):
    image = tmp_path / "red.png"
    image.write_bytes(png([RED]))
    quick()
    make_service(tmp_path).from_file(image, request_for(image))
    (entry_file,) = (tmp_path / "cache" / "files").iterdir()
    entry_file.write_text(json.dumps(damage(json.loads(entry_file.read_text()))))
    assert PaletteCache(tmp_path / "cache").file_facts(image) is None
    assert top_hex(make_service(tmp_path).from_file(image, request_for(image))) == "#c81e1e"
    assert reads == [str(image)] * 2


def test_a_cached_remote_image_is_hashed_once(tmp_path, http_server, monkeypatch):
    http_server.route("/red.png", Response(body=png([RED]), headers={"ETag": '"1"'}))
    url = http_server.url("/red.png")
    cache = PaletteCache(tmp_path / "cache")
    assert top_hex(PaletteService(cache, FetchSettings()).from_url(url, PaletteRequest(url))) == "#c81e1e"

    hashed: list[int] = []
    original = service.content_hash
    monkeypatch.setattr(service, "content_hash", lambda data: hashed.append(len(data)) or original(data))
    warm = PaletteService(cache, FetchSettings()).from_url(url, PaletteRequest(url))
    assert (warm.origin, top_hex(warm), warm.width, warm.height) == ("cache", "#c81e1e", 64, 64)
    assert hashed == []  # the cached copy was checked against its hash when read, and only then
    assert len(http_server.requests) == 1


def test_a_warm_sphinx_build_reads_no_image_and_sees_a_changed_one(make_app, tmp_path, reads, quick):
    red, blue = same_size(png([RED]), png([BLUE]))
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
    (src / "index.rst").write_text("Page\n====\n\n.. palette:: a.png\n   :colors: 2\n", encoding="utf-8")
    image = src / "a.png"
    image.write_bytes(red)
    quick()
    cache = str(tmp_path / "cache")

    def build() -> str:
        # Palettes computed in this process: a pool's processes would read the image out of `reads`' sight.
        overrides = {"palette_cache_dir": cache, "palette_workers": 1}
        app = make_app("html", srcdir=src, confoverrides=overrides, freshenv=True)
        app.build(force_all=True)
        return (app.outdir / "index.html").read_text(encoding="utf-8")

    cold = build()
    assert "#c81e1e" in cold and reads.count(str(image)) == 1
    assert build() == cold and reads.count(str(image)) == 1  # warm: from the cache, the image not read

    before = image.stat()
    image.write_bytes(blue)
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))
    changed = build()
    assert "#1e1ec8" in changed and "#c81e1e" not in changed and reads.count(str(image)) == 2
