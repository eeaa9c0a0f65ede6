"""One palette cache per project, shared by every builder and outside every output (issue 14 item 10)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np

from tests.sphinx_helpers import summary, warnings_of

CONF = 'extensions = ["sphinx_palette"]\nproject = "Shared"\ncopyright = "2024, tests"\nversion = "1"\n'


def project(root: Path) -> Path:
    src = root / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.rst").write_text(
        "Doc\n===\n\n.. palette:: two.png\n   :caption: Two\n\n.. palette:: two.png\n   :colors: 2\n",
        encoding="utf-8",
    )
    image = np.full((40, 60, 3), (40, 60, 200), np.uint8)
    image[:, 30:] = (230, 200, 30)
    cv2.imwrite(str(src / "two.png"), image)
    return src


def test_every_builder_shares_the_project_cache(make_app, tmp_path: Path) -> None:
    src = project(tmp_path)
    runs = {}
    for builder in ("html", "latex", "epub"):
        # Separate output and doctree directories, as `sphinx-build -b X src _build/X` gives each builder.
        out = tmp_path / "_build" / builder
        app = make_app(builder, srcdir=src, builddir=out)
        app.build()
        runs[builder] = (summary(app), warnings_of(app))
        app.cleanup()
    assert runs["html"] == ((2, 2, 0, 0), [])
    assert runs["latex"] == ((2, 0, 2, 0), [])
    assert runs["epub"] == ((2, 0, 2, 0), [])
    cache = src / ".palette-cache"
    assert any(cache.rglob("*.json"))
    # Nothing of the cache in any output, nor in the packed e-book.
    assert not [p for p in (tmp_path / "_build").rglob("*") if "palette-cache" in p.as_posix()]
    [book] = (tmp_path / "_build" / "epub").rglob("*.epub")
    assert not [n for n in zipfile.ZipFile(book).namelist() if "cache" in n]
