"""The engine's emphases (issue 9): accents on muted photographs with planted patches, the example
exhibit's macaw and frog, ``coverage`` reproducing earlier palettes, the guarantees under every emphasis."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from sphinx_palette import PaletteError, extract_palette
from sphinx_palette.engine.colour import rgb8_to_oklab
from sphinx_palette.engine.names import hue_family

from .test_engine import FOUR_HEXES, four_colour_graphic

EXAMPLES = Path(__file__).resolve().parents[1] / "example_site" / "images"


def _metrics() -> ModuleType:
    """benchmarks/metrics.py (CIEDE2000), loaded by path: benchmarks/ is a folder of scripts."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "metrics.py"
    spec = importlib.util.spec_from_file_location("bench_metrics_for_engine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _example(name: str) -> np.ndarray:
    bgr = cv2.imread(str(EXAMPLES / name))
    assert bgr is not None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _muted_with_patches(rgb: np.ndarray, colours: list[tuple[int, int, int]]) -> np.ndarray:
    """The photograph at 25% of its colour (mixed with its own grey), with one square of 1.5% of the area per
    colour, in different places."""
    grey = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB).astype(np.float64)
    muted = np.rint(grey + 0.25 * (rgb.astype(np.float64) - grey)).astype(np.uint8)
    height, width = muted.shape[:2]
    side = round(math.sqrt(0.015 * height * width))
    corners = [(height // 5, width // 5), (height // 2, 3 * width // 5), (height // 8, 2 * width // 3)]
    for colour, (top, left) in zip(colours, corners, strict=False):
        muted[top : top + side, left : left + side] = colour
    return muted


PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "photos-large" / "1920x1280"
PATCH_COLOURS = [
    [(30, 90, 230), (240, 40, 160)],
    [(20, 160, 230), (140, 40, 200)],
    [(230, 30, 40), (40, 200, 60)],
    [(250, 200, 0), (0, 170, 170)],
    [(120, 60, 220), (255, 120, 0)],
]
# Each photograph with two of the colour pairs (they rotate, so every pair meets several photographs).
PATCH_PHOTOS = [
    *(PHOTOS / name for name in ("Akihabara.jpg", "Boothbay.jpg", "Bryggen.jpg", "Hokkaido.jpg")),
    *(PHOTOS / name for name in ("Lake Atitlan.jpg", "Louvre.jpg", "Yosemite Tunnel View.jpg")),
    *(EXAMPLES / name for name in ("macaws.jpg", "carrots.jpg", "vintage-cars.jpg", "tulip-field.jpg")),
]
PATCH_CASES = [
    (path, PATCH_COLOURS[(index + shift) % len(PATCH_COLOURS)])
    for index, path in enumerate(PATCH_PHOTOS)
    for shift in (0, 2)
]


@pytest.mark.parametrize("emphasis", ["balanced", "vivid"])
@pytest.mark.parametrize(("path", "colours"), PATCH_CASES, ids=lambda v: getattr(v, "stem", None))
def test_two_planted_vivid_patches_are_found_on_a_muted_photograph(path, colours, emphasis):
    # Issue 9: at 25% colour, two squares of 1.5% of the area each are accents a person sees at once.
    metrics = _metrics()
    bgr = cv2.imread(str(path))
    assert bgr is not None, f"{path} is missing (the shared datasets sit beside the checkout)"
    image = _muted_with_patches(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), colours)
    palette = extract_palette(image, 5, emphasis=emphasis)
    swatches = metrics.srgb8_to_lab(np.array([s.rgb for s in palette]))
    for colour in colours:
        distance = metrics.delta_e_2000(metrics.srgb8_to_lab(np.array(colour)), swatches).min()
        assert distance <= 10, (path.name, colour, palette.hexes)
    assert len(palette) == 5 and abs(sum(s.share for s in palette) - 1) < 1e-9


def _oklch(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    lightness, a, b = rgb8_to_oklab(np.array(rgb, float))
    return float(lightness), float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a)) % 360)


def test_macaw_has_a_blue_and_frog_its_red_orange_and_blue_at_five_colours():
    macaw = extract_palette(EXAMPLES / "macaws.jpg", 5)
    assert "blue" in {hue_family(s.rgb) for s in macaw}, macaw.hexes
    frog = extract_palette(EXAMPLES / "red-eyed-tree-frog.jpg", 5)
    assert "blue" in {hue_family(s.rgb) for s in frog}, frog.hexes
    # Its eyes and toes: Oklch hue 30-60 degrees, chroma about 0.15, lightness about 0.58 (hue_family calls
    # an orange that dark "brown", so the test reads Oklch). A dark brown of that hue (the top of the
    # picture, about L 0.35, C 0.08) is not it.
    assert any(
        25 <= hue <= 70 and chroma >= 0.12 and lightness >= 0.5
        for lightness, chroma, hue in map(_oklch, (s.rgb for s in frog))
    ), frog.hexes


# Palettes of engine version 5 (before emphasis existed), recorded from main on 2026-11-28.
COVERAGE_BEFORE = {
    ("macaws.jpg", 5): ["#51523b", "#69864e", "#9b3831", "#d2c6c5", "#edbd0f"],
    ("macaws.jpg", 8): [
        "#5c5e44",
        "#483d2f",
        "#61843a",
        "#a53933",
        "#8c9489",
        "#dbcdce",
        "#eebd0f",
        "#2b2a27",
    ],
    ("ball-caps.jpg", 5): ["#8c8566", "#58646b", "#4b3827", "#bec68f", "#af321c"],
    ("pencils.jpg", 8): [
        "#e93a1d",
        "#f1b90f",
        "#e28626",
        "#375b14",
        "#b11817",
        "#3e8d1d",
        "#1c1510",
        "#1a2815",
    ],
}


@pytest.mark.parametrize(("name", "colors"), list(COVERAGE_BEFORE))
def test_coverage_reproduces_the_palettes_of_engine_version_5(name, colors):
    # Tolerance: identical hex codes, in the same order (the coverage path is unchanged).
    assert (
        list(extract_palette(EXAMPLES / name, colors, emphasis="coverage").hexes)
        == COVERAGE_BEFORE[(name, colors)]
    )


@pytest.mark.parametrize("emphasis", ["balanced", "coverage", "vivid"])
def test_every_emphasis_keeps_the_guarantees(emphasis):
    rgb = np.random.default_rng(3).integers(0, 256, (80, 120, 3), dtype=np.uint8)
    rgb[:, :40] = (128, 128, 128)
    for colors in (1, 2, 5, 8, 12):
        palette = extract_palette(rgb, colors, emphasis=emphasis)
        assert len(palette) == colors and len(set(palette.hexes)) == colors
        assert abs(sum(s.share for s in palette) - 1.0) <= 1e-9
    assert (
        extract_palette(four_colour_graphic(64), 8, emphasis=emphasis).hexes
        == extract_palette(four_colour_graphic(64), 8).hexes
    )
    assert set(extract_palette(four_colour_graphic(64), 4, emphasis=emphasis).hexes) == FOUR_HEXES


def test_vivid_favours_saturated_colours():
    chroma = {
        emphasis: np.hypot(
            *rgb8_to_oklab(
                np.array(
                    [s.rgb for s in extract_palette(EXAMPLES / "macaws.jpg", 5, emphasis=emphasis)], float
                )
            )[:, 1:].T
        ).mean()
        for emphasis in ("coverage", "balanced", "vivid")
    }
    assert chroma["vivid"] > chroma["coverage"]


@pytest.mark.parametrize("emphasis", ["", "Balanced", "accents", None, 1])
def test_bad_emphasis(emphasis):
    with pytest.raises(PaletteError, match="emphasis must be one of balanced, coverage, vivid"):
        extract_palette(four_colour_graphic(8), 3, emphasis=emphasis)
