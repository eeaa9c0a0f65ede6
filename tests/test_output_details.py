"""Details of the output that are easy to get wrong: tiny shares, LaTeX labels, singlehtml, man pages."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest

from sphinx_palette.engine import extract_palette
from sphinx_palette.engine.exports import percent
from sphinx_palette.remote.cache import PaletteCache

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "palettes.schema.json").read_text())


def _project(srcdir: Path, pages: dict[str, str]) -> Path:
    srcdir.mkdir(parents=True)
    (srcdir / "conf.py").write_text('extensions = ["sphinx_palette"]\nnumfig = True\n', encoding="utf-8")
    for name, text in pages.items():
        (srcdir / f"{name}.rst").write_text(text, encoding="utf-8")
    return srcdir


def _image(path: Path, *, speck: bool = False) -> None:
    # Small enough that every pixel is sampled.
    pixels = np.full((200, 200, 3), (40, 60, 200), np.uint8)
    pixels[:, 100:] = (230, 200, 30)
    if speck:
        pixels[0, 0] = (0, 255, 0)  # one pixel in 40,000
    cv2.imwrite(str(path), pixels)


def _build(make_app, srcdir: Path, builder: str, tmp_path: Path):
    app = make_app(builder, srcdir=srcdir, confoverrides={"palette_cache_dir": str(tmp_path / "cache")})
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def test_a_tiny_share_stays_positive_in_html_and_export(make_app, tmp_path: Path) -> None:
    src = _project(tmp_path / "src", {"index": "Tiny\n====\n\n.. palette:: speck.png\n   :colors: 3\n"})
    _image(src / "speck.png", speck=True)
    palette = extract_palette(src / "speck.png", 3)
    assert len(palette) == 3 and min(s.share for s in palette) < 0.0005
    app = _build(make_app, src, "html", tmp_path)
    data = json.loads((Path(app.outdir) / "_static" / "palettes.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    shares = [s["share"] for s in data["palettes"][0]["swatches"]]
    assert min(shares) > 0 and abs(sum(shares) - 1) < 1e-5
    assert "&lt;0.1%" in (Path(app.outdir) / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("share", "text"), [(0.34, "34%"), (0.004, "0.4%"), (0.0003, "<0.1%"), (1.0, "100%")]
)
def test_percent(share: float, text: str) -> None:
    assert percent(share) == text


def test_latex_labels_named_palettes_for_numref(make_app, tmp_path: Path) -> None:
    text = (
        "Doc\n===\n\nSee :numref:`warm` and :ref:`warm`.\n\n"
        ".. palette:: two.png\n   :name: warm\n   :caption: Warm and cool\n"
    )
    src = _project(tmp_path / "src", {"index": text})
    _image(src / "two.png")
    app = _build(make_app, src, "latex", tmp_path)
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    assert re.search(r"\\label\{\\detokenize\{index:warm\}\}", tex)
    assert r"\colorbox[HTML]" in tex


def test_singlehtml_ids_and_downloads_stay_apart(make_app, tmp_path: Path) -> None:
    body = "{0}\n===\n\n.. palette:: ../two.png\n   :download:\n   :colors: {1}\n"
    pages = {
        "index": "Top\n===\n\n.. toctree::\n\n   a/one\n   b/one\n",
    }
    src = _project(tmp_path / "src", pages)
    for folder, colors in (("a", 1), ("b", 2)):
        (src / folder).mkdir()
        (src / folder / "one.rst").write_text(body.format(folder.upper(), colors), encoding="utf-8")
    _image(src / "two.png")
    app = _build(make_app, src, "singlehtml", tmp_path)
    page = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'<figure class="palette[^"]*" id="([^"]+)"', page)
    assert len(ids) == 2 and len(set(ids)) == 2
    downloads = sorted(Path(app.outdir, "_palettes").glob("*.json"))
    assert len(downloads) == 2
    counts = sorted(len(json.loads(p.read_text(encoding="utf-8"))["swatches"]) for p in downloads)
    assert counts == [1, 2]


def test_man_page_caption_starting_with_a_dot_is_text(make_app, tmp_path: Path) -> None:
    src = _project(
        tmp_path / "src", {"index": "Doc\n===\n\n.. palette:: two.png\n   :caption: .SH not a request\n"}
    )
    _image(src / "two.png")
    app = _build(make_app, src, "man", tmp_path)
    page = next(Path(app.outdir).rglob("*.1")).read_text(encoding="utf-8")
    assert "\\&.SH not a request" in page
    assert "\n.SH not a request" not in page


def test_cache_files_are_readable_by_others(tmp_path: Path) -> None:
    cache = PaletteCache(tmp_path / "cache")
    digest = cache.put_blob(b"bytes")
    mode = (tmp_path / "cache" / "blobs" / digest).stat().st_mode
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH


def test_only_captioned_palettes_are_numbered(make_app, tmp_path: Path) -> None:
    text = (
        "Doc\n===\n\n.. palette:: two.png\n\n.. palette:: two.png\n   :caption: First\n"
        "\n.. palette:: two.png\n   :caption: Second\n   :name: second\n\nSee :numref:`second`.\n"
    )
    src = _project(tmp_path / "src", {"index": text})
    _image(src / "two.png")
    app = _build(make_app, src, "html", tmp_path)
    page = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    numbers = re.findall(r'<span class="caption-number">(Palette \d+) </span>', page)
    assert numbers == ["Palette 1", "Palette 2"]
    assert "Palette 2</span></a>" in page or ">Palette 2<" in page
