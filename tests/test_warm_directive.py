"""The directive reads the build's settings once per build (not once per palette), and never across builds.

A warm build's directives cost what docutils and the page need; the ``palette_*`` values and the resolved
allowed folders are made once per Sphinx ``Config``. A second build in the same process, with other
settings, must see its own: a folder allowed in one build is refused in the next.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from sphinx_palette.sphinxext import directive
from tests.sphinx_helpers import WARNING, palette_warnings, warnings_of

pytest_plugins = "sphinx.testing.fixtures"


def _project(root: Path) -> Path:
    shared = root / "shared-images"
    shared.mkdir()
    cv2.imwrite(str(shared / "red.png"), np.full((10, 10, 3), (30, 30, 200), np.uint8))
    src = root / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
    pages = "".join(f"P{n}\n==\n\n.. palette:: ../shared-images/red.png\n   :colors: 2\n\n" for n in range(3))
    (src / "index.rst").write_text(pages, encoding="utf-8")
    return src


def test_settings_made_once_per_build_and_never_shared(make_app, tmp_path: Path, monkeypatch) -> None:
    src = _project(tmp_path)
    made: list[list[str]] = []
    original = directive.allowed_roots

    def counted(srcdir: str, allowed: list[str]) -> list[Path]:
        made.append(list(allowed))
        return original(srcdir, allowed)

    monkeypatch.setattr(directive, "allowed_roots", counted)
    cache = str(tmp_path / "cache")
    allowed = make_app(
        "html",
        srcdir=src,
        confoverrides={"palette_cache_dir": cache, "palette_allowed_paths": ["../shared-images"]},
    )
    allowed.build()
    assert palette_warnings(allowed) == []
    assert made == [["../shared-images"]]  # three palettes, one snapshot

    refused = make_app("html", srcdir=src, confoverrides={"palette_cache_dir": cache}, freshenv=True)
    refused.build(force_all=True)
    # (A second app in one process also warns that Sphinx's own nodes are registered again: not ours.)
    ours = [m["subtype"] for line in warnings_of(refused) if (m := WARNING.match(line))]
    assert ours == ["path"] * 3
    assert len(made) == 2 and not made[1]
