"""Resolving while documents are read (serial reads in the main process): requests reach the server before
reading ends, the output is byte for byte the output of a build resolving after reading and of ``-j 2``,
and a build that fails or is interrupted while reading stops its batch instead of hanging."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sphinx.errors import ExtensionError

from sphinx_palette.remote import background
from sphinx_palette.sphinxext import service as sphinx_service
from tests.batch_helpers import CountingImages
from tests.sphinx_helpers import summary, warnings_of
from tests.test_build_batch import PAGES, Images, output_files, write_site

#: Generous bound for a wait that takes milliseconds when things work: reached only when they do not.
STUCK = 30.0


@pytest.fixture
def build(make_app, tmp_path):
    """``build(srcdir, parallel=0, hook=None, **confoverrides)``: one HTML build; ``hook(app)`` is called
    before it starts (to connect test handlers)."""

    def run(srcdir: Path, parallel: int = 0, builddir: Path | None = None, hook=None, **overrides):
        confoverrides = {"palette_cache_dir": str(tmp_path / "cache"), "palette_timeout": 10.0, **overrides}
        app = make_app(
            "html",
            srcdir=srcdir,
            builddir=builddir or srcdir / "_build",
            confoverrides=confoverrides,
            parallel=parallel,
        )
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(app.cleanup)
            if hook is not None:
                hook(app)
            app.build()
        return app

    return run


def serve_images(server, hold: float) -> CountingImages:
    """Route ``/0.png`` ... ``/2N.png`` of ``server`` to one handler (answering after ``hold`` seconds)."""
    images = Images(hold=hold)
    for n in range(2 * PAGES):
        server.route(f"/{n}.png", images)
    return images


@pytest.fixture
def served(http_server):
    """The batch tests' image server with ``/0.png`` ... ``/2N.png``; its handler logs every request."""
    serve_images(http_server, hold=0.02)
    return http_server


def palette_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("palette-fetch", "palette-batch"))]


def test_requests_reach_the_server_while_documents_are_read(served, build, tmp_path):
    site = write_site(tmp_path / "site", served)
    events: list[str] = []
    last = f"items/item{PAGES - 1}"

    def reading(app, docname, source) -> None:
        if docname == last:
            # Before the last document is read, wait (a bounded while) for the server to see a request:
            # it does at once when the earlier documents' palettes are being fetched already.
            for _ in range(int(STUCK / 0.01)):
                if served.requests:
                    break
                threading.Event().wait(0.01)
            events.append(f"server has {len(served.requests)} requests")
        events.append(f"read {docname}")

    app = build(site, hook=lambda app: app.connect("source-read", reading), palette_workers=1)
    assert warnings_of(app) == []
    assert summary(app) == (3 * PAGES, 3 * PAGES, 0, 0)
    before_last = events[events.index(f"read {last}") - 1]
    assert before_last != "server has 0 requests", events
    assert len(served.requests) == 2 * PAGES
    assert palette_threads() == []


def test_early_late_and_parallel_builds_write_the_same_bytes(served, build, tmp_path, monkeypatch):
    site = write_site(tmp_path / "site", served)
    started: list[int] = []
    real = background.BackgroundBatch.__init__

    def counting(self, *args, **kwargs) -> None:
        started.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(background.BackgroundBatch, "__init__", counting)
    early = build(site, builddir=tmp_path / "early", palette_workers=1, palette_fetch_workers=1)
    assert started == [1]
    # The same build resolving everything after reading, as a build reading in parallel does.
    with monkeypatch.context() as patched:
        patched.setattr(sphinx_service, "reads_in_parallel", lambda app: True)
        late = build(site, builddir=tmp_path / "late", palette_cache_dir=str(tmp_path / "c2"))
    assert started == [1]
    concurrent = build(
        site, builddir=tmp_path / "concurrent", palette_cache_dir=str(tmp_path / "c3"), palette_workers=2
    )
    parallel = build(site, builddir=tmp_path / "parallel", parallel=2, palette_cache_dir=str(tmp_path / "c4"))
    assert started == [1, 1]  # -j 2 reads in forked processes: nothing started early in this one
    assert summary(early)[1] == summary(late)[1] == summary(parallel)[1] == 3 * PAGES
    first = output_files(Path(early.outdir))
    assert first == output_files(Path(late.outdir))
    assert first == output_files(Path(concurrent.outdir))
    assert first == output_files(Path(parallel.outdir))


def test_palette_per_host_holds_with_early_start(http_server, build, tmp_path):
    images = serve_images(http_server, hold=0.1)
    site = write_site(tmp_path / "site", http_server)
    app = build(site, palette_per_host=2, palette_fetch_workers=8, palette_workers=1)
    assert summary(app) == (3 * PAGES, 3 * PAGES, 0, 0)
    assert images.peak == 2


def test_an_error_while_reading_stops_the_early_batch(served, build, tmp_path):
    site = write_site(tmp_path / "site", served)

    def failing(app, docname, source) -> None:
        if docname == f"items/item{PAGES - 1}":
            raise RuntimeError("a broken extension")

    with pytest.raises(ExtensionError, match="a broken extension"):
        build(site, hook=lambda app: app.connect("source-read", failing), palette_workers=2)
    # build-finished (with the error) cancelled the batch and joined its threads.
    assert palette_threads() == []


def test_an_interrupted_build_exits_instead_of_hanging(http_server, tmp_path):
    images = serve_images(http_server, hold=1.0)
    site = write_site(tmp_path / "site", http_server)
    conf = site / "conf.py"
    conf.write_text(
        conf.read_text(encoding="utf-8") + "\n\ndef _interrupt(app, docname, source):\n"
        f"    if docname == 'items/item{PAGES - 1}':\n"
        "        raise KeyboardInterrupt\n\n\n"
        "def setup(app):\n"
        "    app.connect('source-read', _interrupt)\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "--no-color"]
    command += ["-D", f"palette_cache_dir={tmp_path / 'cache'}", str(site), str(tmp_path / "out")]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2, finished.stderr
    assert "Interrupted" in finished.stderr
    assert images.log  # the batch had started: requests were in flight when the build was interrupted
