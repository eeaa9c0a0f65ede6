"""Resolving while documents are read (serial reads in the main process): requests reach the server before
reading ends, the output is byte for byte the output of a build resolving after reading and of ``-j 2``,
and a build that fails or is interrupted while reading stops its batch instead of hanging.

Writing while palettes arrive (serial builds): each page waits only for its own palettes, what lists the
site's palettes waits for all, warnings keep document, line and order, the environment is saved again with
every palette (so incremental rebuilds touch only what changed), and a build interrupted while writing
leaves no threads and reads the pages it did not finish again next time."""

from __future__ import annotations

import contextlib
import pickle
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sphinx.errors import ExtensionError
from sphinx.util.console import strip_escape_sequences

from sphinx_palette.remote import background
from sphinx_palette.sphinxext import resolve
from sphinx_palette.sphinxext import service as sphinx_service
from tests.batch_helpers import CountingImages
from tests.httpserver import RecordedRequest, Response
from tests.sphinx_helpers import palette_warnings, summary, warnings_of
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


BROWSE = ":orphan:\n\nBrowse\n======\n\n.. palette-index::\n"


def saved_palettes(app) -> dict[str, tuple[bool, int]]:
    """From the environment Sphinx will load next time: each document's (waiting, number of records)."""
    env = pickle.loads(Path(app.doctreedir, "environment.pickle").read_bytes())
    documents = env.sphinx_palette_data.documents
    return {name: (data.waiting, len(data.palettes)) for name, data in documents.items() if data.palettes}


def test_a_page_is_written_before_the_last_palette_arrives(http_server, build, tmp_path):
    images = serve_images(http_server, hold=0.02)
    first_written = threading.Event()
    released: list[bool] = []

    def last_image(request: RecordedRequest) -> Response:
        # The last page's second image is answered once the first page is written (or after STUCK
        # seconds, failing the test, if pages are written only when every palette is known).
        released.append(first_written.wait(STUCK))
        return images(request)

    http_server.route(f"/{2 * PAGES - 1}.png", last_image)
    site = write_site(tmp_path / "site", http_server)

    def written(app, pagename, templatename, context, doctree) -> None:
        if pagename == "items/item0":
            first_written.set()

    app = build(site, hook=lambda app: app.connect("html-page-context", written), palette_workers=1)
    assert released == [True]
    assert warnings_of(app) == []
    assert summary(app) == (3 * PAGES, 3 * PAGES, 0, 0)
    status = strip_escape_sequences(app.status.getvalue())
    assert "computing palettes... [100%] items/item" in status
    last = (Path(app.outdir) / "items" / f"item{PAGES - 1}.html").read_text(encoding="utf-8")
    assert last.count('class="palette-bar"') == 3
    assert palette_threads() == []


def test_incremental_rebuild_after_an_overlapped_build(served, build, tmp_path, monkeypatch):
    site = write_site(tmp_path / "site", served)
    (site / "browse.rst").write_text(BROWSE, encoding="utf-8")
    handed: list[object] = []
    real = resolve.hand_over
    monkeypatch.setattr(
        resolve, "hand_over", lambda env, arrivals: (handed.append(arrivals), real(env, arrivals))
    )
    cold = build(site, palette_workers=1)
    assert len(handed) == 1  # pages were written while palettes arrived
    # Sphinx saved the environment before writing; it was saved again with every palette.
    saved = saved_palettes(cold)
    assert saved == {f"items/item{n}": (False, 3) for n in range(PAGES)}
    before = output_files(site / "_build" / "html")
    assert all(f"items/item{n}.html#".encode() in before["browse.html"] for n in range(PAGES))

    page = site / "items" / "item2.rst"
    page.write_text(page.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    again = build(site, palette_workers=1)
    assert summary(again) == (3 * PAGES, 0, 3 * PAGES, 0)
    progress = re.findall(
        r"computing palettes\.\.\. \[\s*\d+%\] (\S+)", strip_escape_sequences(again.status.getvalue())
    )
    assert set(progress) == {"items/item2"}  # only the page read again
    assert len(served.requests) == 2 * PAGES
    after = output_files(site / "_build" / "html")
    for name in [f"items/item{n}.html" for n in range(PAGES) if n != 2] + ["browse.html"]:
        assert after[name] == before[name], name
    assert after["_static/palettes.json"] == before["_static/palettes.json"]
    assert after["items/item2.html"].count(b'class="palette-bar"') == 3
    assert saved_palettes(again) == saved


def test_a_warm_build_stores_every_palette_before_sphinx_saves_the_environment(
    served, build, tmp_path, monkeypatch
):
    from sphinx_palette.remote import file_memo

    monkeypatch.setattr(file_memo, "RACY_SECONDS", 0.0)  # the local images are remembered although new
    site = write_site(tmp_path / "site", served)
    cold = build(site, builddir=tmp_path / "cold", palette_workers=1)
    saved_again: list[str] = []
    real = resolve.save_environment
    monkeypatch.setattr(resolve, "save_environment", lambda app: (saved_again.append(app.srcdir), real(app)))
    warm = build(site, builddir=tmp_path / "warm", palette_workers=1)
    assert summary(warm) == (3 * PAGES, 0, 3 * PAGES, 0)
    assert len(served.requests) == 2 * PAGES  # every palette came from the cache
    # The cache's answers were stored before Sphinx saved the environment: its copy is complete.
    assert saved_again == []
    assert saved_palettes(warm) == {f"items/item{n}": (False, 3) for n in range(PAGES)}
    assert output_files(Path(warm.outdir)) == output_files(Path(cold.outdir))


def test_a_root_document_read_again_is_not_shadowed_by_a_saved_copy(http_server, build, tmp_path):
    images = serve_images(http_server, hold=0.02)
    first_written = threading.Event()

    def last_image(request: RecordedRequest) -> Response:
        first_written.wait(STUCK)  # still arriving when Sphinx saves the environment
        return images(request)

    http_server.route(f"/{2 * PAGES - 1}.png", last_image)
    site = write_site(tmp_path / "site", http_server)

    def written(app, pagename, templatename, context, doctree) -> None:
        first_written.set()

    # The sidebar lists the site-wide contents (Sphinx's global table of contents, from the root doctree).
    sidebar = {"html_sidebars": {"**": ["globaltoc.html"]}}

    def hook(app) -> None:
        app.connect("html-page-context", written)

    first = build(site, hook=hook, palette_workers=1, **sidebar)
    env = pickle.loads(Path(first.doctreedir, "environment.pickle").read_bytes())
    assert env.sphinx_palette_data.documents[f"items/item{PAGES - 1}"].palettes  # saved again, complete
    assert "master_doctree" not in vars(env)  # Sphinx's root doctree, cached while writing

    (site / "items" / "added.rst").write_text("Added page\n==========\n\nText.\n", encoding="utf-8")
    index = site / "index.rst"
    index.write_text(index.read_text(encoding="utf-8") + "   items/added\n", encoding="utf-8")
    build(site, palette_workers=1, **sidebar)
    # The site-wide contents come from the root document as read now.
    added = (site / "_build" / "html" / "items" / "added.html").read_text(encoding="utf-8")
    assert 'class="toctree-l1 current"><a class="current reference internal" href="#">Added page' in added


def test_warnings_keep_document_line_and_order(http_server, build, tmp_path, monkeypatch):
    http_server.route("/gone.png", Response(status=404))
    http_server.route("/lost.png", Response(status=410))
    serve_images(http_server, hold=0.02)
    site = tmp_path / "site"
    site.mkdir()
    (site / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
    pages = {
        "a": ["/gone.png", "/0.png"],
        "b": ["/1.png", "/gone.png", "/lost.png"],
        "c": ["/lost.png", "/gone.png"],
    }
    (site / "index.rst").write_text("Home\n====\n\n.. toctree::\n\n   a\n   b\n   c\n", encoding="utf-8")
    for name, paths in pages.items():
        body = "".join(f".. palette:: {http_server.url(path)}\n\n" for path in paths)
        (site / f"{name}.rst").write_text(f"{name.upper()}\n=\n\n{body}", encoding="utf-8")
    overlapped = build(site, builddir=tmp_path / "overlapped", palette_workers=1)
    with monkeypatch.context() as patched:
        patched.setattr(sphinx_service, "writes_serially", lambda app: False)
        after_reading = build(site, builddir=tmp_path / "late", palette_cache_dir=str(tmp_path / "c2"))
    warned = [(Path(w["path"]).name, w["line"], w["subtype"]) for w in palette_warnings(overlapped)]
    # Once per URL, at its first use in document and line order.
    assert warned == [("a.rst", "4", "fetch"), ("b.rst", "8", "fetch")]
    assert warnings_of(overlapped) == warnings_of(after_reading)
    assert output_files(Path(overlapped.outdir)) == output_files(Path(after_reading.outdir))


def test_an_error_while_writing_stops_the_batch(http_server, build, tmp_path):
    serve_images(http_server, hold=0.3)
    site = write_site(tmp_path / "site", http_server)

    def failing(app, pagename, templatename, context, doctree) -> None:
        if pagename == "items/item0":
            raise RuntimeError("a broken theme")

    with pytest.raises(ExtensionError, match="a broken theme"):
        build(site, hook=lambda app: app.connect("html-page-context", failing), palette_workers=2)
    # build-finished (with the error) stopped the batch and joined its threads.
    assert palette_threads() == []


def test_a_build_interrupted_while_writing_is_completed_by_the_next(http_server, tmp_path):
    serve_images(http_server, hold=0.5)
    site = write_site(tmp_path / "site", http_server)
    conf = site / "conf.py"
    plain = conf.read_text(encoding="utf-8")
    conf.write_text(
        plain + "\n\ndef _interrupt(app, pagename, templatename, context, doctree):\n"
        "    if pagename == 'items/item0':\n"
        "        raise KeyboardInterrupt\n\n\n"
        "def setup(app):\n"
        "    app.connect('html-page-context', _interrupt)\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "sphinx", "-b", "html", "--no-color"]
    command += ["-D", f"palette_cache_dir={tmp_path / 'cache'}", str(site), str(tmp_path / "out")]
    interrupted = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert interrupted.returncode == 2, interrupted.stderr
    assert "Interrupted" in interrupted.stderr
    conf.write_text(plain, encoding="utf-8")
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    # The pages whose palettes were still arriving were read again, and got them (from the cache, mostly).
    assert re.search(r"reading sources\.\.\. \[\s*\d+%\] items/item5", finished.stdout), finished.stdout
    for n in range(PAGES):
        html = (tmp_path / "out" / "items" / f"item{n}.html").read_text(encoding="utf-8")
        assert html.count('class="palette-bar"') == 3, n
        assert "build again" not in html


def test_ctrl_c_while_a_page_waits_for_its_palette(http_server, tmp_path):
    images = serve_images(http_server, hold=0.02)
    answer = threading.Event()

    def last_image(request: RecordedRequest) -> Response:
        answer.wait(STUCK)  # held until the build was interrupted
        return images(request)

    http_server.route(f"/{2 * PAGES - 1}.png", last_image)
    site = write_site(tmp_path / "site", http_server)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "--no-color"]
    command += ["-D", f"palette_cache_dir={tmp_path / 'cache'}", str(site), str(out)]
    # A build started by a shell's background job inherits SIGINT ignored (as this test's runner then has
    # it); a handler here is reset to the default in the build, which then turns Ctrl-C into an interrupt.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        build = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, inherited)
    try:
        # The page before the last is written: the last one is waiting for its palette.
        waited = 0.0
        while not (out / "items" / f"item{PAGES - 2}.html").exists() and waited < STUCK:
            threading.Event().wait(0.05)
            waited += 0.05
        threading.Event().wait(0.3)
        build.send_signal(signal.SIGINT)
        answer.set()  # the request in flight ends; nothing else is started
        _, stderr = build.communicate(timeout=60)
    finally:
        answer.set()
        if build.poll() is None:
            build.kill()
    assert build.returncode == 2, stderr
    assert "Interrupted" in stderr
    assert not (out / "items" / f"item{PAGES - 1}.html").exists()
