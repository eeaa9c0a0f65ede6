"""LaTeX: :show-image: includes the image, captioned palettes are numbered floats (issue 14 item 12)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np


def test_captioned_palette_is_a_numbered_figure_with_its_image(make_app, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_palette"]\nnumfig = True\n', encoding="utf-8")
    image = np.full((40, 60, 3), (40, 60, 200), np.uint8)
    cv2.imwrite(str(src / "two.png"), image)
    (src / "index.rst").write_text(
        "Doc\n===\n\nSee :numref:`warm`.\n\n"
        ".. palette:: two.png\n   :show-image:\n   :caption: Warm and cool\n   :name: warm\n\n"
        ".. palette:: two.png\n   :colors: 2\n",
        encoding="utf-8",
    )
    app = make_app("latex", srcdir=src, confoverrides={"palette_cache_dir": str(tmp_path / "cache")})
    app.build()
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    figure = re.search(r"\\begin\{figure\}\[htbp\](.*?)\\end\{figure\}", tex, flags=re.DOTALL)
    assert figure is not None, tex
    body = figure.group(1)
    assert r"\renewcommand{\figurename}{Palette}" in body
    assert re.search(r"\\sphinxincludegraphics\{\{two\}\.png\}", body)
    assert r"\colorbox[HTML]" in body
    # The label follows the caption, so \ref (and :numref:) gives the float's number.
    assert re.search(r"\\caption\{Warm and cool\}\\label\{\\detokenize\{index:warm\}\}", body)
    assert r"\hyperref[\detokenize{index:warm}]{Palette \ref{\detokenize{index:warm}}}" in tex
    assert (Path(app.outdir) / "two.png").is_file()
    # The uncaptioned palette stays inline: one figure only.
    assert tex.count(r"\begin{figure}") == 1
