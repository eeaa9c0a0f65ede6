"""``sphinx-palette batch`` end to end: IIIF collections (nested 3.0, paged 2.1, broken), files, lists,
outputs, resuming, progress and the exit status, against servers the tests start on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from sphinx_palette import cli, extract_palette
from sphinx_palette.batch.outputs import read_rows
from tests.batch_site import IIIFSite
from tests.httpserver import LocalHTTPServer, Response, make_server
from tests.remote_helpers import png
from tests.test_trust_limits import big_gif

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
ROW = json.loads((SCHEMAS / "batch-row.schema.json").read_text(encoding="utf-8"))
SITE_SCHEMA = json.loads((SCHEMAS / "palettes.schema.json").read_text(encoding="utf-8"))
REGISTRY = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (ROW, SITE_SCHEMA)])
# The shared datasets sit beside the checkout (../shared), as in every clone of this project.
CQ100 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cq100" / "img"


@pytest.fixture
def site(http_server: LocalHTTPServer) -> IIIFSite:
    return IIIFSite(http_server)


def batch(*args: str | Path, cache: Path) -> int:
    return cli.main(
        ["batch", *map(str, args), "--cache-dir", str(cache), "--progress", "none", "--workers", "1"]
    )


def rows_of(path: Path, colors: int = 5) -> list[dict]:
    return list(read_rows(path, colors))


def validate(rows: list[dict]) -> None:
    validator = jsonschema.Draft202012Validator(ROW, registry=REGISTRY)
    for row in rows:
        validator.validate(row)


def test_nested_3_collection_gives_one_row_per_manifest(site: IIIFSite, tmp_path: Path, capsys) -> None:
    top = site.nested3()
    out = tmp_path / "rows.jsonl"
    assert batch(top, "--out", out, cache=tmp_path / "cache") == 0
    rows = rows_of(out)
    validate(rows)
    assert len(rows) == 300
    assert sorted(r["manifest"] for r in rows) == sorted(site.manifests)
    assert all(r["error"] is None and r["canvas"] == 1 and len(r["swatches"]) >= 1 for r in rows)
    first = next(r for r in rows if r["manifest"].endswith("/m3/0.json"))
    assert first["label"] == "Item 0" and first["collection"].endswith("/c3/0/0.json")
    assert first["image_url"].endswith("/images/0.png") and (first["width"], first["height"]) == (64, 64)
    assert first["swatches"][0]["hex"] == "#dc141e"
    assert "300 images: " in capsys.readouterr().err


def test_paged_2_collection_gives_one_row_per_manifest(site: IIIFSite, tmp_path: Path) -> None:
    top = site.paged2()
    out = tmp_path / "rows.csv"
    assert batch(top, "--out", out, cache=tmp_path / "cache") == 0
    rows = rows_of(out)
    assert len(rows) == 200 and all(r["error"] is None for r in rows)
    assert {r["collection"] for r in rows} == {top}
    with out.open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header[-4:] == ["hex_5", "share_5", "name_5", "family_5"] and "swatches" not in header


def test_broken_manifests_are_rows_with_errors_and_exit_1(site: IIIFSite, tmp_path: Path, capsys) -> None:
    out = tmp_path / "rows.jsonl"
    assert batch(site.broken(), "--out", out, cache=tmp_path / "cache") == 1
    rows = {r["source"].rsplit("/", 1)[-1]: r for r in rows_of(out)}
    validate(list(rows.values()))
    assert rows["9000.json"]["error"] is None and rows["9001.json"]["error"] is None
    assert "404" in rows["missing.json"]["error"]
    assert "JSON" in rows["invalid.json"]["error"]
    assert "canvas" in rows["empty.json"]["error"]
    assert "404" in rows["gone-collection.json"]["error"] and rows["gone-collection.json"]["manifest"] is None
    err = capsys.readouterr().err
    assert "6 images: " in err and "4 failed" in err and "4 rows of" in err


def test_all_canvases_of_a_manifest(site: IIIFSite, tmp_path: Path) -> None:
    manifest = site.manifest3(7, canvases=3)
    out = tmp_path / "rows.jsonl"
    assert batch(manifest, "--out", out, "--canvases", "all", cache=tmp_path / "cache") == 0
    rows = sorted(rows_of(out), key=lambda r: r["canvas"])
    assert [(r["canvas"], r["label"]) for r in rows] == [(1, "page 1"), (2, "page 2"), (3, "page 3")]
    assert rows[1]["image_url"].endswith("/images/1007.png")


def test_files_directories_globs_and_lists(tmp_path: Path) -> None:
    images = tmp_path / "images"
    (images / "sub").mkdir(parents=True)
    for name, colour in (("a.png", (200, 0, 0)), ("b.png", (0, 200, 0)), ("sub/c.png", (0, 0, 200))):
        (images / name).write_bytes(png([colour]))
    (images / "notes.txt").write_text("not an image")
    (tmp_path / "list.txt").write_text("# images\nimages/a.png\n\nimages/missing.png\n")
    (tmp_path / "list.csv").write_text("id,path\n1,images/sub/c.png\n")
    out = tmp_path / "rows.jsonl"
    status = batch(images, str(images / "*.png"), f"@{tmp_path / 'list.txt'}", tmp_path / "list.csv",
                   "--column", "path", "--out", out, cache=tmp_path / "cache")  # fmt: skip
    assert status == 1
    rows = {Path(r["source"]).name: r for r in rows_of(out)}
    assert sorted(rows) == ["a.png", "b.png", "c.png", "missing.png"]  # each image once
    assert "not found" in rows["missing.png"]["error"]
    assert rows["c.png"]["swatches"][0]["hex"] == "#0000c8"


def test_parquet_output_and_resume(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    for number in range(4):
        (tmp_path / f"{number}.png").write_bytes(png([(60 * number, 10, 10)]))
    out = tmp_path / "rows.parquet"
    assert batch(tmp_path / "0.png", tmp_path / "1.png", "--out", out, cache=tmp_path / "cache") == 0
    assert not (tmp_path / "rows.parquet.rows.jsonl").exists()
    assert batch(str(tmp_path / "*.png"), "--out", out, cache=tmp_path / "cache") == 0
    rows = rows_of(out)
    validate(rows)
    assert sorted(Path(r["source"]).name for r in rows) == ["0.png", "1.png", "2.png", "3.png"]


def test_resume_cuts_a_half_written_row_and_computes_nothing_twice(
    site: IIIFSite, tmp_path: Path, capsys
) -> None:
    top = site.paged2(total=40, per_page=10)
    whole, cut = tmp_path / "whole.jsonl", tmp_path / "cut.jsonl"
    assert batch(top, "--out", whole, cache=tmp_path / "cache-a") == 0
    first = capsys.readouterr().err
    lines = whole.read_bytes().splitlines(keepends=True)
    cut.write_bytes(b"".join(lines[:15]) + lines[15][:40])  # a crash in the middle of row 16
    shutil.copytree(tmp_path / "cache-a", tmp_path / "cache-b")
    assert batch(top, "--out", cut, cache=tmp_path / "cache-b") == 0
    second = capsys.readouterr().err
    assert "25 images: 0 computed, 25 from cache" in second and "(15 already in the output)" in second
    assert "40 images: " in first and " 0 failed" in first
    key = lambda r: (r["source"], r["canvas"])  # noqa: E731
    assert sorted(rows_of(cut), key=key) == sorted(rows_of(whole), key=key)


@pytest.mark.slow
def test_killed_batch_resumes_to_the_same_rows(tmp_path: Path) -> None:
    """A batch killed with SIGKILL halfway, then rerun, writes the rows of an uninterrupted run; every
    distinct image is computed once over both runs."""
    server = make_server()
    try:
        site = IIIFSite(server)
        paths = [f"/slow/{n}.png" for n in range(24)]
        for number, path in enumerate(paths):
            body = png([(10 * number, 255 - 10 * number, 40)])
            server.route(path, Response(headers={"Content-Type": "image/png"}, body=body, delay=0.15))
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(site.url(p) for p in paths))
        command = [sys.executable, "-m", "sphinx_palette", "batch", f"@{listing}", "--workers", "1",
                   "--fetch-workers", "1", "--progress", "none"]  # fmt: skip
        out = tmp_path / "killed.jsonl"
        process = subprocess.Popen([*command, "--out", str(out), "--cache-dir", str(tmp_path / "c1")])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.read_bytes().count(b"\n") < 8):
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        written = out.read_bytes().count(b"\n")
        assert 8 <= written < 24
        resumed = subprocess.run([*command, "--out", str(out), "--cache-dir", str(tmp_path / "c1")],
                                 capture_output=True, text=True, check=True)  # fmt: skip
        whole = tmp_path / "whole.jsonl"
        subprocess.run([*command, "--out", str(whole), "--cache-dir", str(tmp_path / "c2")], check=True,
                       capture_output=True)  # fmt: skip
    finally:
        server.stop()
    key = lambda r: r["source"]  # noqa: E731
    assert sorted(rows_of(out), key=key) == sorted(rows_of(whole), key=key)
    computed = int(resumed.stderr.split(" computed")[0].rsplit(" ", 1)[-1])
    fetched = [r.path for r in server.requests if r.path.startswith("/slow/")]
    assert computed <= 24 - written  # what the first run computed is never computed again
    # Once per cache, plus at most the one request in flight when the first run was killed.
    assert 48 <= len(fetched) <= 49 and len(set(fetched)) == 24


def test_slow_host_is_fetched_politely_and_concurrently(tmp_path: Path) -> None:
    server = make_server()
    try:
        active = {"now": 0, "peak": 0}
        import threading

        lock = threading.Lock()

        def slow(request):
            with lock:
                active["now"] += 1
                active["peak"] = max(active["peak"], active["now"])
            time.sleep(0.2)
            with lock:
                active["now"] -= 1
            number = int(request.path.rsplit("/", 1)[-1].split(".")[0])
            return Response(headers={"Content-Type": "image/png"}, body=png([(number * 9, 30, 30)]))

        urls = []
        for number in range(16):
            server.route(f"/s/{number}.png", slow)
            urls.append(server.url(f"/s/{number}.png"))
        out = tmp_path / "rows.jsonl"
        args: list[str | Path] = [*urls, "--out", out, "--fetch-workers", "8", "--per-host", "3"]
        assert batch(*args, cache=tmp_path / "cache") == 0
    finally:
        server.stop()
    assert len(rows_of(out)) == 16
    assert active["peak"] == 3


def test_progress_lines_and_usage_errors(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.png").write_bytes(png([(1, 2, 3)]))
    out = str(tmp_path / "o.jsonl")
    status = cli.main(
        [
            "batch",
            str(tmp_path / "a.png"),
            "--out",
            out,
            "--cache-dir",
            str(tmp_path / "c"),
            "--progress",
            "lines",
        ]
    )
    err = capsys.readouterr().err
    assert (
        status == 0
        and "1/1 images (100%)" in err
        and "1 images: 1 computed, 0 from cache, 0 failed in" in err
    )
    assert batch(tmp_path / "a.png", "--out", tmp_path / "o.txt", cache=tmp_path / "c") == 2
    assert "name it .jsonl, .csv or .parquet" in capsys.readouterr().err
    csv_out = tmp_path / "o.csv"
    assert batch(tmp_path / "a.png", "--out", csv_out, cache=tmp_path / "c") == 0
    assert batch(tmp_path / "a.png", "--out", csv_out, "--colors", "3", cache=tmp_path / "c") == 2
    assert "--colors" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not CQ100.is_dir(), reason="needs the CQ100 dataset")
def test_site_build_after_the_batch_computes_nothing(tmp_path: Path) -> None:
    names = sorted(p.name for p in CQ100.glob("*.png"))[:4]
    src = tmp_path / "src"
    src.mkdir()
    for name in names:
        shutil.copy(CQ100 / name, src / name)
    cache = tmp_path / "cache"
    assert batch(*(src / n for n in names), "--out", tmp_path / "rows.jsonl", cache=cache) == 0
    (src / "conf.py").write_text(f"extensions = ['sphinx_palette']\npalette_cache_dir = {str(cache)!r}\n")
    body = "\n\n".join(f".. palette:: {name}" for name in names)
    (src / "index.rst").write_text(f"Palettes\n========\n\n{body}\n")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(tmp_path / "out")],
        capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert html.count("palette-swatch") >= 4 * 5 or "#" in html
    verbose = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-E", str(src), str(tmp_path / "out2")],
        capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert f"{len(names)} palettes (0 computed, {len(names)} from cache, 0 failed)" in verbose.stdout


def test_default_cache_is_the_sphinx_projects_beside_conf_py(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "conf.py").write_text("extensions = ['sphinx_palette']\n")
    (tmp_path / "a.png").write_bytes(png([(9, 99, 199)]))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["batch", "a.png", "--out", "rows.jsonl", "--progress", "none", "--workers", "1"]) == 0
    assert list((tmp_path / ".palette-cache" / "palettes").glob("*.json"))


@pytest.mark.parametrize("emphasis", ["coverage", "vivid"])
def test_emphasis_is_the_engines(tmp_path: Path, emphasis: str) -> None:
    image = Path(__file__).resolve().parent.parent / "example_site" / "images" / "macaws.jpg"
    out = tmp_path / "rows.jsonl"
    assert batch(image, "--emphasis", emphasis, "--out", out, cache=tmp_path / "cache") == 0
    (row,) = rows_of(out)
    expected = extract_palette(image, 5, emphasis=emphasis)
    assert [s["hex"] for s in row["swatches"]] == list(expected.hexes)


def test_decode_budget_reaches_the_service(tmp_path: Path, capsys) -> None:
    (tmp_path / "big.gif").write_bytes(big_gif())
    (tmp_path / "small.png").write_bytes(png([(200, 10, 10)]))
    out = tmp_path / "rows.jsonl"
    sources = (tmp_path / "big.gif", tmp_path / "small.png")
    status = batch(*sources, "--decode-budget", str(16 * 2**20), "--out", out, cache=tmp_path / "cache")
    assert status == 1
    rows = {Path(r["source"]).name: r for r in rows_of(out)}
    validate(list(rows.values()))
    error = rows["big.gif"]["error"]
    assert "decoding the 3000×3000 image would take about" in error and "decode budget of 16 MiB" in error
    assert rows["small.png"]["error"] is None
    # The default budget takes the same image.
    assert batch(tmp_path / "big.gif", "--out", tmp_path / "default.jsonl", cache=tmp_path / "cache") == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as excinfo:
        batch(tmp_path / "big.gif", "--decode-budget", "10", "--out", out, cache=tmp_path / "cache")
    assert excinfo.value.code == 2 and "at least 16 MiB" in capsys.readouterr().err


OUTSIDE = ":region: 0,0,100,30 reaches outside the 64×64 image; the palette is of the part inside it"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_region_outside_the_image_is_a_notice_of_the_row(
    http_server: LocalHTTPServer, tmp_path: Path, suffix: str
) -> None:
    (tmp_path / "a.png").write_bytes(png([(220, 20, 30)]))
    http_server.route("/b.png", Response(headers={"Content-Type": "image/png"}, body=png([(20, 40, 200)])))
    sources = (tmp_path / "a.png", http_server.url("/b.png"))
    # Cold, then from the cache (a new output): the notice is given both times.
    for run in ("cold", "cached"):
        out = tmp_path / f"{run}{suffix}"
        assert batch(*sources, "--region", "0,0,100,30", "--out", out, cache=tmp_path / "cache") == 0
        rows = rows_of(out)
        validate(rows)
        assert len(rows) == 2
        for row in rows:
            assert row["error"] is None and row["swatches"]
            assert row["notices"] == [{"subtype": "option", "message": OUTSIDE}]
    inside = tmp_path / f"inside{suffix}"
    assert batch(*sources, "--region", "0,0,64,30", "--out", inside, cache=tmp_path / "cache") == 0
    assert [row["notices"] for row in rows_of(inside)] == [[], []]
