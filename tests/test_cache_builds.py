"""The cache through real Sphinx builds: secrets never stored or shown, bounded size, hostile cache contents,
concurrent builds over one cache, and a build killed with SIGKILL.

Projects are written into ``tmp_path`` with their images on a local HTTP server (and on disk); the palette
cache lives outside the project, as ``palette_cache_dir`` puts it in CI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sphinx_palette.remote.cache import PaletteCache, content_hash
from sphinx_palette.remote.records import is_digest, palette_from_record, remote_from_record
from tests.httpserver import Response
from tests.remote_helpers import Origin, png
from tests.sphinx_helpers import palette_warnings, warnings_of

SECRET = "s3cr3t"
CONF = 'project = "Cache"\nextensions = ["sphinx_palette"]\nexclude_patterns = ["_build"]\n'


def colour(i: int) -> tuple[int, int, int]:
    """A distinct colour for image ``i``."""
    return (37 * i % 256, 91 * i % 256, (200 - 53 * i) % 256)


def write_project(srcdir: Path, rst: str, conf: str = CONF) -> Path:
    srcdir.mkdir(parents=True, exist_ok=True)
    (srcdir / "conf.py").write_text(conf, encoding="utf-8")
    (srcdir / "index.rst").write_text("Cache\n=====\n\n" + rst, encoding="utf-8")
    return srcdir


def directives(sources: list[str], options: str = "") -> str:
    return "\n".join(f".. palette:: {s}\n{options}" for s in sources)


def build(make_app, srcdir: Path, cache: Path, builddir: Path | None = None, strict=False, **overrides):
    confoverrides = {"palette_cache_dir": str(cache), "palette_timeout": 5.0, **overrides}
    app = make_app(
        "html",
        srcdir=srcdir,
        builddir=builddir,
        freshenv=True,
        confoverrides=confoverrides,
        warningiserror=strict,
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def html(app) -> str:
    return (Path(app.outdir) / "index.html").read_text(encoding="utf-8")


def all_bytes(*roots: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for root in roots for p in sorted(root.rglob("*")) if p.is_file()]


# --- issue 13 item 4: secrets in URLs ---------------------------------------------------------------------


def test_token_appears_nowhere_but_in_the_request(make_app, http_server, tmp_path):
    http_server.route("/a.png", Response(body=png([(200, 30, 40)]), headers={"Content-Type": "image/png"}))
    http_server.route("/gone.png", Response(status=404))
    good = http_server.url(f"/a.png?token={SECRET}&size=1")
    bad = http_server.url(f"/gone.png?X-Amz-Signature={SECRET}&museum_pass={SECRET}")
    rst = directives([good], "   :show-image:\n   :download:\n   :caption: Red\n") + "\n" + directives([bad])
    srcdir = write_project(tmp_path / "site", rst, CONF + "html_copy_source = False\n")
    app = build(make_app, srcdir, tmp_path / "cache", palette_redact_params=["museum_pass"])

    # The requests carried the secrets; the page has the palette and says where it came from.
    assert any(SECRET in r.path for r in http_server.requests if r.path.startswith("/a.png"))
    assert any("museum_pass=" + SECRET in r.path for r in http_server.requests)
    assert "--palette-1:" in html(app) and "token=REDACTED" in html(app)
    assert [w["subtype"] for w in palette_warnings(app)] == ["fetch"]
    assert "museum_pass=REDACTED" in warnings_of(app)[0]

    log = app.status.getvalue() + app.warning.getvalue()
    assert SECRET not in log
    leaks = [
        path
        for path, data in all_bytes(Path(app.outdir), Path(app.doctreedir), tmp_path / "cache")
        if SECRET.encode() in data
    ]
    assert leaks == []
    assert (Path(app.outdir) / "_static" / "palettes.json").exists()
    assert (
        list(Path(app.doctreedir).glob("*.doctree"))
        and (Path(app.doctreedir) / "environment.pickle").exists()
    )


# --- issue 13 item 5: bounded ------------------------------------------------------------------------------


def test_a_remote_image_changed_20_times_leaves_at_most_2_blobs(make_app, http_server, tmp_path):
    origin = Origin((250, 0, 0))
    http_server.route("/a.png", origin)
    srcdir = write_project(tmp_path / "site", directives([http_server.url("/a.png")]))
    for version in range(20):
        origin.set(colour(version), f'"v{version}"')
        app = build(make_app, srcdir, tmp_path / "cache", palette_remote_ttl=0)
        assert warnings_of(app) == []
        assert "--palette-1:#{:02x}{:02x}{:02x}".format(*colour(version)) in html(app)
    assert len(list((tmp_path / "cache" / "blobs").iterdir())) <= 2


def test_cache_max_bytes_trims_after_the_build(make_app, tmp_path):
    srcdir = write_project(tmp_path / "site", directives([f"img{i}.png" for i in range(12)]))
    for i in range(12):
        (srcdir / f"img{i}.png").write_bytes(png([colour(i), (250, 250, 250)]))
    app = build(make_app, srcdir, tmp_path / "cache", palette_cache_max_bytes=2000)
    assert warnings_of(app) == []
    entries = list((tmp_path / "cache" / "palettes").iterdir())
    assert 0 < len(entries) < 12
    assert sum(p.stat().st_size for p in entries) <= 2000


# --- issue 15 item 1: a hostile cache directory -----------------------------------------------------------


def test_a_directory_in_place_of_an_entry_does_not_fail_strict_builds_forever(make_app, tmp_path):
    srcdir = write_project(tmp_path / "site", directives(["a.png"]))
    (srcdir / "a.png").write_bytes(png([(200, 30, 40), (10, 20, 250)]))
    cache = tmp_path / "cache"
    clean = html(build(make_app, srcdir, cache))
    (entry,) = (cache / "palettes").iterdir()
    entry.unlink()
    (entry / "inside").mkdir(parents=True)
    for _ in range(2):
        app = build(make_app, srcdir, cache, builddir=tmp_path / "b", strict=True)
        assert warnings_of(app) == []
        assert html(app) == clean
    assert entry.is_file()


# --- concurrent builds and SIGKILL ------------------------------------------------------------------------


def _image_server(http_server, count: int, delay: float = 0.0) -> list[str]:
    for i in range(count):
        body = png([colour(i), (250, 250, 250)], size=32)
        http_server.route(
            f"/img{i}.png", Response(body=body, headers={"Content-Type": "image/png"}, delay=delay)
        )
    return [http_server.url(f"/img{i}.png") for i in range(count)]


def _sphinx(srcdir: Path, builddir: Path, cache: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-D", f"palette_cache_dir={cache}"]
    command += [*extra, str(srcdir), str(builddir)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def assert_consistent(cache: Path, *, killed_writers: bool = False) -> None:
    """Every entry is whole and valid, and no temporary file is left.

    A writer killed by SIGKILL may leave its temporary file behind (nothing runs to remove it); readers never
    see it as an entry, and a trim removes it once it is stale, so it is allowed only then.
    """
    temporaries = list(cache.rglob(".tmp-*"))
    if killed_writers:
        # Once stale, a trim removes what killed writers left.
        for path in temporaries:
            os.utime(path, (0, 0))
        PaletteCache(cache).trim()
        temporaries = list(cache.rglob(".tmp-*"))
    assert temporaries == []
    for path in (cache / "palettes").iterdir():
        record = json.loads(path.read_bytes())
        assert record["key"] == path.stem and palette_from_record(record["palette"]) is not None
    for path in (cache / "blobs").iterdir():
        assert is_digest(path.name) and content_hash(path.read_bytes()) == path.name
    for path in (cache / "remote").iterdir():
        record = json.loads(path.read_bytes())
        assert remote_from_record(record, record["url"]) is not None
        assert (cache / "blobs" / record["blob"]).is_file()


@pytest.mark.slow
def test_two_concurrent_builds_over_one_cache(http_server, tmp_path):
    urls = _image_server(http_server, 100)
    cache = tmp_path / "cache"
    sites = []
    for name in ("one", "two"):
        srcdir = write_project(tmp_path / name, directives(urls))
        sites.append((srcdir, _sphinx(srcdir, srcdir / "_build", cache)))
    for _srcdir, process in sites:
        _out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        assert "WARNING" not in err, err
    assert_consistent(cache)
    assert len(list((cache / "blobs").iterdir())) == 100
    reference = write_project(tmp_path / "clean", directives(urls))
    clean = _sphinx(reference, reference / "_build", tmp_path / "clean-cache")
    assert clean.wait(timeout=600) == 0
    expected = (reference / "_build" / "index.html").read_text()
    for srcdir, _process in sites:
        assert (srcdir / "_build" / "index.html").read_text() == expected


@pytest.mark.slow
def test_a_build_killed_mid_write_then_a_rebuild_gives_the_clean_html(http_server, tmp_path):
    urls = _image_server(http_server, 100, delay=0.02)
    local = [f"local{i}.png" for i in range(30)]
    srcdir = write_project(tmp_path / "site", directives(urls + local))
    for i, name in enumerate(local):
        (srcdir / name).write_bytes(png([colour(i + 100), (5, 5, 5)], size=48))
    cache = tmp_path / "cache"
    process = _sphinx(srcdir, srcdir / "_build", cache)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((cache / "blobs").glob("*"))) < 30:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    _out, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, err  # killed mid-build, not finished
    rebuild = _sphinx(srcdir, srcdir / "_build", cache)
    _out, err = rebuild.communicate(timeout=600)
    assert rebuild.returncode == 0 and "WARNING" not in err, err
    clean = _sphinx(srcdir, tmp_path / "clean-build", tmp_path / "clean-cache")
    _out, err = clean.communicate(timeout=600)
    assert clean.returncode == 0 and "WARNING" not in err, err
    assert (srcdir / "_build" / "index.html").read_text() == (
        tmp_path / "clean-build" / "index.html"
    ).read_text()
    rebuild_again = _sphinx(srcdir, srcdir / "_build", cache)
    assert rebuild_again.wait(timeout=600) == 0
    assert_consistent(cache, killed_writers=True)
