"""No source or option value an author can write crashes a build (issue 13 item 3).

Hypothesis writes pages of ``palette`` directives with random sources (text, URL shapes with hostile hosts,
ports, schemes and brackets, Windows and escaping paths, real images) and random option values, and builds
each page with Sphinx in this process. Every build must finish, with palette warnings and placeholders only:
no exception, no error. Name lookups for anything but the local server fail as an unknown name would, so the
test never leaves this machine.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sphinx_palette.options import PALETTE_FLAG_OPTIONS, PALETTE_VALUE_OPTIONS
from tests.httpserver import Response
from tests.remote_helpers import png
from tests.sphinx_helpers import warnings_of

CONF = 'project = "Fuzz"\nextensions = ["sphinx_palette"]\nexclude_patterns = ["_build"]\n'
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")

# One line of text without what would end the directive block (a line break) or be trimmed away.
line = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


def url_shapes(base: str) -> st.SearchStrategy[str]:
    """URLs as authors mistype them, pointing at the local server or at names that resolve nowhere."""
    port = base.rsplit(":", 1)[1]
    host = (
        st.sampled_from(
            [
                f"127.0.0.1:{port}",
                f"localhost:{port}",
                "[::1",
                "[::1]:1",
                "bücher.invalid",
                "exa mple.org",
                "",
                "u:p@localhost:99999",
                "xn--.invalid",
                "a..b",
                "[",
                "127.0.0.1:0",
                f"u:p@127.0.0.1:{port}",
                "::1]",
            ]
        )
        | line
    )
    scheme = st.sampled_from(["http", "https", "HTTP", "ftp", "file", "data", "mailto", "javascript"])
    path = (
        st.sampled_from(["/a.png", "/missing.png", "/page.html", "/a b.png", "/a.png?token=s3cr3t", ""])
        | line
    )
    return st.builds(lambda s, h, p: f"{s}://{h}{p}", scheme, host, path)


def sources(base: str) -> st.SearchStrategy[str]:
    return st.one_of(
        url_shapes(base),
        line,
        st.sampled_from(
            [
                "a.png",
                "C:\\images\\a.png",
                "\\\\server\\share\\a.png",
                "../../../../etc/passwd",
                "/etc/hostname",
                "data:image/png;base64,iVBORw0KGgo=",
                "file:///etc/passwd",
                "http://[::1/x.png",
                "http://u:p@localhost:99999/x.png",
                "a.png#frag",
                ".",
                "_build",
            ]
        ),
    )


# :class: and :name: are docutils' own (an impossible class name is docutils' error, as for every directive).
options = st.dictionaries(
    st.sampled_from([name for name in PALETTE_VALUE_OPTIONS if name not in ("class", "name")]),
    line
    | st.sampled_from(
        ["0", "-1", "33", "1e9", "5", "share", "hue", "equal", "full", "pct:0,0,200,200", "1,1,0,0"]
    ),
    max_size=4,
)
flags = st.sets(st.sampled_from(PALETTE_FLAG_OPTIONS))


def directive(source: str, values: dict[str, str], flag_names: set[str]) -> str:
    body = [f"   :{name}: {value}" for name, value in values.items()]
    body += [f"   :{name}:" for name in sorted(flag_names)]
    return "\n".join([f".. palette:: {source}", *body, ""])


@pytest.fixture
def local_names_only(monkeypatch):
    real = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOCAL_NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


@pytest.mark.slow
def test_random_sources_and_options_give_warnings_only(make_app, http_server, tmp_path, local_names_only):
    http_server.route("/a.png", Response(body=png([(200, 30, 40)]), headers={"Content-Type": "image/png"}))
    http_server.route("/page.html", Response(body=b"<html>hi</html>", headers={"Content-Type": "text/html"}))
    srcdir = tmp_path / "site"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(CONF)
    (srcdir / "a.png").write_bytes(png([(10, 20, 250), (250, 250, 250)]))
    counter = iter(range(10**6))

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(st.tuples(sources(http_server.base_url), options, flags), min_size=1, max_size=8))
    def one_build(blocks):
        rst = "Fuzz\n====\n\n" + "\n".join(directive(*block) for block in blocks)
        (srcdir / "index.rst").write_text(rst, encoding="utf-8")
        overrides = {
            "palette_cache_dir": str(tmp_path / "cache"),
            "palette_timeout": 2.0,
            "palette_remote_ttl": 0,
        }
        app = make_app(
            "html", srcdir=srcdir, builddir=tmp_path / f"b{next(counter)}", confoverrides=overrides
        )
        try:
            app.build()  # raises on any exception in the extension
        finally:
            app.cleanup()
        assert "build succeeded" in app.status.getvalue()
        for text in warnings_of(app):
            assert "ERROR" not in text and "Traceback" not in text and "Exception" not in text, text
        page = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
        assert "s3cr3t" not in page and "s3cr3t" not in app.warning.getvalue()
        # One palette or placeholder per directive (the page joins them all).
        assert len(re.findall(r'<figure class="palette', page)) + page.count("palette-error") >= 1

    one_build()
