"""Remote palettes through real Sphinx builds: expiry re-reads, offline builds, one warning per failing URL,
no credentials in the output.

Each test copies ``roots/test-remote-build`` to its own directory and writes ``index.rst`` with the URLs of
its local server before building; the palette cache lives outside the project so builds can share it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sphinx_palette.engine.colour import hex_to_rgb
from tests.httpserver import Response, json_response
from tests.remote_helpers import Origin, info_json, png
from tests.sphinx_helpers import warnings_of

ROOT = Path(__file__).resolve().parent / "roots" / "test-remote-build"
RED, BLUE = (220, 20, 30), (20, 40, 200)
SECRET = "s3cr3t-pw"


@pytest.fixture
def build(make_app, tmp_path):
    """``build(name, rst, **confoverrides)``: build project ``name`` (made on first use) with ``rst``."""

    def run(name: str, rst: str, **overrides):
        srcdir = tmp_path / name
        if not srcdir.exists():
            shutil.copytree(ROOT, srcdir)
        (srcdir / "index.rst").write_text(rst, encoding="utf-8")
        confoverrides = {"palette_cache_dir": str(tmp_path / "cache"), "palette_timeout": 5.0, **overrides}
        app = make_app("html", srcdir=srcdir, confoverrides=confoverrides)
        try:
            app.build()
        finally:
            # Undo the docutils registrations, so the next build of the same test starts clean.
            app.cleanup()
        return app

    return run


def page(url: str, *more: str, options: str = "") -> str:
    blocks = [f".. palette:: {u}\n{options}" for u in (url, *more)]
    return "Remote\n======\n\n" + "\n".join(blocks)


def html_of(app) -> str:
    return (Path(app.outdir) / "index.html").read_text(encoding="utf-8")


def first_colours(app) -> list[tuple[int, int, int]]:
    """The largest swatch of each palette on the page, in page order."""
    return [hex_to_rgb(h) for h in re.findall(r"--palette-1:(#[0-9a-f]{6})", html_of(app))]


def near(rgb, expected, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, expected, strict=True))


def test_second_build_after_ttl_rereads_and_shows_the_new_colours(http_server, build):
    origin = Origin(RED)
    http_server.route("/a.png", origin)
    url = http_server.url("/a.png")

    first = build("site", page(url), palette_remote_ttl=0)
    assert warnings_of(first) == []
    assert [near(c, RED) for c in first_colours(first)] == [True]
    assert len(http_server.requests) == 1

    origin.set(BLUE, '"v2"')
    second = build("site", page(url), palette_remote_ttl=0)
    assert "index" in second._status.getvalue().split("reading sources")[-1].split("\n")[0]
    assert warnings_of(second) == []
    assert [near(c, BLUE) for c in first_colours(second)] == [True]
    revalidation = http_server.requests[1]
    assert revalidation.headers.get("If-None-Match") == '"v1"'

    # Within the TTL the document is not read again and the server hears nothing.
    third = build("site", page(url), palette_remote_ttl=3600)
    assert len(http_server.requests) == 2
    assert [near(c, BLUE) for c in first_colours(third)] == [True]


def test_unchanged_image_after_ttl_is_revalidated_with_304(http_server, build):
    http_server.route("/a.png", Origin(RED))
    url = http_server.url("/a.png")
    first = build("site", page(url), palette_remote_ttl=0)
    second = build("site", page(url), palette_remote_ttl=0)
    assert warnings_of(second) == []
    assert first_colours(second) == first_colours(first)
    assert http_server.requests[1].headers.get("If-None-Match") == '"v1"'
    assert "1 from cache" in second._status.getvalue()


def serve_iiif(server) -> str:
    base = server.url("/iiif/img")
    server.route("/iiif/img/info.json", json_response(info_json(base, 3, 1, width=400, height=300)))
    server.route(
        "/iiif/img/full/max/0/default.jpg", Response(headers={"Content-Type": "image/png"}, body=png([BLUE]))
    )
    return base + "/info.json"


def test_offline_build_with_warm_cache_and_server_stopped(http_server, build, monkeypatch):
    http_server.route("/a.png", Origin(RED))
    rst = page(http_server.url("/a.png"), serve_iiif(http_server))
    online = build("online", rst)
    assert warnings_of(online) == []
    http_server.stop()

    monkeypatch.setenv("SPHINX_PALETTE_OFFLINE", "1")
    offline = build("offline", rst, palette_remote_ttl=0)  # even an expired TTL does not go online
    assert warnings_of(offline) == []  # a -W build passes
    assert first_colours(offline) == first_colours(online)
    assert len(first_colours(offline)) == 2


def test_cold_offline_build_warns_and_shows_a_placeholder(http_server, build, monkeypatch):
    http_server.route("/a.png", Origin(RED))
    monkeypatch.setenv("SPHINX_PALETTE_OFFLINE", "1")
    app = build("cold", page(http_server.url("/a.png")))
    (warning,) = warnings_of(app)
    assert "[palette.offline]" in warning and "index.rst" in warning
    assert "Palette unavailable" in html_of(app)
    assert http_server.requests == []


def test_offline_config_value(http_server, build):
    http_server.route("/a.png", Origin(RED))
    app = build("cold", page(http_server.url("/a.png")), palette_offline=True)
    assert any("[palette.offline]" in w for w in warnings_of(app))
    assert http_server.requests == []


def test_same_failing_url_twice_gives_one_warning_and_two_placeholders(http_server, build):
    http_server.route("/missing.png", Response(status=404))
    url = http_server.url("/missing.png")
    app = build("site", page(url, url, options="   :colors: 4\n"))
    (warning,) = warnings_of(app)
    assert "[palette.fetch]" in warning and "HTTP 404" in warning
    assert html_of(app).count("Palette unavailable") == 2
    assert len(http_server.requests) == 1


def test_credentials_never_reach_the_output(http_server, build):
    http_server.route("/ok.png", Origin(RED))
    http_server.route("/missing.png", Response(status=404))
    ok = http_server.url("/ok.png").replace("http://", f"http://reader:{SECRET}@")
    missing = http_server.url("/missing.png").replace("http://", f"http://reader:{SECRET}@")
    app = build("site", page(ok, missing, options="   :show-image:\n"))
    assert http_server.requests[0].headers.get("Authorization", "").startswith("Basic ")
    assert len(first_colours(app)) == 1 and "Palette unavailable" in html_of(app)
    assert http_server.url("/ok.png") in html_of(app)
    assert SECRET not in app.warning.getvalue()
    # The pages and the site data; ``_sources`` holds the reST as written (html_copy_source), like any
    # other text of the author's.
    doctrees = list(Path(app.doctreedir).glob("*.doctree"))
    assert doctrees
    for path in [*Path(app.outdir).rglob("*.html"), Path(app.outdir, "_static", "palettes.json"), *doctrees]:
        assert SECRET.encode() not in path.read_bytes(), path
    for path in (Path(app.srcdir).parent / "cache").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_service_per_process_from_app_or_env(make_app, tmp_path, monkeypatch):
    import os

    from sphinx_palette.sphinxext.service import close_service, get_service

    srcdir = tmp_path / "site"
    shutil.copytree(ROOT, srcdir)
    app = make_app("html", srcdir=srcdir, confoverrides={"palette_remote_ttl": 60, "palette_offline": True})
    service = get_service(app)
    assert get_service(app.env) is service
    assert service.remote_ttl == 60 and service.offline
    assert service.cache.directory == Path(app.confdir, ".palette-cache")  # one per project, not per build
    # A forked -j worker does not share its parent's connections.
    parent = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)
    assert get_service(app) is not service
    close_service(app, None)
    assert get_service(app) is not None


def test_failing_url_on_many_pages_warns_once_serial_and_parallel(http_server, make_app, tmp_path):
    """Workers each meet the URL; the warning is still one, at its first use, as in a serial build."""
    http_server.route("/missing.png", Response(status=404))
    http_server.route("/page.html", Response(headers={"Content-Type": "text/html"}, body=b"<html></html>"))
    missing, html_page = http_server.url("/missing.png"), http_server.url("/page.html")
    results = {}
    for jobs in (1, 2):
        srcdir = tmp_path / f"site-{jobs}"
        shutil.copytree(ROOT, srcdir)
        names = [f"page{i}" for i in range(8)]
        (srcdir / "index.rst").write_text(
            "Pages\n=====\n\n.. toctree::\n\n" + "".join(f"   {n}\n" for n in names), encoding="utf-8"
        )
        for name in names:
            body = f"{name}\n======\n\n.. palette:: {missing}\n\n.. palette:: {html_page}\n"
            (srcdir / f"{name}.rst").write_text(body, encoding="utf-8")
        app = make_app(
            "html",
            srcdir=srcdir,
            parallel=jobs,
            confoverrides={"palette_cache_dir": str(tmp_path / f"cache-{jobs}"), "palette_timeout": 5.0},
        )
        try:
            app.build()
        finally:
            app.cleanup()
        results[jobs] = [re.sub(r"^.*?(page\d\.rst)", r"\1", w) for w in warnings_of(app)]
    assert results[1] == results[2]
    fetch, image = results[1]
    assert fetch.startswith("page0.rst:4") and "[palette.fetch]" in fetch and "HTTP 404" in fetch
    assert image.startswith("page0.rst:6") and "[palette.image]" in image and "HTML page" in image


def test_tls_cacerts_per_host_reaches_the_fetch_settings(make_app, tmp_path):
    from sphinx_palette.sphinxext.service import get_service

    srcdir = tmp_path / "site"
    shutil.copytree(ROOT, srcdir)
    overrides = {"tls_cacerts": {"iiif.example.org": "/certs/iiif.pem"}, "tls_verify": True}
    app = make_app("html", srcdir=srcdir, confoverrides=overrides)
    settings = get_service(app).fetch_settings
    assert settings.verify_for("https://iiif.example.org/x") == "/certs/iiif.pem"
    assert settings.verify_for("https://elsewhere.example.org/x") is True
