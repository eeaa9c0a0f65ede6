"""The palette cache in object storage (fsspec; the in-memory file system stands in for a bucket)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from sphinx_palette.cli import main
from sphinx_palette.engine import ENGINE_VERSION
from sphinx_palette.remote.cache import CacheError, PaletteCache, RemoteRecord, content_hash, palette_key
from tests.remote_helpers import png
from tests.test_cache import KEY, PALETTE


@pytest.fixture
def bucket_url(request) -> Iterator[str]:
    """A fresh ``memory://`` prefix: fsspec's in-memory file system, which behaves as an object store."""
    fsspec = pytest.importorskip("fsspec")
    url = f"memory://palette-tests/{request.node.name}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url.removeprefix("memory://")):
        fs.rm(url.removeprefix("memory://"), recursive=True)


def test_object_store_round_trips_with_the_layout_of_a_directory(bucket_url, tmp_path):
    import fsspec

    url = "https://example.org/a.png"
    for location in (bucket_url, tmp_path):
        cache = PaletteCache(location)
        cache.put_palette(KEY, PALETTE)
        digest = cache.put_blob(png([(1, 2, 3)]))
        cache.put_remote(RemoteRecord(url=url, blob=digest, checked_at=1_700_000_000.0, etag='"v1"'))
        again = PaletteCache(location)
        assert again.get_palette(KEY) == PALETTE
        assert again.get_blob(digest) == png([(1, 2, 3)])
        assert again.get_remote(url) == RemoteRecord(url, digest, 1_700_000_000.0, '"v1"')
    fs = fsspec.filesystem("memory")
    root = bucket_url.removeprefix("memory://")
    in_bucket = {p.removeprefix(f"/{root}/"): fs.cat_file(p) for p in fs.find(root)}
    on_disk = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert in_bucket == on_disk  # the same names and the same bytes: one layout, wherever it is kept


def test_object_store_entries_are_checked_as_on_disk(bucket_url):
    cache = PaletteCache(bucket_url)
    forged = {"key": KEY, "engine": ENGINE_VERSION, "palette": {"swatches": [{"rgb": [1, 2, 3],
              "share": 1.0, "hex": "#ffffff"}]}}  # fmt: skip
    cache.store.write("palettes", f"{KEY}.json", json.dumps(forged).encode())
    assert cache.get_palette(KEY) is None
    digest = content_hash(b"the right bytes")
    cache.store.write("blobs", digest, b"other bytes")
    assert cache.get_blob(digest) is None
    cache.store.write("palettes", f"{KEY}.json", b" " * (2 << 20))
    assert cache.get_palette(KEY) is None
    cache.put_palette(KEY, PALETTE)  # the next write replaces what was there
    assert cache.get_palette(KEY) == PALETTE


def test_object_store_trim_removes_the_least_recently_written(bucket_url, monkeypatch):
    import time as time_module

    cache = PaletteCache(bucket_url)
    keys = [palette_key(content_hash(bytes([i])), {}) for i in range(4)]
    for key in keys:
        cache.put_palette(key, PALETTE)
        time_module.sleep(0.01)
    assert cache.get_palette(keys[0]) == PALETTE  # a read does not make it recent in object storage
    size = cache.entries()[0].size
    assert cache.trim(2 * size) == (2, 2 * size)
    assert [cache.get_palette(k) is not None for k in keys] == [False, False, True, True]
    assert main(["cache", "info", bucket_url]) == 0
    assert main(["cache", "prune", bucket_url, "--max-size", "0"]) == 0
    assert cache.entries() == []


def test_a_store_that_cannot_be_used_is_a_miss_and_a_clear_cache_error(capsys):
    pytest.importorskip("fsspec")
    for url, reason in (("nosuchfs://bucket/cache", "nosuchfs"), ("https://127.0.0.1:9/cache", "http(s)")):
        cache = PaletteCache(url)
        assert cache.get_palette(KEY) is None
        with pytest.raises(CacheError, match=re.escape(reason)):
            cache.put_palette(KEY, PALETTE)
        assert main(["cache", "info", url]) == 1
        assert reason in capsys.readouterr().err


def test_a_build_whose_object_store_cannot_be_used_warns_once_and_renders(tmp_path):
    import subprocess
    import sys

    pytest.importorskip("fsspec")
    src = tmp_path / "src"
    src.mkdir()
    for number in range(3):
        (src / f"{number}.png").write_bytes(png([(60 * number, 90, 200)]))
    (src / "conf.py").write_text(
        "extensions = ['sphinx_palette']\npalette_cache_dir = 'nosuchfs://b/cache'\n"
    )
    body = "\n\n".join(f".. palette:: {number}.png" for number in range(3))
    (src / "index.rst").write_text(f"Palettes\n========\n\n{body}\n")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "--no-color", str(src), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert build.stderr.count("[palette.cache]") == 1, build.stderr
    assert "nosuchfs://b/cache" in build.stderr
    assert "3 palettes (3 computed, 0 from cache, 0 failed)" in build.stdout
    assert (tmp_path / "html" / "index.html").read_text().count("#3c5ac8") >= 1
