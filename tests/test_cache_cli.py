"""``sphinx-palette cache info|prune``: the real command line on a real cache directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sphinx_palette.cli import main
from sphinx_palette.cli.cache import duration, size
from sphinx_palette.engine import Palette, Swatch
from sphinx_palette.remote.cache import PaletteCache, RemoteRecord, content_hash, palette_key
from tests.remote_helpers import png

PALETTE = Palette((Swatch((200, 30, 40), 0.75), Swatch((10, 20, 250), 0.25)))
OLD = 1_000_000_000  # 2001: "not used for a long time"


@pytest.fixture
def cache(tmp_path):
    """A cache with 10 palettes (5 of them old), one download and its URL record."""
    cache = PaletteCache(tmp_path / "cache")
    for i in range(10):
        key = palette_key(content_hash(bytes([i])), {})
        cache.put_palette(key, PALETTE)
        if i < 5:
            os.utime(cache.directory / "palettes" / f"{key}.json", (OLD + i, OLD + i))
    digest = cache.put_blob(png([(1, 2, 3)]))
    cache.put_remote(RemoteRecord(url="https://e.org/a.png?token=s3cr3t", blob=digest, checked_at=1.7e9))
    return cache


def test_info_counts_by_kind(cache, capsys):
    assert main(["cache", "info", str(cache.directory), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {k: v["files"] for k, v in figures["kinds"].items()} == {
        "palettes": 10,
        "blobs": 1,
        "remote": 1,
        "derivatives": 0,
        "files": 0,
    }
    assert figures["bytes"] == sum(p.stat().st_size for p in cache.directory.rglob("*") if p.is_file())
    assert figures["oldest_use"] == OLD
    assert main(["cache", "info", str(cache.directory)]) == 0
    text = capsys.readouterr().out
    assert "palettes" in text and "downloads" in text and "total" in text and "2001-09-09" in text


def test_prune_older_than(cache, capsys):
    assert main(["cache", "prune", str(cache.directory), "--older-than", "30d"]) == 0
    assert capsys.readouterr().out.startswith("removed 5 files")
    assert len(list((cache.directory / "palettes").iterdir())) == 5


def test_prune_max_size_keeps_the_most_recently_used(cache):
    blob = next((cache.directory / "blobs").iterdir())
    record = next((cache.directory / "remote").iterdir())
    limit = blob.stat().st_size + record.stat().st_size
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx_palette",
            "cache",
            "prune",
            str(cache.directory),
            "--max-size",
            str(limit),
        ],
        check=True,
        capture_output=True,
    )
    left = sorted(p.name for p in cache.directory.rglob("*") if p.is_file())
    assert left == sorted([blob.name, record.name])


def test_missing_directory_is_an_error(tmp_path, capsys):
    assert main(["cache", "info", str(tmp_path / "nowhere")]) == 1
    assert "no palette cache" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "seconds"), [("30d", 30 * 86400), ("12h", 43200), ("90m", 5400), ("2w", 1209600)]
)
def test_durations(text, seconds):
    assert duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "value"), [("500MB", 500_000_000), ("800MiB", 800 << 20), ("2G", 2 * 10**9), ("123", 123)]
)
def test_sizes(text, value):
    assert size(text) == value


@pytest.mark.parametrize(
    "argument", ["--older-than=30", "--older-than=soon", "--max-size=5x", "--max-size=-1"]
)
def test_bad_values_are_usage_errors(cache, argument, capsys):
    with pytest.raises(SystemExit) as info:
        main(["cache", "prune", str(cache.directory), argument])
    assert info.value.code == 2
    assert "write it as" in capsys.readouterr().err
