"""One Markdown page, two generators: Sphinx + MyST and MkDocs give the same palettes.

The page holds three palettes (a local image, a remote image, a IIIF manifest served by a local server);
each generator builds it with its own, empty cache, and the hex codes and shares must be equal.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.httpserver import Response, json_response
from tests.mkdocs_helpers import Project, summary_of
from tests.remote_helpers import png
from tests.test_mkdocs_build import WARM, manifest, swatches

pytest.importorskip("mkdocs")
pytest.importorskip("myst_parser")

CONF = (
    'project = "Same page"\nextensions = ["myst_parser", "sphinx_palette"]\nexclude_patterns = ["_build"]\n'
)


def page(server) -> str:
    """A MyST page with a local, a remote and a IIIF palette, written once for both generators."""
    return (
        "# Three palettes\n\n"
        "```{palette} img/warm.png\n:colors: 4\n:caption: Local blocks\n```\n\n"
        f"```{{palette}} {server.url('/stripes.png')}\n:colors: 3\n:sort: lightness\n```\n\n"
        f"```{{palette}} {server.url('/manifest.json')}\n---\ncolors: 2\n---\n```\n"
    )


def test_sphinx_and_mkdocs_give_the_same_palettes_for_the_same_page(tmp_path, http_server):
    image = http_server.url("/plate.png")
    stripes = png([(200, 30, 40), (30, 160, 60), (240, 220, 200)])
    http_server.route("/stripes.png", Response(headers={"Content-Type": "image/png"}, body=stripes))
    http_server.route(
        "/plate.png", Response(headers={"Content-Type": "image/png"}, body=png([(20, 40, 200)]))
    )
    http_server.route("/manifest.json", json_response(manifest(http_server.url("/manifest.json"), image)))
    text = page(http_server)

    sphinx_src = tmp_path / "sphinx"
    (sphinx_src / "img").mkdir(parents=True)
    shutil.copy(WARM, sphinx_src / "img" / "warm.png")
    (sphinx_src / "conf.py").write_text(CONF, encoding="utf-8")
    (sphinx_src / "index.md").write_text(text, encoding="utf-8")
    command = [
        sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html",
        "-D", f"palette_cache_dir={tmp_path / 'sphinx-cache'}", str(sphinx_src), str(tmp_path / "out"),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "SPHINX_PALETTE_OFFLINE"}
    subprocess.run(command, check=True, env=env)
    from_sphinx = swatches((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))

    project = Project.copy("basic", tmp_path / "mkdocs")
    project.write("index.md", text)
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    assert summary_of(done.stderr)[3] == 0
    from_mkdocs = swatches(project.html("index.html"))

    assert len(from_sphinx) == 3
    assert [len(s) for s in from_sphinx] == [3, 3, 1]  # the images have 3, 3 and 1 colours
    assert from_mkdocs == from_sphinx
    # The same accessible names too (titles from the caption, the file name, the manifest's label).
    labels = re.compile(r'<ul aria-label="([^"]+)" class="palette-bar">')
    assert labels.findall(project.html("index.html")) == labels.findall(
        (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    )
    # One renderer: the swatch bars are the same bytes, tooltips, inks and labels included.
    bars = re.compile(r'<ul aria-label="[^"]+" class="palette-bar">.*?</ul>', re.S)
    from_sphinx_bars = bars.findall((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
    assert len(from_sphinx_bars) == 3
    assert bars.findall(project.html("index.html")) == from_sphinx_bars
