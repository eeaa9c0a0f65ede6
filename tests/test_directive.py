"""The palette directive's failures: bad options, missing files, remote images that cannot be had, an
unwritable cache. Each gives one typed warning at the directive's line, a visible placeholder, and the rest of
the page is built."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.httpserver import Response
from tests.sphinx_helpers import copy_root, palette_warnings, warnings_of


def directive_lines(source: str) -> list[int]:
    return [n for n, line in enumerate(source.splitlines(), start=1) if line.startswith(".. palette::")]


def placeholders(html: str) -> list[str]:
    return re.findall(r'<div class="palette palette-error" id="[^"]+" role="note">(.*?)</div>', html, re.S)


def png_bytes() -> bytes:
    image = np.zeros((16, 24, 3), np.uint8)
    image[:, :12] = (40, 30, 200)  # BGR: red
    image[:, 12:] = (200, 120, 20)  # BGR: blue
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


@pytest.mark.sphinx("html", testroot="palette-errors", srcdir="directive-errors", freshenv=True)
def test_bad_options_and_missing_file(app) -> None:
    app.build()
    source = Path(app.srcdir, "index.rst").read_text(encoding="utf-8")
    lines = directive_lines(source)
    found = palette_warnings(app)
    assert [int(w["line"]) for w in found] == lines[:6]
    assert all(w["path"].endswith("index.rst") for w in found)
    assert [w["subtype"] for w in found] == ["option"] * 5 + ["source"]
    messages = [w["message"] for w in found]
    assert ":colors: must be from 1 to 32, not 0" in messages[0]
    assert "'abc'" in messages[1] and ":colors:" in messages[1]
    assert ":sort:" in messages[2] and "'random'" in messages[2]
    assert ":widths:" in messages[3] and "'x'" in messages[3]
    assert messages[4].startswith(":region:")
    assert messages[5] == "image file not found: img/nowhere.png (looked for img/nowhere.png)"

    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    shown = placeholders(html)
    assert len(shown) == 6
    for text, message in zip(shown, messages, strict=True):
        assert "Palette unavailable." in text
        assert message.replace("'", "&#x27;") in text
    # The good palette after the failures and the rest of the page are there.
    assert len(re.findall(r'<figure class="palette ', html)) == 1
    assert "End of the page." in html


@pytest.mark.parametrize("parallel", [1, 2])
def test_cache_dir_that_cannot_exist(make_app, tmp_path: Path, parallel: int) -> None:
    src = copy_root("palette-basic", tmp_path / "basic")
    # Enough documents for Sphinx to read them in parallel: every worker meets the broken cache.
    for n in range(6):
        (src / f"extra{n}.rst").write_text(f":orphan:\n\nExtra {n}\n=======\n\n.. palette:: img/cool.png\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    app = make_app(
        "html",
        srcdir=src,
        freshenv=True,
        parallel=parallel,
        confoverrides={"palette_cache_dir": str(blocker / "cache")},
    )
    app.build()
    lines = warnings_of(app)
    assert len(lines) == 1, lines
    assert lines[0].startswith("WARNING: cannot write to the palette cache")
    assert lines[0].endswith("; palettes are computed but not stored [palette.cache]")
    out = Path(app.outdir)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<figure class="palette ', html)) == 1
    assert "palette-error" not in html
    assert re.search(r"palette: 9 palettes \(9 computed, 0 from cache, 0 failed\)", app.status.getvalue())


REMOTE_CASES = [
    # (path, expected warning subtype or None when the palette works)
    ("/ok.png", None),
    ("/missing.png", "fetch"),
    ("/error.png", "fetch"),
    ("/slow.png", "fetch"),
    ("/big.png", "fetch"),
    ("/page.html", "image"),
]


@pytest.fixture
def remote_project(http_server, tmp_path: Path) -> Path:
    http_server.route("/ok.png", Response(headers={"Content-Type": "image/png"}, body=png_bytes()))
    http_server.route("/missing.png", Response(status=404, body=b"no such image"))
    http_server.route("/error.png", Response(status=500, body=b"oops"))
    http_server.route("/slow.png", Response(delay=5, headers={"Content-Type": "image/png"}, body=png_bytes()))
    http_server.route("/big.png", Response(headers={"Content-Type": "image/png"}, body=bytes(8192)))
    http_server.route(
        "/page.html",
        Response(headers={"Content-Type": "text/html"}, body=b"<!doctype html><html><p>Hello</p></html>"),
    )
    src = tmp_path / "remote"
    src.mkdir()
    (src / "conf.py").write_text(
        'project = "Remote"\nextensions = ["sphinx_palette"]\n'
        "palette_timeout = 1\npalette_max_bytes = 4096\n",
        encoding="utf-8",
    )
    parts = ["Remote images\n=============\n"]
    for n, (path, _) in enumerate(REMOTE_CASES):
        parts.append(f"Before {n}.\n\n.. palette:: {http_server.url(path)}\n   :colors: 2\n\nAfter {n}.\n")
    (src / "index.rst").write_text("\n".join(parts), encoding="utf-8")
    return src


@pytest.mark.parametrize("suppress", [False, True])
def test_remote_images(make_app, http_server, remote_project: Path, tmp_path: Path, suppress: bool) -> None:
    overrides: dict[str, object] = {"palette_cache_dir": str(tmp_path / "cache")}
    if suppress:
        overrides["suppress_warnings"] = ["palette.fetch"]
    app = make_app("html", srcdir=remote_project, freshenv=True, confoverrides=overrides)
    app.build()

    lines = directive_lines((remote_project / "index.rst").read_text(encoding="utf-8"))
    expected = [
        (line, subtype)
        for line, (_, subtype) in zip(lines, REMOTE_CASES, strict=True)
        if subtype is not None and not (suppress and subtype == "fetch")
    ]
    found = palette_warnings(app)
    assert [(int(w["line"]), w["subtype"]) for w in found] == expected, found
    assert all(w["path"].endswith("index.rst") for w in found)

    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    shown = placeholders(html)
    assert len(shown) == 5  # suppressed or not, the placeholder is there
    for text, (path, _) in zip(shown, REMOTE_CASES[1:], strict=True):
        assert "Palette unavailable." in text
        assert path in text, text
    assert re.search(r"404", shown[0]) and re.search(r"500", shown[1])
    assert re.search(r"time|deadline", shown[2], re.I)
    assert re.search(r"4096|limit|large", shown[3], re.I)
    [figure] = re.findall(r'<figure class="palette .*?</figure>', html, re.S)
    hexes = re.findall(r'data-hex="(#[0-9a-f]{6})"', figure)
    assert sorted(hexes) == ["#1478c8", "#c81e28"]
    for n in range(len(REMOTE_CASES)):
        assert f"Before {n}." in html and f"After {n}." in html

    # The server error was retried before giving up; the 404 was not.
    paths = [r.path for r in http_server.requests]
    assert paths.count("/error.png") > 1
    assert paths.count("/missing.png") == 1
