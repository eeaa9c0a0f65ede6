"""The palette algorithm: exact colours of flat graphics, counts, greys, sorting, parameters, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sphinx_palette import ENGINE_VERSION, Palette, PaletteError, Swatch, extract_palette
from sphinx_palette.engine.colour import rgb8_to_oklab


def png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an RGB(A) array."""
    bgr = rgb[:, :, [2, 1, 0, 3][: rgb.shape[2]]]
    return cv2.imencode(".png", bgr)[1].tobytes()


FOUR = np.array([(230, 57, 70), (241, 250, 238), (29, 53, 87), (255, 183, 3)], np.uint8)
FOUR_HEXES = {"#e63946", "#f1faee", "#1d3557", "#ffb703"}


def four_colour_graphic(size: int) -> np.ndarray:
    """Quadrants plus thin stripes of four flat colours: no antialiasing, so exactly four colours."""
    rgb = np.empty((size, size, 3), np.uint8)
    half = size // 2
    rgb[:half, :half], rgb[:half, half:], rgb[half:, :half], rgb[half:, half:] = FOUR
    rgb[::7, :] = FOUR[2]
    return rgb


# --- flat graphics --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [200, 3000])
def test_flat_four_colour_graphic_stays_four_colours(size):
    palette = extract_palette(png(four_colour_graphic(size)), 8)
    assert set(palette.hexes) == FOUR_HEXES


def test_three_flat_colours_50_30_20():
    rgb = np.zeros((50, 100, 3), np.uint8)
    rgb[:, :50] = (200, 30, 30)
    rgb[:, 50:80] = (20, 120, 200)
    rgb[:, 80:] = (250, 220, 90)
    for image in (rgb, png(rgb)):
        palette = extract_palette(image, 3)
        assert palette.hexes == ("#c81e1e", "#1478c8", "#fadc5a")
        assert [s.share for s in palette] == pytest.approx([0.5, 0.3, 0.2], abs=0.01)
        assert extract_palette(image, 8).hexes == palette.hexes


@pytest.mark.parametrize("background", [(255, 255, 255, 0), (0, 0, 0, 0), (0, 255, 0, 100)])
def test_transparent_background_is_not_a_swatch(background):
    rgba = np.zeros((120, 160, 4), np.uint8)
    rgba[:] = background
    cv2.circle(rgba, (60, 60), 40, (200, 20, 20, 255), -1, lineType=cv2.LINE_AA)  # antialiased alpha edge
    cv2.rectangle(rgba, (110, 20), (150, 100), (20, 20, 200, 255), -1)
    palette = extract_palette(png(rgba), 5)
    assert "#" + "".join(f"{c:02x}" for c in background[:3]) not in palette.hexes
    assert {"#c81414", "#1414c8"} <= set(palette.hexes)


def test_single_colour_and_one_pixel():
    assert extract_palette(np.full((50, 50, 3), 77, np.uint8), 5).hexes == ("#4d4d4d",)
    one = extract_palette(np.array([[[1, 2, 3]]], np.uint8), 5)
    assert one.hexes == ("#010203",) and one.swatches[0].share == 1.0


@pytest.mark.parametrize("colors", [1, 2, 3, 5, 8, 16, 40])
@pytest.mark.parametrize(
    ("low", "high", "width"), [(0, 255, 256), (0, 255, 2000), (100, 140, 300), (200, 255, 64)]
)
def test_grey_gradient_gives_grey_swatches(low, high, width, colors):
    row = np.linspace(low, high, width).round().astype(np.uint8)
    grey = np.repeat(np.tile(row, (8, 1))[:, :, None], 3, axis=2)
    palette = extract_palette(grey, colors)
    assert all(r == g == b for r, g, b in (s.rgb for s in palette))
    assert len(palette) == min(colors, len(np.unique(row)))
    assert len(set(palette.hexes)) == len(palette)


def test_noisy_photo_like_image_gives_requested_count():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    for colors in (1, 5, 12, 64):
        palette = extract_palette(rgb, colors)
        assert len(palette) == colors
        assert len(set(palette.hexes)) == colors
        assert sum(s.share for s in palette) == pytest.approx(1.0, abs=1e-9)


def test_region_selects_part_of_the_image():
    rgb = np.zeros((10, 20, 3), np.uint8)
    rgb[:, 10:] = (255, 0, 0)
    for image in (rgb, png(rgb)):
        assert extract_palette(image, 3, region="pct:50,0,50,100").hexes == ("#ff0000",)
        assert extract_palette(image, 3, region="0,0,10,10").hexes == ("#000000",)
    with pytest.raises(PaletteError, match="outside"):
        extract_palette(png(rgb), region="50,50,5,5")
    with pytest.raises(PaletteError, match="IIIF region syntax"):
        extract_palette(rgb, region="left half")


# --- sorting --------------------------------------------------------------------------------------------

SORT_COLOURS = {
    "#ff0000": (255, 0, 0),
    "#ffd700": (255, 215, 0),
    "#00a000": (0, 160, 0),
    "#0000ff": (0, 0, 255),
    "#808080": (128, 128, 128),
    "#101010": (16, 16, 16),
}


def sort_image() -> np.ndarray:
    """Six colours in different amounts, so share order differs from the other two."""
    widths = [5, 30, 10, 25, 20, 15]
    return np.concatenate(
        [np.full((4, w, 3), c, np.uint8) for w, c in zip(widths, SORT_COLOURS.values(), strict=True)], axis=1
    )


def test_sort_by_share():
    palette = extract_palette(sort_image(), 6, sort="share")
    shares = [s.share for s in palette]
    assert shares == sorted(shares, reverse=True)
    assert palette.hexes[0] == "#ffd700"


def test_sort_by_lightness():
    palette = extract_palette(sort_image(), 6, sort="lightness")
    lightness = rgb8_to_oklab(np.array([s.rgb for s in palette], float))[:, 0]
    assert list(lightness) == sorted(lightness)
    assert palette.hexes[0] == "#101010"


def test_sort_by_hue_reds_first_neutrals_last():
    palette = extract_palette(sort_image(), 6, sort="hue")
    assert palette.hexes == ("#ff0000", "#ffd700", "#00a000", "#0000ff", "#101010", "#808080")


def test_sort_by_hue_keeps_pinks_with_reds_and_purples_last():
    colours = ["#800080", "#ff1493", "#dc143c", "#ffa500", "#1e90ff", "#ff00ff"]
    image = np.zeros((10, 60, 3), np.uint8)
    for i, code in enumerate(colours):
        image[:, i * 10 : (i + 1) * 10] = [int(code[j : j + 2], 16) for j in (1, 3, 5)]
    palette = extract_palette(image, 6, sort="hue")
    assert palette.hexes == ("#ff1493", "#dc143c", "#ffa500", "#1e90ff", "#800080", "#ff00ff")


# --- parameters and input types -------------------------------------------------------------------------


@pytest.mark.parametrize("colors", [0, -1, 257, 300, True, False, "5", 2.5, None])
def test_bad_colors(colors):
    with pytest.raises(PaletteError, match="colors"):
        extract_palette(sort_image(), colors)


@pytest.mark.parametrize("sort", ["x", "", "Share", None])
def test_bad_sort(sort):
    with pytest.raises(PaletteError, match="sort must be one of share, lightness, hue"):
        extract_palette(sort_image(), sort=sort)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_bad_seed(seed):
    with pytest.raises(PaletteError, match="seed"):
        extract_palette(sort_image(), seed=seed)


def test_numpy_integer_colors_accepted():
    assert len(extract_palette(sort_image(), np.int64(3))) == 3


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(PaletteError, match=r"cannot read .*nope\.png.*No such file"):
        extract_palette(missing)
    with pytest.raises(PaletteError, match="cannot read"):
        extract_palette(str(tmp_path))  # a directory
    with pytest.raises(PaletteError, match="cannot read"):
        extract_palette("bad\0path.png")


def test_path_and_bytes_agree(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(png(sort_image()))
    assert extract_palette(path, 4) == extract_palette(str(path), 4) == extract_palette(path.read_bytes(), 4)
    assert extract_palette(bytearray(path.read_bytes()), 4) == extract_palette(path, 4)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (12, "expected image bytes, a path or a numpy array"),
        (np.zeros((4, 4, 3), np.float32), "uint8"),
        (np.zeros((4, 4, 2), np.uint8), "H×W×3"),
        (np.zeros((0, 4, 3), np.uint8), "no pixels"),
        (np.zeros((4, 4, 4), np.uint8), "no opaque pixel"),
    ],
)
def test_bad_inputs(image, message):
    with pytest.raises(PaletteError, match=message):
        extract_palette(image)


# --- Palette / Swatch -----------------------------------------------------------------------------------


def test_palette_record_round_trip():
    palette = extract_palette(sort_image(), 4)
    data = json.loads(json.dumps(palette.to_record()))
    assert Palette.from_dict(data) == palette
    assert data["swatches"][0] == {
        "hex": palette.hexes[0],
        "rgb": list(palette.swatches[0].rgb),
        "share": palette.swatches[0].share,
    }
    assert Swatch((1, 2, 3), 0.5).hex == "#010203"
    for bad in (
        {},
        {"swatches": []},
        {"swatches": [{"rgb": [1, 2]}]},
        {"swatches": [{"rgb": [0, 0, 300], "share": 1}]},
    ):
        with pytest.raises(ValueError, match="malformed"):
            Palette.from_dict(bad)


def test_engine_version_is_a_string():
    assert isinstance(ENGINE_VERSION, str) and ENGINE_VERSION


# --- determinism ----------------------------------------------------------------------------------------

_CHILD = """
import json, sys
import numpy as np
from sphinx_palette import extract_palette
rng = np.random.default_rng(11)
rgb = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
out = [
    extract_palette(rgb, k, sort=s, emphasis=e).to_dict()
    for k, s in ((5, "share"), (12, "hue"))
    for e in ("balanced", "coverage", "vivid")
]
sys.stdout.write(json.dumps(out, sort_keys=True))
"""


def test_same_palette_in_separate_processes_and_thread_counts():
    outputs = []
    for threads in ("1", "2"):
        env = {**os.environ, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}
        result = subprocess.run(
            [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=120, check=True
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])[0]["swatches"]


def test_same_palette_twice_and_seed_is_used():
    rgb = np.random.default_rng(5).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    assert extract_palette(rgb, 6) == extract_palette(rgb, 6)
    assert extract_palette(rgb, 6, seed=1) == extract_palette(rgb, 6, seed=1)


# --- properties -----------------------------------------------------------------------------------------


def distinct_opaque(image: np.ndarray) -> int:
    pixels = image.reshape(-1, image.shape[2])
    if image.shape[2] == 4:
        pixels = pixels[pixels[:, 3] >= 128]
    return len(np.unique(pixels[:, :3], axis=0))


def check_palette(image: np.ndarray, colors: int, sort: str) -> None:
    expected = distinct_opaque(image)
    if expected == 0:
        with pytest.raises(PaletteError):
            extract_palette(image, colors, sort=sort)
        return
    palette = extract_palette(image, colors, sort=sort)
    assert len(palette) <= colors
    assert len(palette) == min(colors, expected)
    assert abs(sum(s.share for s in palette) - 1.0) <= 1e-9
    assert len(set(palette.hexes)) == len(palette)
    assert all(s.share > 0 for s in palette)


sizes = st.tuples(st.integers(1, 24), st.integers(1, 24))
sorts = st.sampled_from(("share", "lightness", "hue"))
colour_counts = st.integers(1, 20)
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(
    st.tuples(st.integers(1, 24), st.integers(1, 24), st.sampled_from((3, 4))).flatmap(
        lambda shape: hnp.arrays(np.uint8, shape)
    ),
    colour_counts,
    sorts,
)
def test_property_random_arrays(image, colors, sort):
    check_palette(image, colors, sort)


@st.composite
def few_colour_images(draw: st.DrawFn) -> np.ndarray:
    height, width = draw(sizes)
    channels = draw(st.sampled_from((3, 4)))
    count = draw(st.integers(1, 8))
    grey = draw(st.booleans())
    palette = draw(hnp.arrays(np.uint8, (count, 1 if grey else channels)))
    if grey:
        palette = np.repeat(palette, channels, axis=1)
    if channels == 4:
        palette[:, 3] = draw(hnp.arrays(np.uint8, count, elements=st.sampled_from((0, 100, 127, 128, 255))))
    index = draw(hnp.arrays(np.int64, (height, width), elements=st.integers(0, count - 1)))
    return palette[index]


@PROPERTY_SETTINGS
@given(few_colour_images(), colour_counts, sorts)
def test_property_few_colour_images(image, colors, sort):
    check_palette(image, colors, sort)
    grey = (image[..., 0] == image[..., 1]).all() and (image[..., 1] == image[..., 2]).all()
    if distinct_opaque(image) and image.shape[2] == 3 and grey:
        assert all(r == g == b for r, g, b in (s.rgb for s in extract_palette(image, colors, sort=sort)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(few_colour_images(), colour_counts)
def test_property_png_bytes_match_arrays(image, colors):
    if distinct_opaque(image):
        assert extract_palette(png(image), colors) == extract_palette(image, colors)
