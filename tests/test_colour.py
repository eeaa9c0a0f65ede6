"""Colour conversions: Oklab against Ottosson's reference values, WCAG contrast, text colour on swatches."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphinx_palette.engine.colour import (
    contrast_ratio,
    hex_to_rgb,
    lightness_to_grey8,
    linear_to_srgb,
    oklab_to_rgb8,
    relative_luminance,
    rgb8_to_oklab,
    rgb_to_hex,
    srgb_to_linear,
    text_colour_for,
)

# sRGB primaries in Oklab as published with the reference implementation (Ottosson 2020; CSS Color 4).
REFERENCE_OKLAB = {
    (255, 255, 255): (1.0, 0.0, 0.0),
    (0, 0, 0): (0.0, 0.0, 0.0),
    (255, 0, 0): (0.627955, 0.224863, 0.125846),
    (0, 255, 0): (0.866440, -0.233888, 0.179498),
    (0, 0, 255): (0.452014, -0.032457, -0.311528),
}

GRID_4BIT = np.array(list(itertools.product(range(0, 256, 17), repeat=3)), dtype=np.int64)


@pytest.mark.parametrize(("rgb", "lab"), REFERENCE_OKLAB.items())
def test_oklab_reference_values(rgb, lab):
    assert rgb8_to_oklab(np.array(rgb)) == pytest.approx(lab, abs=2e-4)


def test_oklab_round_trip_on_a_grid():
    assert np.array_equal(oklab_to_rgb8(rgb8_to_oklab(GRID_4BIT)), GRID_4BIT)


@settings(max_examples=200, deadline=None)
@given(st.tuples(*[st.integers(0, 255)] * 3))
def test_oklab_round_trip_any_colour(rgb):
    assert tuple(oklab_to_rgb8(rgb8_to_oklab(np.array(rgb)))) == rgb


def test_greys_have_no_chroma_and_map_back_exactly():
    greys = np.arange(256)
    lab = rgb8_to_oklab(np.stack([greys] * 3, axis=1))
    assert np.abs(lab[:, 1:]).max() < 1e-6
    assert np.array_equal(lightness_to_grey8(lab[:, 0]), greys)


def test_srgb_transfer_function_round_trip():
    values = np.linspace(0, 1, 1001)
    assert linear_to_srgb(srgb_to_linear(values)) == pytest.approx(values, abs=1e-12)
    assert linear_to_srgb(np.array([-0.5, 2.0])) == pytest.approx([0.0, 1.0], abs=1e-12)


def test_hex_codes():
    assert rgb_to_hex((255, 0, 16)) == "#ff0010"
    assert hex_to_rgb("#FF0010") == (255, 0, 16)
    assert hex_to_rgb("abc") == (0xAA, 0xBB, 0xCC)
    for bad in ("#12345", "#ggg", "", "#1234567"):
        with pytest.raises(ValueError):
            hex_to_rgb(bad)
    with pytest.raises(ValueError):
        rgb_to_hex((256, 0, 0))


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ((0, 0, 0), (255, 255, 255), 21.0),
        ((255, 255, 255), (255, 255, 255), 1.0),
        ((255, 255, 255), (0x76, 0x76, 0x76), 4.54),  # the classic AA-passing grey on white
        ((255, 255, 255), (255, 0, 0), 4.0),
        ((0, 0, 255), (255, 255, 255), 8.59),
    ],
)
def test_wcag_contrast_known_values(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_relative_luminance_ends():
    assert relative_luminance((0, 0, 0)) == 0.0
    assert relative_luminance((255, 255, 255)) == pytest.approx(1.0)


def test_text_colour_always_meets_aa_on_a_4bit_grid():
    worst = min(contrast_ratio(tuple(c), hex_to_rgb(text_colour_for(tuple(c)))) for c in GRID_4BIT.tolist())
    assert worst >= 4.5


def test_text_colour_picks_the_obvious_one():
    assert text_colour_for((255, 255, 255)) == "#000000"
    assert text_colour_for((0, 0, 0)) == "#ffffff"
    assert text_colour_for((255, 255, 0)) == "#000000"
    assert text_colour_for((0, 0, 128)) == "#ffffff"
