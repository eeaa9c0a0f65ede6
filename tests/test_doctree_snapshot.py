"""The shape of palette nodes, as the doctree holds them (pickled, written by the XML builders, read by
visitors and by other extensions), compared with a stored snapshot so that any change of it is seen.

The images are flat colour blocks, so the swatches are exact whatever the clustering. After a deliberate
change, rewrite the snapshot with ``SPHINX_PALETTE_UPDATE_SNAPSHOTS=1 pytest tests/test_doctree_snapshot.py``
and review its diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from sphinx_palette.sphinxext.nodes import palette

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "palette-nodes.txt"


def _palettes(app, docname: str, *, failed: bool = False) -> list[str]:
    # Resolved, as builders see it: palettes are filled in from their records (`resolve.FillPalettes`).
    nodes = app.env.get_and_resolve_doctree(docname, app.builder, tags=app.builder.tags).findall(palette)
    return [node.pformat() for node in nodes if bool(node.get("error")) == failed]


def _compare(name: str, text: str) -> None:
    path = SNAPSHOT.with_name(name)
    if os.environ.get("SPHINX_PALETTE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "stored", "built"))
    assert text == expected, f"the palette nodes changed shape:\n{diff}"


@pytest.mark.sphinx("html", testroot="palette-basic", srcdir="snapshot-basic", freshenv=True)
def test_palette_nodes_keep_their_shape(app) -> None:
    app.build()
    parts = [
        f"== {doc}\n{text}"
        for doc in ("index", "gallery/other", "gallery/cool")
        for text in _palettes(app, doc)
    ]
    _compare("palette-nodes.txt", "".join(parts))


@pytest.mark.sphinx("html", testroot="palette-errors", srcdir="snapshot-errors", freshenv=True)
def test_placeholder_nodes_keep_their_shape(app) -> None:
    app.build()
    # The one good palette there merges three blocks into two swatches: the engine's business, not shape.
    _compare("palette-placeholders.txt", "".join(_palettes(app, "index", failed=True)))
