"""Every builder Sphinx ships builds a project with palettes: good ones, a failing one, a caption holding a
:ref:, and a palette-index. HTML-family builders get the CSS; the others get no CSS or JavaScript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.sphinx_helpers import warnings_of

BUILDERS = [
    "html",
    "dirhtml",
    "singlehtml",
    "epub",
    "latex",
    "text",
    "man",
    "texinfo",
    "xml",
    "pseudoxml",
    "json",
    "pickle",
    "gettext",
]
# The serialising builders (json, pickle) write HTML fragments and copy the static files too.
HTML_FAMILY = {"html", "dirhtml", "singlehtml", "epub", "json", "pickle"}


def _builder(name: str):
    """A build of a private copy of the ``palette-builders`` root with the builder ``name``."""
    overrides = {"epub_copyright": "2024, tests", "version": "1"}
    mark = pytest.mark.sphinx(
        name, testroot="palette-builders", srcdir=f"builders-{name}", freshenv=True, confoverrides=overrides
    )
    return pytest.param(name, marks=mark, id=name)


@pytest.mark.parametrize("buildername", [_builder(name) for name in BUILDERS])
def test_every_builder(app, buildername: str) -> None:
    app.build()
    out = Path(app.outdir)

    warnings = warnings_of(app)
    # The failing palette warns once, with its location and type; nothing else warns.
    assert len(warnings) == 1, warnings
    assert "index.rst:" in warnings[0]
    assert "image file not found: img/missing.png" in warnings[0]
    assert warnings[0].endswith("[palette.source]")

    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    names = {p.name for p in files}
    if buildername in HTML_FAMILY:
        assert "sphinx-palette.css" in names
        if buildername == "epub":
            # The copy script is for web pages, not e-books.
            pages = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.xhtml"))
            assert "sphinx-palette.css" in pages
            assert "sphinx-palette.js" not in pages
    else:
        assert "sphinx-palette.css" not in names
        assert "sphinx-palette.js" not in names

    if buildername == "latex":
        tex = (out / "palettebasic.tex").read_text(encoding="utf-8")
        assert tex.count(r"\colorbox[HTML]") >= 9
        assert re.search(r"\\colorbox\[HTML\]\{[0-9A-F]{6}\}", tex)
        assert "palette unavailable" in tex
    elif buildername == "text":
        text = (out / "index.txt").read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if re.match(r"^#[0-9a-f]{6}\s+\d+%", line)]
        assert len(lines) == 3, text
        for line in lines:
            assert re.match(r"^#[0-9a-f]{6}  +\d{1,3}%(  \S.*)?$", line), line
        assert "Warm blocks, see Cool page" in text
        assert "[palette unavailable: image file not found: img/missing.png (looked for" in text
        assert "The page goes on after the failure." in text
    elif buildername == "man":
        man = next(out.rglob("*.1")).read_text(encoding="utf-8")
        assert re.search(r"^#[0-9a-f]{6}\s+\d+%", man, re.M)
    elif buildername == "texinfo":
        texi = next(out.glob("*.texi")).read_text(encoding="utf-8")
        assert re.search(r"^#[0-9a-f]{6}\s+\d+%", texi, re.M)
    elif buildername == "xml":
        xml = (out / "index.xml").read_text(encoding="utf-8")
        assert "<palette " in xml and "<palette_swatch " in xml
    elif buildername == "gettext":
        pot = (out / "index.pot").read_text(encoding="utf-8")
        # The caption is translatable like a figure caption.
        assert 'msgid "Warm blocks, see :ref:`cool-section`"' in pot
    elif buildername in ("html", "dirhtml", "singlehtml"):
        page = out / "index.html"
        html = page.read_text(encoding="utf-8")
        assert 'class="palette palette-widths-share' in html
        assert "palette-error" in html
        assert "The page goes on after the failure." in html
        assert "sphinx-palette.css" in html
    if buildername == "singlehtml":
        html = (out / "index.html").read_text(encoding="utf-8")
        # Index entries link within the single page.
        links = re.findall(
            r'<a class="reference internal" href="([^"]*)"><span class="palette-index-title">', html
        )
        assert links and all(link.startswith("#") and "#document-" not in link for link in links), links
