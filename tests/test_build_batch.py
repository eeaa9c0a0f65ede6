"""Collect, then resolve, in real Sphinx builds: one batch step after reading, polite to servers, with
progress; the output is the same serially, concurrently and with ``-j 2``; rebuilds touch only what changed.

Each test writes a small site (pages with remote palettes from a local server, and local images) to its own
directory; the palette cache lives beside it so that builds of one test can share it.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from sphinx.util.console import strip_escape_sequences

from tests.batch_helpers import CountingImages
from tests.httpserver import Response
from tests.remote_helpers import png
from tests.sphinx_helpers import palette_warnings, summary, warnings_of

COLOURS = [(220, 20, 30), (20, 160, 40), (20, 40, 200), (240, 200, 20), (120, 40, 160)]
PAGES = 6


def Images(hold: float = 0.05, first: list[Response] | None = None) -> CountingImages:
    """Serves ``/N.png`` (three colours, distinct for every N) after ``hold`` seconds."""
    return CountingImages(
        lambda n: png([COLOURS[n % 5], COLOURS[(n + 1) % 5], (n * 20, 10, 10)]), hold, first
    )


def write_site(folder: Path, server, pages: int = PAGES) -> Path:
    """A site of ``pages`` pages, each with two remote palettes and one local one with a caption."""
    (folder / "img").mkdir(parents=True)
    (folder / "conf.py").write_text('project = "Batch"\nextensions = ["sphinx_palette"]\n', encoding="utf-8")
    names = [f"items/item{n}" for n in range(pages)]
    toctree = "\n".join(f"   {name}" for name in names)
    (folder / "index.rst").write_text(f"Items\n=====\n\n.. toctree::\n\n{toctree}\n", encoding="utf-8")
    (folder / "items").mkdir()
    for n, name in enumerate(names):
        (folder / "img" / f"{n}.png").write_bytes(png([COLOURS[(n + 2) % 5], (10, 10, n * 30)]))
        text = (
            f"Item {n}\n=======\n\n"
            f".. palette:: {server.url(f'/{n}.png')}\n\n"
            f".. palette:: {server.url(f'/{n + pages}.png')}\n   :colors: 2\n\n"
            f".. palette:: ../img/{n}.png\n   :caption: Local *{n}*\n   :show-image:\n"
        )
        (folder / f"{name}.rst").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def build(make_app, tmp_path):
    """``build(srcdir, parallel=0, **confoverrides)``: one HTML build, its cache in ``tmp_path/cache``."""

    def run(srcdir: Path, parallel: int = 0, builddir: Path | None = None, **overrides):
        confoverrides = {"palette_cache_dir": str(tmp_path / "cache"), "palette_timeout": 10.0, **overrides}
        builddir = builddir or srcdir / "_build"
        app = make_app(
            "html",
            srcdir=srcdir,
            builddir=builddir,
            confoverrides=confoverrides,
            parallel=parallel,
        )
        # Undo the docutils registrations whatever happens, so the next build starts clean.
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(app.cleanup)
            app.build()
        return app

    return run


def output_files(outdir: Path) -> dict[str, bytes]:
    """Every written page and palettes.json, by path (build-specific files left out)."""
    wanted = [*outdir.rglob("*.html"), outdir / "_static" / "palettes.json"]
    return {str(p.relative_to(outdir)): p.read_bytes() for p in wanted}


def test_one_batch_step_polite_to_the_server_with_progress(http_server, build, tmp_path):
    images = Images(hold=0.1)
    for n in range(2 * PAGES):
        http_server.route(f"/{n}.png", images)
    site = write_site(tmp_path / "site", http_server)
    app = build(site, palette_per_host=3, palette_fetch_workers=8, palette_workers=1)
    assert warnings_of(app) == []
    assert summary(app) == (3 * PAGES, 3 * PAGES, 0, 0)
    assert len(http_server.requests) == 2 * PAGES
    assert images.peak == 3  # the limit held, and was used
    status = strip_escape_sequences(app.status.getvalue())
    assert "computing palettes... [100%] items/item" in status
    html = (Path(app.outdir) / "items" / "item1.html").read_text(encoding="utf-8")
    assert html.count('class="palette-bar"') == 3
    assert 'alt="Local 1"' in html


def test_output_is_the_same_serial_concurrent_and_parallel(http_server, build, tmp_path):
    images = Images(hold=0.02)
    for n in range(2 * PAGES):
        http_server.route(f"/{n}.png", images)
    site = write_site(tmp_path / "site", http_server)
    serial = build(site, builddir=tmp_path / "serial", palette_workers=1, palette_fetch_workers=1)
    # A fresh cache for each, so that every build fetches and computes its palettes.
    concurrent = build(
        site, builddir=tmp_path / "concurrent", palette_cache_dir=str(tmp_path / "c2"), palette_workers=2
    )
    parallel = build(site, builddir=tmp_path / "parallel", parallel=2, palette_cache_dir=str(tmp_path / "c3"))
    assert summary(serial)[1] == summary(concurrent)[1] == summary(parallel)[1] == 3 * PAGES
    first = output_files(Path(serial.outdir))
    assert first == output_files(Path(concurrent.outdir))
    assert first == output_files(Path(parallel.outdir))


def test_retry_after_pauses_the_build_and_it_succeeds(http_server, build, tmp_path):
    images = Images(hold=0.05, first=[Response(status=429, headers={"Retry-After": "2"})] * 3)
    for n in range(2 * PAGES):
        http_server.route(f"/{n}.png", images)
    site = write_site(tmp_path / "site", http_server)
    app = build(site, palette_per_host=3, palette_workers=1)
    assert warnings_of(app) == [], images.log
    assert summary(app) == (3 * PAGES, 3 * PAGES, 0, 0), images.log
    told, later = images.statuses(429), images.statuses(200)
    assert len(told) == 3 and len(later) == 2 * PAGES, images.log
    # Nothing reached the server during a pause it asked for (half a second allowed for requests already
    # on their way when the 429 went out).
    arrivals = [arrived for arrived, _, _ in images.log]
    for paused in told:
        assert not [a for a in arrivals if paused + 0.5 <= a < paused + 2.0], images.log


def test_rebuild_resolves_only_the_changed_document(http_server, build, tmp_path):
    images = Images(hold=0.0)
    for n in range(2 * PAGES):
        http_server.route(f"/{n}.png", images)
    site = write_site(tmp_path / "site", http_server)
    build(site, palette_workers=1)
    before = output_files(site / "_build" / "html")
    page = site / "items" / "item2.rst"
    page.write_text(page.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    again = build(site, palette_workers=1)
    assert summary(again) == (3 * PAGES, 0, 3 * PAGES, 0)  # the whole site; nothing computed
    progress = re.findall(
        r"computing palettes\.\.\. \[\s*\d+%\] (\S+)", strip_escape_sequences(again.status.getvalue())
    )
    assert set(progress) == {"items/item2"}  # only the page read again went through the batch step
    assert len(http_server.requests) == 2 * PAGES  # within the TTL: nothing asked of the server
    after = output_files(site / "_build" / "html")
    assert after["items/item0.html"] == before["items/item0.html"]
    assert after["_static/palettes.json"] == before["_static/palettes.json"]
    assert after["items/item2.html"].count(b'class="palette-bar"') == 3


def test_failures_are_warned_with_document_and_line(http_server, build, tmp_path):
    http_server.route("/0.png", Response(status=404))
    site = tmp_path / "site"
    site.mkdir()
    (site / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
    (site / "index.rst").write_text(
        "Title\n=====\n\n"
        f".. palette:: {http_server.url('/0.png')}\n\n"
        ".. palette:: nowhere.png\n\n"
        f".. palette:: {http_server.url('/0.png')}\n   :colors: 2\n",
        encoding="utf-8",
    )
    app = build(site, palette_workers=1)
    warned = palette_warnings(app)
    # A missing local file is found while reading; the URL's failure once the batch step ran; once each.
    assert sorted((w["line"], w["subtype"]) for w in warned) == [("4", "fetch"), ("6", "source")]
    assert all(w["path"].endswith("index.rst") for w in warned)
    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    assert html.count("Palette unavailable.") == 3
