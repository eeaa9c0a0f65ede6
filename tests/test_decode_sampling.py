"""The decoder's own sampling grid, and the sRGB profiles whose colour management is skipped."""

from __future__ import annotations

import io

import numpy as np
import pytest
import pyvips
from PIL import Image

from sphinx_palette.engine import icc_srgb
from sphinx_palette.engine.decode import decode_image
from sphinx_palette.engine.decode_vips import grid_offset, grid_step
from tests.icc import D65, SPACES, rgb_profile, rgb_profile_of

SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))


def noise(height: int, width: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def png(rgb: np.ndarray, **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG", **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("height", "width", "budget"), [(512, 768, 65_536), (301, 499, 10_000), (7, 2000, 500)]
)
def test_grid_is_numpys_strided_slice(height, width, budget):
    # The grid libvips takes must be the very pixels `rgb[offset::step, offset::step]` would keep,
    # including a last partial step.
    rgb = noise(height, width)
    decoded = decode_image(png(rgb), work_pixels=budget, sample_pixels=budget)
    step = grid_step(width, height, budget)
    offset = grid_offset(width, height, step)
    assert step > 1
    np.testing.assert_array_equal(decoded.rgb, rgb[offset::step, offset::step])
    assert (decoded.width, decoded.height) == (width, height)


def test_srgb_profile_is_recognised_and_others_are_not():
    assert icc_srgb.acts_as_srgb(rgb_profile_of(SRGB_PRIMARIES, D65, "srgb"))
    for space in SPACES:
        assert not icc_srgb.acts_as_srgb(rgb_profile(space)), space


def test_srgb_tagged_image_skips_littlecms_within_one_step(monkeypatch):
    rgb = noise(64, 96, seed=2)
    profile = rgb_profile_of(SRGB_PRIMARIES, D65, "srgb")
    tagged = png(rgb, icc_profile=profile)
    # What LittleCMS makes of it, for comparison.
    image = pyvips.Image.new_from_array(rgb).copy(interpretation="srgb")
    image.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
    managed = image.icc_transform("srgb", embedded=True, intent="relative", depth=8).numpy()

    calls: list[object] = []
    real = pyvips.Image.icc_transform

    def spy(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    icc_srgb._SRGB_VERDICTS.clear()
    monkeypatch.setattr(pyvips.Image, "icc_transform", spy)
    first = decode_image(tagged).rgb
    assert len(calls) == 1  # the probe, once per profile
    second = decode_image(tagged).rgb
    assert len(calls) == 1  # the verdict is remembered; the image itself is not transformed
    np.testing.assert_array_equal(first, rgb)
    np.testing.assert_array_equal(second, rgb)
    assert np.abs(first.astype(int) - managed.astype(int)).max() <= 1


def test_other_profiles_are_still_converted():
    rgb = noise(32, 32, seed=3)
    decoded = decode_image(png(rgb, icc_profile=rgb_profile("adobe-rgb"))).rgb
    assert np.abs(decoded.astype(int) - rgb.astype(int)).max() > 10
