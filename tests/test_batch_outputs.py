"""Batch outputs and collection walking, without servers: whole rows, repair, resume keys, streaming."""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import pytest

from sphinx_palette.batch.outputs import OutputError, open_output, read_rows
from sphinx_palette.batch.progress import Progress
from sphinx_palette.batch.rows import LEGACY_FIELDS, csv_header, csv_values, key_of
from sphinx_palette.remote.collections import walk
from sphinx_palette.remote.iiif import IIIFError


def row(number: int) -> dict:
    return {
        "source": f"https://example.org/m/{number}.json",
        "collection": "https://example.org/c.json",
        "manifest": f"https://example.org/m/{number}.json",
        "canvas": 1,
        "label": f"Item {number}, with a comma\nand a line break",
        "image_url": f"https://example.org/i/{number}.jpg",
        "width": 512,
        "height": 384,
        "swatches": [
            {"hex": "#2b3a55", "rgb": [43, 58, 85], "share": 0.6, "name": "darkslategray", "family": "blue"},
            {"hex": "#ffffff", "rgb": [255, 255, 255], "share": 0.4, "name": "white", "family": "white"},
        ],
        "engine_version": "5",
        "error": None,
        "notices": [
            {"subtype": "option", "message": ":region: 0,0,600,30 reaches outside; the palette is of a part"},
            {"subtype": "image", "message": "a second notice"},
        ],
    }


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_twenty_thousand_rows_stream_in_and_out(tmp_path: Path, suffix: str) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    path = tmp_path / f"rows{suffix}"
    tracemalloc.start()
    output = open_output(path, colors=5)
    for number in range(20_000):
        output.write(row(number))
    output.close()
    reopened = open_output(path, colors=5)
    reopened.close()
    count = sum(1 for _ in read_rows(path, 5))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 20_000 and len(reopened.done) == 20_000
    # The keys of 20,000 rows are held (to skip them), never the rows: far below 20,000 rows' size.
    assert peak < 16 * 2**20, peak
    first = next(iter(read_rows(path, 5)))
    expected = row(0) | {"label": "Item 0, with a comma and a line break"} if suffix == ".csv" else row(0)
    assert first == expected


def test_a_half_written_row_is_cut_and_its_key_not_done(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    lines = [json.dumps(row(n)) + "\n" for n in range(3)]
    path.write_text("".join(lines) + lines[0][:25])
    output = open_output(path, colors=5)
    output.write(row(3))
    output.close()
    assert [key_of(r) for r in read_rows(path, 5)] == [key_of(row(n)) for n in range(4)]


def test_csv_of_other_columns_and_unknown_suffix_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(",".join(csv_header(3)) + "\n")
    with pytest.raises(OutputError, match="--colors 5"):
        open_output(path, colors=5)
    with pytest.raises(OutputError, match="jsonl"):
        open_output(tmp_path / "rows.xlsx", colors=5)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n")
    with pytest.raises(OutputError, match="line 1"):
        open_output(bad, colors=5)


def test_walk_reads_2_1_members_bare_urls_pages_and_stops_cycles() -> None:
    documents = {
        "top": {
            "@type": "sc:Collection",
            "manifests": ["m1", {"@id": "m2", "@type": "sc:Manifest", "label": "Two"}],
            "collections": ["sub"],
            "first": {"@id": "page1"},
        },
        "sub": {
            "@type": "sc:Collection",
            "members": [{"@id": "m3", "@type": "sc:Manifest"}, {"@id": "top", "@type": "sc:Collection"}],
        },
        "page1": {
            "@type": "sc:Collection",
            "manifests": [{"@id": "m4", "@type": "sc:Manifest"}],
            "next": "page2",
        },
        "page2": {
            "@type": "sc:Collection",
            "manifests": [{"@id": "m5", "@type": "sc:Manifest"}],
            "next": "page1",
        },
    }

    def get_json(url: str) -> object:
        if url not in documents:
            raise IIIFError(f"{url}: 404")
        return documents[url]

    items = list(walk("top", get_json))
    assert [(i.manifest, i.collection) for i in items] == [
        ("m3", "sub"),  # a collection's collections, then its manifests, then its pages
        ("m1", "top"),
        ("m2", "top"),
        ("m4", "top"),
        ("m5", "top"),
    ]
    assert items[2].label == "Two"
    broken = list(walk("nowhere", get_json))
    assert [(i.manifest, i.error) for i in broken] == [(None, "nowhere: 404")]


def test_progress_lines_say_rate_and_time_left() -> None:
    class Stream:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    now = [0.0]
    stream = Stream()
    progress = Progress(stream, "lines", interval=10, clock=lambda: now[0])  # type: ignore[arg-type]
    progress.start(100)
    for _ in range(25):
        now[0] += 0.5
        progress.advance()
    assert stream.text.splitlines() == ["20/100 images (20%), 2.0/s, about 40.0 s left"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_outputs_written_before_notices_are_read_and_resumed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"old{suffix}"
    old = {name: value for name, value in row(0).items() if name != "notices"}
    if suffix == ".jsonl":
        path.write_text(json.dumps(old) + "\n")
    elif suffix == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerows([csv_header(5, LEGACY_FIELDS), csv_values(old, 5, LEGACY_FIELDS)])
    else:
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        pq.write_table(pa.Table.from_pylist([old]), path)
    output = open_output(path, colors=5)
    assert output.done == {key_of(old)}
    output.write(row(1))
    output.close()
    first, second = read_rows(path, 5)
    assert first["notices"] == [] and key_of(first) == key_of(old)
    # A CSV keeps the columns it was started with; the other formats keep the new row's notices.
    assert second["notices"] == ([] if suffix == ".csv" else row(1)["notices"])
