"""Decoding: every format libvips and OpenCV read, normalisation to 8-bit sRGB, limits and damaged input."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import pyvips
from PIL import Image

from sphinx_palette import PaletteError, extract_palette
from sphinx_palette.engine import decode_vips
from sphinx_palette.engine.decode import decode_image

RED, GREEN, BLUE = (220, 30, 40), (30, 180, 60), (20, 40, 200)


def three_colours(height: int = 40, width: int = 60) -> np.ndarray:
    """RGB image: left half red, top right green, bottom right blue."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, : width // 2] = RED
    rgb[: height // 2, width // 2 :] = GREEN
    rgb[height // 2 :, width // 2 :] = BLUE
    return rgb


def cv_encode(ext: str, rgb: np.ndarray, params: tuple[int, ...] = ()) -> bytes:
    """Encode an RGB(A) or grey array with OpenCV (which expects BGR(A) order)."""
    if rgb.ndim == 3:
        rgb = rgb[:, :, [2, 1, 0, 3][: rgb.shape[2]]]
    ok, buffer = cv2.imencode(ext, rgb, params)
    assert ok
    return buffer.tobytes()


def pil_encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def codec_works(ext: str) -> bool:
    """True when this OpenCV build both writes and reads ``ext`` (AVIF and JPEG 2000 are optional)."""
    try:
        data = cv_encode(ext, np.full((64, 64, 3), 128, np.uint8))
    except (cv2.error, AssertionError):
        return False
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is not None


def assert_close(rgb: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int) -> None:
    assert max(abs(a - b) for a, b in zip(rgb, expected, strict=True)) <= tolerance, (rgb, expected)


# --- formats -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ext", "tolerance"),
    [
        (".png", 0),
        (".webp", 0),
        (".tiff", 0),
        (".bmp", 0),
        (".ppm", 0),
        (".jpg", 12),
        (".jp2", 0),
        (".avif", 12),
    ],
)
def test_formats_decode_to_their_colours(ext, tolerance):
    if not codec_works(ext):
        pytest.skip(f"this OpenCV build cannot read and write {ext}")
    params = (cv2.IMWRITE_WEBP_QUALITY, 101) if ext == ".webp" else ()
    palette = extract_palette(cv_encode(ext, three_colours(), params), 3)
    assert len(palette) == 3
    assert [s.share for s in palette] == pytest.approx([0.5, 0.25, 0.25], abs=0.03)
    assert_close(palette.swatches[0].rgb, RED, tolerance)
    # Green and blue have equal shares, so match them by their blue channel.
    second, third = sorted(palette.swatches[1:], key=lambda s: s.rgb[2])
    assert_close(second.rgb, GREEN, tolerance)
    assert_close(third.rgb, BLUE, tolerance)


def test_lossless_formats_keep_exact_shares():
    for ext in (".png", ".tiff", ".bmp"):
        palette = extract_palette(cv_encode(ext, three_colours()), 5)
        assert dict(zip(palette.hexes, (s.share for s in palette), strict=True)) == {
            "#dc1e28": 0.5,
            "#1eb43c": 0.25,
            "#1428c8": 0.25,
        }


def test_gif_first_frame_only():
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = pil_encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert extract_palette(data, 5).hexes == ("#ff0000",)


def test_gif_with_transparency():
    image = Image.new("P", (10, 10), 0)
    image.putpalette([255, 255, 255, 200, 0, 0])
    image.paste(1, (0, 0, 10, 4))
    data = pil_encode(image, "GIF", transparency=0)
    palette = extract_palette(data, 5)
    assert palette.hexes == ("#c80000",)


@pytest.mark.skipif(not codec_works(".avif"), reason="this OpenCV build has no AVIF codec")
def test_avif_decodes():
    palette = extract_palette(cv_encode(".avif", np.full((32, 32, 3), (200, 100, 50), np.uint8)), 3)
    assert_close(palette.swatches[0].rgb, (200, 100, 50), 6)


@pytest.mark.skipif(not codec_works(".jp2"), reason="this OpenCV build has no JPEG 2000 codec")
def test_jpeg_2000_16_bit():
    grey = np.full((64, 64), 30000, np.uint16)
    assert extract_palette(cv_encode(".jp2", grey), 3).hexes == ("#757575",)


# --- PNG flavours and normalisation ---------------------------------------------------------------------


def test_png_grey_8_bit():
    grey = np.repeat(np.array([[0, 64, 128, 255]], np.uint8), 4, axis=0)
    palette = extract_palette(pil_encode(Image.fromarray(grey, "L"), "PNG"), 8, sort="lightness")
    assert palette.hexes == ("#000000", "#404040", "#808080", "#ffffff")


def test_png_grey_16_bit_scaled_to_8_bit():
    grey = np.repeat(np.array([[0, 1000, 30000, 65535]], np.uint16), 4, axis=0)
    palette = extract_palette(cv_encode(".png", grey), 8, sort="lightness")
    # v * 255 / 65535 rounded: 1000 → 3.9 → 4, 30000 → 116.7 → 117.
    assert palette.hexes == ("#000000", "#040404", "#757575", "#ffffff")


def test_png_rgb_16_bit():
    rgb = np.zeros((4, 4, 3), np.uint16)
    rgb[:, :2] = (65535, 32896, 0)
    rgb[:, 2:] = (257, 514, 771)
    assert set(extract_palette(cv_encode(".png", rgb), 5).hexes) == {"#ff8000", "#010203"}


def test_png_rgba_16_bit_alpha():
    rgba = np.zeros((4, 4, 4), np.uint16)
    rgba[:, :2] = (65535, 0, 0, 65535)
    rgba[:, 2:] = (0, 65535, 0, 32000)  # below half: not counted
    assert extract_palette(cv_encode(".png", rgba), 5).hexes == ("#ff0000",)


def test_png_grey_alpha():
    la = np.zeros((10, 10, 2), np.uint8)
    la[:, :6] = (90, 255)
    la[:, 6:] = (250, 0)
    assert extract_palette(pil_encode(Image.fromarray(la, "LA"), "PNG"), 5).hexes == ("#5a5a5a",)


def test_png_palette_with_transparent_entry():
    indices = np.zeros((10, 10), np.uint8)
    indices[:, 5:] = 1
    indices[:2] = 2
    image = Image.fromarray(indices, "P")
    image.putpalette([255, 0, 0, 0, 0, 255, 255, 255, 255])
    palette = extract_palette(pil_encode(image, "PNG", transparency=2), 5)
    assert dict(zip(palette.hexes, (s.share for s in palette), strict=True)) == {
        "#ff0000": 0.5,
        "#0000ff": 0.5,
    }


def test_png_rgba_alpha_threshold_is_128():
    rgba = np.zeros((1, 4, 4), np.uint8)
    rgba[0] = [(255, 0, 0, 128), (0, 255, 0, 127), (0, 0, 255, 255), (9, 9, 9, 0)]
    assert set(extract_palette(cv_encode(".png", rgba), 5).hexes) == {"#ff0000", "#0000ff"}


def test_no_opaque_pixel_is_an_error():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = 100
    with pytest.raises(PaletteError, match="no opaque pixel"):
        extract_palette(cv_encode(".png", rgba))


def test_float_tiff_is_linear_light():
    values = np.zeros((4, 6, 3), np.float32)
    values[:, 2:4] = 0.5
    values[:, 4:] = 1.0
    palette = extract_palette(cv_encode(".tiff", values), 5, sort="lightness")
    # 0.5 linear is sRGB 188 (0xbc); floats are light, not code values.
    assert palette.hexes == ("#000000", "#bcbcbc", "#ffffff")


def test_float_over_one_is_scaled_to_its_peak():
    values = np.full((4, 4, 3), 4.0, np.float32)
    values[:, :2] = 2.0
    assert extract_palette(cv_encode(".pfm", values), 5, sort="lightness").hexes == ("#bcbcbc", "#ffffff")


def test_signed_16_bit_tiff():
    values = np.full((4, 4), -5, np.int16)
    values[:, 2:] = 32767
    assert set(extract_palette(cv_encode(".tiff", values), 5).hexes) == {"#000000", "#ffffff"}


# --- reduced-scale JPEG decoding ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_jpeg() -> tuple[bytes, np.ndarray]:
    """A 4000×3000 photo-like JPEG (soft colour fields plus noise) and its RGB pixels at full scale."""
    rng = np.random.default_rng(7)
    # Five well-separated colours in soft-edged blocks: a palette k-means finds alike at any scale.
    colours = np.array([(200, 40, 40), (40, 160, 60), (30, 60, 190), (230, 210, 80), (60, 50, 40)], np.uint8)
    small = colours[rng.permutation(np.arange(12) % 5).reshape(3, 4)]
    rgb = cv2.resize(small, (4000, 3000), interpolation=cv2.INTER_NEAREST)
    rgb = cv2.GaussianBlur(rgb, (0, 0), 25)
    # Tiled noise: texture for the JPEG coder at a fraction of the cost of a full-size random field.
    noise = np.tile(rng.integers(-8, 9, (300, 400, 1), dtype=np.int16), (10, 10, 1))
    rgb = np.clip(rgb.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    data = cv_encode(".jpg", rgb, (cv2.IMWRITE_JPEG_QUALITY, 90))
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    full = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    return data, full


def spy_loads(monkeypatch) -> list[dict[str, object]]:
    """Record the options of every libvips load."""
    seen: list[dict[str, object]] = []
    real_load = decode_vips._load

    def spy(data, fmt, **options):
        seen.append(dict(options))
        return real_load(data, fmt, **options)

    monkeypatch.setattr(decode_vips, "_load", spy)
    return seen


def test_large_jpeg_is_decoded_at_reduced_scale(big_jpeg, monkeypatch):
    data, full = big_jpeg
    loads = spy_loads(monkeypatch)
    decoded = decode_image(data, work_pixels=262_144)
    assert loads == [{}, {"shrink": 8}]  # the header, then the pixels at 1/8 scale
    assert decoded.rgb.shape == (375, 500, 3)
    assert (decoded.width, decoded.height) == (4000, 3000)

    reduced = extract_palette(data, 5)
    monkeypatch.undo()
    full_scale = extract_palette(full, 5)  # an array goes through no reduced decoding
    lab_reduced = cv2.cvtColor(np.array([[s.rgb for s in reduced]], np.uint8), cv2.COLOR_RGB2LAB).astype(
        float
    )
    lab_full = cv2.cvtColor(np.array([[s.rgb for s in full_scale]], np.uint8), cv2.COLOR_RGB2LAB).astype(
        float
    )
    # OpenCV's 8-bit Lab scales L by 255/100; undo that for a CIE76 ΔE.
    lab_reduced[..., 0] *= 100 / 255
    lab_full[..., 0] *= 100 / 255
    distances = np.linalg.norm(lab_reduced[0][:, None] - lab_full[0][None], axis=2)
    assert distances.min(axis=1).max() < 3.0
    assert distances.min(axis=0).max() < 3.0


def test_small_jpeg_is_decoded_at_full_scale(monkeypatch):
    loads = spy_loads(monkeypatch)
    extract_palette(cv_encode(".jpg", three_colours(300, 400)))
    assert loads == [{}]


def test_reduced_jpeg_region_maps_to_the_full_image():
    rgb = np.zeros((3000, 4000, 3), np.uint8)
    rgb[:, :2000] = (250, 250, 250)
    rgb[:, 2000:] = (10, 10, 10)
    data = cv_encode(".jpg", rgb)
    left = extract_palette(data, 3, region="0,0,1800,3000")
    right = extract_palette(data, 3, region="pct:55,0,45,100")
    assert len(left) == 1 and min(left.swatches[0].rgb) > 240
    assert len(right) == 1 and max(right.swatches[0].rgb) < 20


def test_pyramidal_tiff_is_read_from_a_small_level(monkeypatch):
    rgb = three_colours(3000, 4000)
    image = pyvips.Image.new_from_array(rgb).copy(interpretation="srgb")
    for options in ({"pyramid": True, "tile": True}, {"pyramid": True, "tile": True, "subifd": True}):
        data = image.tiffsave_buffer(compression="deflate", **options)
        loads = spy_loads(monkeypatch)
        decoded = decode_image(data, work_pixels=65_536)
        level = loads[-1]
        assert set(level) & {"page", "subifd"}, loads
        assert (decoded.width, decoded.height) == (4000, 3000)
        assert decoded.rgb.shape[0] * decoded.rgb.shape[1] >= 65_536 / 4
        assert set(extract_palette(data, 3).hexes) == {"#dc1e28", "#1eb43c", "#1428c8"}
        monkeypatch.undo()


def test_large_webp_is_scaled_while_decoding(monkeypatch):
    data = cv_encode(".webp", three_colours(2000, 3000), (cv2.IMWRITE_WEBP_QUALITY, 101))
    loads = spy_loads(monkeypatch)
    decoded = decode_image(data, work_pixels=65_536)
    assert "scale" in loads[-1]
    assert decoded.rgb.shape[0] * decoded.rgb.shape[1] < 6_000_000 / 4
    assert (decoded.width, decoded.height) == (3000, 2000)


def test_streamed_formats_that_must_hold_more_are_budgeted():
    """An interlaced PNG, a progressive JPEG and a one-strip TIFF cannot be streamed row by row."""
    rgb = three_colours(300, 400)  # 360 kB of 8-bit RGB
    vips = pyvips.Image.new_from_array(rgb).copy(interpretation="srgb")
    held_whole = {
        "interlaced PNG": vips.pngsave_buffer(interlace=True),
        "progressive JPEG": pil_encode(Image.fromarray(rgb), "JPEG", progressive=True),
        "one-strip TIFF": pil_encode(Image.fromarray(rgb), "TIFF"),  # Pillow writes one strip
    }
    streamed = {
        "PNG": vips.pngsave_buffer(),
        "baseline JPEG": pil_encode(Image.fromarray(rgb), "JPEG"),
        "TIFF in strips": vips.tiffsave_buffer(),  # libvips writes strips of a few rows
    }
    for name, data in held_whole.items():
        with pytest.raises(PaletteError, match=r"over the decode budget of 300 KiB"):
            decode_image(data, work_pixels=1_000, max_bytes=300 * 1024)
        assert len(decode_image(data, work_pixels=1_000).rgb), name
    for name, data in streamed.items():
        assert len(decode_image(data, work_pixels=1_000, max_bytes=300 * 1024).rgb), name
