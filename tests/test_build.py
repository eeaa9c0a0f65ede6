"""Whole builds of the test roots: clean warnings, parallel = serial, incremental rebuilds, reST = MyST, the
HTML matches the engine, configuration validation and the details of the HTML output."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sphinx.util.console import strip_escape_sequences

from sphinx_palette import extract_palette
from sphinx_palette.engine.colour import contrast_ratio, hex_to_rgb
from tests.sphinx_helpers import copy_root, summary, warnings_of


def make(make_app, srcdir: Path, cache: Path, buildername: str = "html", **kwargs):
    overrides = {"palette_cache_dir": str(cache), **kwargs.pop("confoverrides", {})}
    return make_app(buildername, srcdir=srcdir, confoverrides=overrides, **kwargs)


def basic_build(name: str, **kwargs):
    """A fresh HTML build of a private copy of the ``palette-basic`` root (its cache under its doctrees)."""
    return pytest.mark.sphinx("html", testroot="palette-basic", srcdir=name, freshenv=True, **kwargs)


def figures(html: str) -> list[str]:
    return re.findall(r'<figure class="(?:[^"]* )?palette[ "].*?</figure>', html, re.S)


def swatches(fragment: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        for tag in re.findall(r'<li class="palette-swatch"[^>]*>', fragment)
    ]


def blocks(path: Path, colours: list[tuple[int, int, int]], widths: list[int], height: int = 24) -> None:
    """Write a PNG of vertical colour blocks (RGB colours, widths in pixels)."""
    parts = [np.full((height, w, 3), c[::-1], np.uint8) for c, w in zip(colours, widths, strict=True)]
    assert cv2.imwrite(str(path), np.concatenate(parts, axis=1))


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    return copy_root("palette-basic", tmp_path / "basic")


@basic_build("build-good")
def test_good_root_has_no_warnings(app) -> None:
    app.build()
    assert warnings_of(app) == []
    assert summary(app) == (3, 3, 0, 0)


@basic_build("build-hex")
def test_html_hex_codes_equal_the_engine(app) -> None:
    app.build()
    out = Path(app.outdir)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("index.html", "warm.png", {"sort": "share"}),
        ("gallery/other.html", "warm.png", {"sort": "hue"}),
        ("gallery/cool.html", "cool.png", {"sort": "share"}),
    ]
    for page, image, options in cases:
        [figure] = figures((out / page).read_text(encoding="utf-8"))
        expected = extract_palette(Path(app.srcdir, "img", image), 3, **options)
        assert [s["data-hex"] for s in swatches(figure)] == [s.hex for s in expected], page
        assert [float(s["data-share"]) for s in swatches(figure)] == pytest.approx(
            [s.share for s in expected], abs=1e-4
        )


@basic_build("build-details")
def test_html_details(app) -> None:
    app.build()
    out = Path(app.outdir)
    index = (out / "index.html").read_text(encoding="utf-8")

    assert re.search(r'<link rel="stylesheet"[^>]*href="_static/sphinx-palette\.css[^"]*"', index)
    assert re.search(r'<script[^>]*src="_static/sphinx-palette\.js[^"]*"', index)
    assert (out / "_static" / "sphinx-palette.css").is_file()

    [figure] = figures(index)
    assert re.match(r'<figure class="palette palette-widths-share[^"]*" id="warm-palette"', figure)
    items = swatches(figure)
    assert len(items) == 3
    shares = []
    for item in items:
        assert re.fullmatch(r"#[0-9a-f]{6}", item["data-hex"])
        style = dict(part.split(":", 1) for part in item["style"].split(";"))
        assert style["background-color"] == item["data-hex"]
        shares.append(float(style["--share"]))
        assert contrast_ratio(hex_to_rgb(item["data-hex"]), hex_to_rgb(style["color"])) >= 4.5
    assert sum(shares) == pytest.approx(1, abs=2e-3)
    assert shares == sorted(shares, reverse=True)
    assert shares == pytest.approx([0.5, 0.3, 0.2], abs=2e-3)  # 20, 12 and 8 pixel wide blocks
    assert 'aria-label="Three warm colours"' in figure
    # The caption's :ref: is resolved, and :ref: to the palette's name shows the caption as read.
    assert re.search(
        r'<figcaption class="palette-caption">.*href="gallery/cool.html#cool-section"', figure, re.S
    )
    assert re.search(
        r'<a class="reference internal" href="#warm-palette"><span class="std std-ref">'
        # As for figures, a reference in the caption reads as its target's name here.
        r"Warm blocks, see cool-section</span></a>",
        index,
    )
    assert re.search(r'href="#warm-palette"><span class="std std-numref">Palette \d+</span>', index)
    cool = (out / "gallery" / "cool.html").read_text(encoding="utf-8")
    assert (
        'href="../index.html#warm-palette"><span class="std std-ref">Warm blocks, see cool-section<' in cool
    )

    # :show-image: puts the image in the figure; :widths: equal is a class.
    [other] = figures((out / "gallery" / "other.html").read_text(encoding="utf-8"))
    assert "palette-widths-equal" in other
    assert re.search(r'<img[^>]*src="\.\./_images/warm\.png"', other)
    assert "Made with <em>OpenCV</em>" in other
    assert (out / "_images" / "warm.png").is_file()

    # :download: writes the palette files and links them.
    [cool_figure] = figures(cool)
    assert 'href="../_palettes/gallery-cool--cool-palette.gpl"' in cool_figure
    assert (out / "_palettes" / "gallery-cool--cool-palette.gpl").read_text().startswith("GIMP Palette")

    # The index lists every palette with a link to it.
    colours = (out / "colours.html").read_text(encoding="utf-8")
    assert 'href="index.html#warm-palette"' in colours
    assert 'href="gallery/cool.html#cool-palette"' in colours
    assert (out / "_static" / "palettes.json").is_file()


@basic_build(
    "build-config", confoverrides={"palette_colors": 99, "palette_sort": "random", "palette_timeout": 0}
)
def test_config_validation(app) -> None:
    app.build()
    warnings = warnings_of(app)
    assert len(warnings) == 3, warnings
    assert all(w.endswith("[palette.config]") for w in warnings)
    assert any("palette_colors = 99 is not valid" in w and "default 5" in w for w in warnings)
    assert app.config.palette_colors == 5
    assert app.config.palette_sort == "share"
    assert app.config.palette_timeout == 20.0
    assert summary(app) == (3, 3, 0, 0)


def _all_output(outdir: Path) -> dict[str, bytes]:
    files = [*sorted(outdir.rglob("*.html")), outdir / "_static" / "palettes.json"]
    return {str(p.relative_to(outdir)): p.read_bytes() for p in files}


def test_parallel_build_equals_serial(make_app, tmp_path: Path) -> None:
    outputs = []
    for parallel in (1, 2):
        src = copy_root("palette-basic", tmp_path / f"src{parallel}")
        # Sphinx reads and writes in parallel only with more than five documents.
        for n in range(6):
            (src / f"extra{n}.rst").write_text(
                f":orphan:\n\nExtra {n}\n=======\n\n.. palette:: img/{'warm' if n % 2 else 'cool'}.png\n"
                f"   :colors: {2 + n % 3}\n   :caption: Extra palette {n}\n",
                encoding="utf-8",
            )
        app = make(make_app, src, tmp_path / f"cache{parallel}", freshenv=True, parallel=parallel)
        app.build()
        assert warnings_of(app) == []
        if parallel == 2:
            # Parallel reading reports chunks of documents ("colours .. extra3").
            assert re.search(
                r"reading sources\.\.\. .*\S+ \.\. \S+", strip_escape_sequences(app.status.getvalue())
            )
        total, computed, cached, failed = summary(app)
        # Some extra pages ask for a palette another page asked for: those come from the cache.
        assert (total, computed + cached, failed) == (9, 9, 0)
        app.cleanup()
        outputs.append(_all_output(Path(app.outdir)))
    serial, in_parallel = outputs
    assert sorted(serial) == sorted(in_parallel)
    assert len(serial) >= 11
    for name in serial:
        assert serial[name] == in_parallel[name], name


def test_incremental_builds(make_app, basic: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    def build(**kwargs):
        app = make(make_app, basic, cache, **kwargs)
        read: list[str] = []
        app.connect("env-before-read-docs", lambda app, env, docnames: read.extend(docnames))
        app.build()
        app.cleanup()
        assert warnings_of(app) == []
        return app, sorted(read)

    app, read = build(freshenv=True)
    assert read == ["colours", "gallery/cool", "gallery/other", "index"]
    assert summary(app) == (3, 3, 0, 0)

    # Nothing changed: nothing is read, nothing computed.
    app, read = build()
    assert read == []
    assert summary(app) == (3, 0, 3, 0)

    # A new image for one document: only that document is read again; the index page shows the change.
    image = basic / "img" / "cool.png"
    before = image.read_bytes()
    blocks(image, [(250, 120, 10), (10, 10, 10)], [30, 10])
    assert image.read_bytes() != before
    stat = image.stat()
    os.utime(image, (stat.st_atime + 10, stat.st_mtime + 10))
    app, read = build()
    assert read == ["gallery/cool"]
    # The summary covers the whole site: the unchanged pages' palettes come from the saved environment.
    assert summary(app) == (3, 1, 2, 0)
    out = Path(app.outdir)
    [figure] = figures((out / "gallery" / "cool.html").read_text(encoding="utf-8"))
    assert [s["data-hex"] for s in swatches(figure)] == ["#fa780a", "#0a0a0a"]
    colours = (out / "colours.html").read_text(encoding="utf-8")
    assert 'data-hex="#fa780a"' in colours
    assert 'data-hex="#14785a"' not in colours  # the old cool palette is gone from the index

    # A fresh environment with the same cache: every palette comes from the cache.
    app, read = build(freshenv=True)
    assert read == ["colours", "gallery/cool", "gallery/other", "index"]
    assert summary(app) == (3, 0, 3, 0)


@pytest.mark.sphinx("html", testroot="palette-myst", srcdir="build-myst", freshenv=True)
def test_myst_and_rest_give_the_same_html(app) -> None:
    src = Path(app.srcdir)
    app.build()
    assert warnings_of(app) == []
    out = Path(app.outdir)
    [rest] = figures((out / "index.html").read_text(encoding="utf-8"))
    [myst] = figures((out / "markdown.html").read_text(encoding="utf-8"))
    # Automatic ids carry the document's name; everything else is the same.
    assert rest.replace("palette-index-", "ID-") == myst.replace("palette-markdown-", "ID-")
    assert re.match(r'<figure class="extra palette palette-widths-share" id="palette-index-0"', rest)
    assert "Warm <em>blocks</em>" in rest
    assert len(swatches(rest)) == 3
    expected = extract_palette(src / "img" / "warm.png", 4, sort="lightness")
    assert [s["data-hex"] for s in swatches(rest)] == [s.hex for s in expected]


def test_assets_leave_the_configuration_alone(make_app, basic: Path, tmp_path: Path) -> None:
    """The CSS and JS are written to _static without touching html_static_path, so a rebuild sees no
    configuration change."""
    first = make(make_app, basic, tmp_path / "cache", freshenv=True)
    first.build()
    assert first.config.html_static_path == []
    assert Path(first.outdir, "_static", "sphinx-palette.css").is_file()
    first.cleanup()
    again = make(make_app, basic, tmp_path / "cache")
    again.build()
    status = strip_escape_sequences(again.status.getvalue())
    assert "loading pickled environment" in status
    # (sphinx.testing itself changes html_theme between apps; only our value matters here.)
    assert "html_static_path" not in status, status
