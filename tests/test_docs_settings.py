"""The configuration table of docs/reference.rst is generated from the declared settings: never drifts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sphinx_palette.settings import SETTINGS

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture
def docs_project(tmp_path: Path) -> Path:
    """A one-page project using the docs' own ``settings_table`` extension, as docs/conf.py does."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        'extensions = ["sphinx_palette", "settings_table"]\n',
        encoding="utf-8",
    )
    (src / "index.rst").write_text("Settings\n========\n\n.. palette-settings::\n", encoding="utf-8")
    return src


def test_the_table_lists_every_setting_with_its_default_and_doc(make_app, docs_project: Path) -> None:
    app = make_app("html", srcdir=docs_project, freshenv=True)
    app.build()
    assert app.warning.getvalue() == ""
    html = Path(app.outdir, "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
        for r in rows
    ]
    assert cells[0] == ["name", "default", "meaning"]
    assert [c[0] for c in cells[1:]] == [f"palette_{s.name}" for s in SETTINGS]
    by_name = {c[0]: c for c in cells[1:]}
    assert by_name["palette_max_bytes"][1] == "50_000_000"
    assert by_name["palette_sort"][1] == "&quot;share&quot;"
    assert by_name["palette_offline"][1] == "False"
    assert by_name["palette_colors"][2] == "Swatches per palette, 1 to 32."


def test_the_reference_uses_the_generated_table():
    reference = (DOCS / "reference.rst").read_text(encoding="utf-8")
    assert ".. palette-settings::" in reference
    # No hand-written row of a setting is left to drift.
    assert not re.search(r"^\s*\* - ``palette_", reference, re.M)
    assert '"settings_table"' in (DOCS / "conf.py").read_text(encoding="utf-8")
