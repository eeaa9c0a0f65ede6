"""``balanced``'s coverage budget (issue 9, held-out photographs): the accents are kept, but showing vivid
hues more precisely than the accents ask may cost only a little of the coverage."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sphinx_palette import extract_palette
from sphinx_palette.engine.colour import oklab_to_rgb8, rgb8_to_oklab

from .test_emphasis_engine import _metrics

CQ100 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cq100" / "img"


def _grey_ramp_with_muted_hue_bands(size: int = 200) -> np.ndarray:
    """A grey ramp from dark to light, with four vertical bands (24% of the area) of four hues at Oklch
    chroma 0.07: vivid enough to tempt the selection, below the accents' chroma of 0.10."""
    lab = np.zeros((size, size, 3))
    lab[..., 0] = np.linspace(0.25, 0.95, size)[:, None]
    for index, hue in enumerate((30, 120, 200, 300)):
        columns = slice(10 + 48 * index, 22 + 48 * index)
        lab[:, columns, 1] = 0.07 * np.cos(np.radians(hue))
        lab[:, columns, 2] = 0.07 * np.sin(np.radians(hue))
    return oklab_to_rgb8(lab.reshape(-1, 3)).reshape(size, size, 3).astype(np.uint8)


def _mean_distance(image: np.ndarray, palette) -> float:
    """Mean Oklab distance from each pixel to its nearest swatch: the coverage the budget is about."""
    pixels = rgb8_to_oklab(image.reshape(-1, 3).astype(float))
    swatches = rgb8_to_oklab(np.array([s.rgb for s in palette], float))
    return float(np.sqrt(((pixels[:, None] - swatches[None]) ** 2).sum(axis=2)).min(axis=1).mean())


@pytest.mark.parametrize("colors", [5, 8])
def test_balanced_keeps_to_its_coverage_budget_where_hues_would_overspend(colors):
    image = _grey_ramp_with_muted_hue_bands()
    coverage = _mean_distance(image, extract_palette(image, colors, emphasis="coverage"))
    # vivid has no budget: the bands tempt the selection into a much worse coverage.
    assert _mean_distance(image, extract_palette(image, colors, emphasis="vivid")) > 1.3 * coverage
    # balanced: the budget (6% over the best coverage of the candidates, themselves a little worse than
    # k-means) holds.
    assert _mean_distance(image, extract_palette(image, colors)) <= 1.1 * coverage


@pytest.mark.parametrize("colors", [5, 8])
def test_an_accent_is_shown_within_the_budget(colors):
    metrics = _metrics()
    image = _grey_ramp_with_muted_hue_bands()
    image[100:128, 150:178] = (20, 80, 235)  # 2% of the area, a vivid blue: an accent
    palette = extract_palette(image, colors)
    swatches = metrics.srgb8_to_lab(np.array([s.rgb for s in palette]))
    assert metrics.delta_e_2000(metrics.srgb8_to_lab(np.array([20, 80, 235])), swatches).min() <= 10
    coverage = _mean_distance(image, extract_palette(image, colors, emphasis="coverage"))
    assert _mean_distance(image, palette) <= 1.1 * coverage


def test_the_budget_never_swaps_out_the_swatch_of_an_accent():
    # CQ100's temple at 8 colours: the greedy choice shows its four accent hues but covers the image more
    # than 6% worse than it could; had the swaps back within the budget been free to take out the accents'
    # own swatches, two of the four accents would go.
    metrics = _metrics()
    path = CQ100 / "sagami_temple.png"
    assert path.is_file(), f"{path} is missing (the shared datasets sit beside the checkout)"
    bgr = cv2.imread(str(path))
    assert bgr is not None
    accents = metrics.ImageColours(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).accents
    assert len(accents) == 4
    palette = np.array([s.rgb for s in extract_palette(path, 8)])
    assert metrics.recalled(accents, palette).all(), palette
