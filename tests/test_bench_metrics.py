"""Tests of the benchmark's CIEDE2000 metric against published reference data."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest


def _load_metrics() -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package, so load the module by path.
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "metrics.py"
    spec = importlib.util.spec_from_file_location("bench_metrics", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


metrics = _load_metrics()

# Sharma, Wu & Dalal (2005), Table 1: L1 a1 b1, L2 a2 b2, ΔE00 to 4 decimals.
SHARMA_PAIRS = np.array(
    [
        [50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425],
        [50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615],
        [50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412],
        [50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669],
        [50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461],
        [50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065],
        [50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492],
        [50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977],
        [50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030],
        [50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000],
        [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
        [63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630],
        [61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731],
        [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
        [22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373],
        [36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
        [90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441],
        [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
        [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
        [2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082],
    ]
)


def test_sharma_pairs_to_four_decimals() -> None:
    assert SHARMA_PAIRS.shape == (34, 7)
    got = metrics.delta_e_2000(SHARMA_PAIRS[:, :3], SHARMA_PAIRS[:, 3:6])
    np.testing.assert_array_equal(np.round(got, 4), SHARMA_PAIRS[:, 6])


def test_sharma_pairs_symmetric() -> None:
    forward = metrics.delta_e_2000(SHARMA_PAIRS[:, :3], SHARMA_PAIRS[:, 3:6])
    backward = metrics.delta_e_2000(SHARMA_PAIRS[:, 3:6], SHARMA_PAIRS[:, :3])
    np.testing.assert_allclose(forward, backward, atol=1e-12)


def test_srgb_white_black_and_red() -> None:
    lab = metrics.srgb8_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], np.uint8))
    np.testing.assert_allclose(lab[0], [100.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(lab[1], [0.0, 0.0, 0.0], atol=1e-9)
    # Published D65 value for sRGB red.
    np.testing.assert_allclose(lab[2], [53.2408, 80.0925, 67.2032], atol=1e-3)


def test_float_and_integer_inputs_agree() -> None:
    rgb = np.array([[12, 200, 99], [250, 1, 128]], np.uint8)
    np.testing.assert_allclose(
        metrics.srgb8_to_lab(rgb), metrics.srgb8_to_lab(rgb.astype(np.float64)), atol=1e-12
    )


def test_mean_delta_e_exact_palette_is_zero() -> None:
    image = np.zeros((4, 5, 3), np.uint8)
    image[:2] = (200, 30, 40)
    image[2:] = (10, 90, 250)
    palette = np.array([[10, 90, 250], [200, 30, 40]])
    assert metrics.mean_delta_e(image, palette) == pytest.approx(0.0, abs=1e-9)


def test_mean_delta_e_weights_pixels_and_picks_nearest_by_de00() -> None:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, size=(23, 17, 3), dtype=np.uint8)
    image[:5] = image[0, 0]  # many repeats, so the distinct-colour weighting matters
    palette = rng.integers(0, 256, size=(6, 3))
    pixels = metrics.srgb8_to_lab(image.reshape(-1, 3))[:, None, :]
    brute = metrics.delta_e_2000(pixels, metrics.srgb8_to_lab(palette)[None]).min(axis=1).mean()
    # mean_delta_e works in float32; the float64 reference agrees far below reported precision.
    assert metrics.mean_delta_e(image, palette) == pytest.approx(brute, abs=1e-3)


def test_nearest_swatch_is_chosen_by_de00_not_euclidean_lab() -> None:
    grey = np.full((3, 3, 3), 128, np.uint8)
    palette = np.array([[128, 140, 128], [120, 128, 145]])
    lab_grey = metrics.srgb8_to_lab(grey[0, :1])
    lab_pal = metrics.srgb8_to_lab(palette)
    euclid = np.linalg.norm(lab_pal - lab_grey, axis=1)
    de00 = metrics.delta_e_2000(lab_grey, lab_pal)
    # The two criteria disagree for this grey, so the test tells them apart.
    assert np.argmin(euclid) == 0
    assert np.argmin(de00) == 1
    assert metrics.mean_delta_e(grey, palette) == pytest.approx(de00[1], abs=1e-4)


# --- accent recall (issue 9) ----------------------------------------------------------------------------

RED = (220, 30, 40)
GREY = (128, 128, 128)


def _image_with(patches: list[tuple[tuple[int, int, int], int]], size: int = 100) -> np.ndarray:
    """A grey ``size``×``size`` image whose first pixels (row-major) are ``count`` pixels of each colour."""
    flat = np.tile(np.array(GREY, np.uint8), (size * size, 1))
    start = 0
    for colour, count in patches:
        flat[start : start + count] = colour
        start += count
    return flat.reshape(size, size, 3)


def test_one_percent_of_a_vivid_hue_is_an_accent_at_its_hue() -> None:
    image = _image_with([(RED, 100)])  # exactly 1% of 10,000 pixels
    colours, counts = metrics.unique_colours(image)
    hues = metrics.accent_hues(colours, counts)
    _, red_hue = metrics.oklch(np.array([RED]))
    np.testing.assert_allclose(hues, red_hue, atol=1e-9)


def test_less_than_one_percent_or_a_muted_colour_is_no_accent() -> None:
    assert metrics.accent_recall(_image_with([(RED, 99)]), np.array([RED])) is None
    muted = (150, 120, 110)  # Oklch chroma about 0.03
    assert metrics.oklch(np.array([muted]))[0][0] < metrics.ACCENT_CHROMA
    assert metrics.accent_recall(_image_with([(muted, 5000)]), np.array([muted])) is None


def test_accent_hue_is_the_chroma_weighted_circular_mean_of_its_sector() -> None:
    orange, darker = (230, 120, 30), (150, 80, 20)
    chroma, hue = metrics.oklch(np.array([orange, darker]))
    assert int(hue[0] // 30) == int(hue[1] // 30) and min(chroma) >= metrics.ACCENT_CHROMA
    image = _image_with([(orange, 300), (darker, 600)])
    colours, counts = metrics.unique_colours(image)
    weights = np.array([300, 600]) * chroma
    radians = np.radians(hue)
    expected = np.degrees(np.arctan2(weights @ np.sin(radians), weights @ np.cos(radians))) % 360
    np.testing.assert_allclose(metrics.accent_hues(colours, counts), [expected], atol=1e-9)


def test_two_sectors_two_accents_and_recall_fraction() -> None:
    blue = (30, 60, 220)
    image = _image_with([(RED, 500), (blue, 500)])
    assert len(metrics.accent_hues(*metrics.unique_colours(image))) == 2
    assert metrics.accent_recall(image, np.array([GREY, RED])) == 0.5
    assert metrics.accent_recall(image, np.array([GREY, RED, blue])) == 1.0
    assert metrics.ImageColours(image).accent_recall(np.array([GREY, blue])) == 0.5


def test_recall_needs_chroma_and_a_hue_within_25_degrees_across_zero() -> None:
    swatch = np.array([RED])
    _, (hue,) = metrics.oklch(swatch)
    accents = np.array([hue + 24.9, hue - 24.9, hue + 25.5, hue + 180])
    assert metrics.recalled(accents, swatch).tolist() == [True, True, False, False]
    # A swatch at about 2.5° recalls an accent at 350° (12.5° apart across 0°), not one at 330°.
    rose = np.array([[255, 0, 128]])
    _, (rose_hue,) = metrics.oklch(rose)
    assert 0 < rose_hue < 5
    assert metrics.recalled(np.array([350.0, 330.0]), rose).tolist() == [True, False]
    # A grey swatch (chroma below 0.05) recalls nothing, even at the same hue angle.
    assert metrics.oklch(np.array([[130, 127, 127]]))[0][0] < metrics.RECALL_CHROMA
    assert not metrics.recalled(np.array([17.0]), np.array([[130, 127, 127]])).any()
    assert metrics.recalled(np.array([]), swatch).shape == (0,)


def test_bench_pools_recall_and_takes_held_out_subsets(monkeypatch) -> None:
    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setitem(sys.modules, "metrics", metrics)
    spec = importlib.util.spec_from_file_location("bench_script", folder / "bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # dataclasses look their module up while defined
    spec.loader.exec_module(bench)
    # Three images: 2 accents (1 recalled), none, 4 accents (4 recalled).
    result = bench.Result(
        seconds=[0.1, 0.2, 0.3],
        delta_e=[5.0, 6.0, 7.0],
        counts=[5, 5, 5],
        recalled=[1, 4],
        accents=[2, 4],
        image_accents=[2, 0, 4],
    )
    assert result.recall() == pytest.approx(5 / 6)
    held_out = result.subset([True, True, False])
    assert held_out.recall() == 0.5 and held_out.delta_e == [5.0, 6.0] and held_out.seconds == [0.1, 0.2]
    assert result.subset([False, True, False]).accents == []
