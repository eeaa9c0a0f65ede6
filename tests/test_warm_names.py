"""Naming swatches without numpy: the plain-float Oklab path gives the very names and families the numpy
arithmetic gives, and a build of cached palettes never imports numpy."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from sphinx_palette.engine import names
from sphinx_palette.engine.colour import oklab_of, rgb8_to_oklab

GRID = [(r, g, b) for r in range(0, 256, 9) for g in range(0, 256, 9) for b in range(0, 256, 9)]
SAMPLE = GRID + [tuple(random.Random(10).randrange(256) for _ in range(3)) for _ in range(3000)]


def numpy_name_and_family(rgb: tuple[int, int, int]) -> tuple[str, str]:
    """What the numpy arithmetic alone decides (the engine's names before the plain-float path)."""
    family = names._family(*names._oklch_by_numpy(rgb))
    exact = names._NAME_BY_RGB.get(rgb)
    return (exact or names._nearest_by_numpy(rgb, family)), family


def test_plain_oklab_is_numpys_to_a_few_units_in_the_last_place():
    plain = np.array([oklab_of(rgb) for rgb in SAMPLE])
    assert np.abs(plain - rgb8_to_oklab(np.array(SAMPLE, dtype=np.float64))).max() < 1e-13


def test_names_and_families_are_the_ones_numpy_decides():
    for rgb in SAMPLE:
        assert (names.nearest_css_name(rgb), names.hue_family(rgb)) == numpy_name_and_family(rgb), rgb


def test_the_css_keywords_are_grouped_as_numpy_groups_them():
    for family, (keywords, _) in names._NAMES_BY_FAMILY.items():
        assert all(numpy_name_and_family(names.CSS_COLOURS[k])[1] == family for k in keywords)


def test_a_close_call_is_left_to_numpy(monkeypatch):
    # Every decision counts as close when the margin is huge: each then goes through numpy, same answers.
    asked: list[tuple[int, int, int]] = []
    nearest, oklch = names._nearest_by_numpy, names._oklch_by_numpy
    monkeypatch.setattr(names, "_UNDECIDED", 10.0)
    monkeypatch.setattr(names, "_nearest_by_numpy", lambda rgb, fam: asked.append(rgb) or nearest(rgb, fam))
    monkeypatch.setattr(names, "_oklch_by_numpy", lambda rgb: asked.append(rgb) or oklch(rgb))
    for rgb in SAMPLE[::50]:
        assert (names.nearest_css_name(rgb), names.hue_family(rgb)) == numpy_name_and_family(rgb)
    assert len(asked) >= len(SAMPLE[::50])


@pytest.mark.parametrize("rgb", [(12, 200, 40), (255, 255, 255), (0, 0, 0), (128, 0, 128), (201, 180, 90)])
def test_naming_and_inks_import_no_numpy(rgb):
    # A fresh interpreter: what a build of cached palettes imports to name its swatches and write them.
    script = f"""
import sys
import sphinx_palette.sphinxext, sphinx_palette.remote.background, sphinx_palette.remote.cache
from sphinx_palette.engine import Palette, Swatch
from sphinx_palette.engine.colour import text_colour_for
palette = Palette((Swatch({rgb}, 1.0),))
print(palette.to_dict()["swatches"][0]["name"], text_colour_for({rgb}), "numpy" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    name, ink, loaded = done.stdout.split()
    assert (name, loaded) == (numpy_name_and_family(rgb)[0], "False")
    assert ink in ("#000000", "#ffffff")
