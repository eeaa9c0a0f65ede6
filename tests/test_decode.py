"""Decoding: every format libvips and OpenCV read, normalisation to 8-bit sRGB, limits and damaged input."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib

import cv2
import numpy as np
import pytest
import pyvips
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sphinx_palette import PaletteError, extract_palette
from sphinx_palette.engine import decode as decode_module
from sphinx_palette.engine import decode_vips
from sphinx_palette.engine.decode import decode_image, describe_content, image_dimensions
from tests.sphinx_helpers import run_sphinx

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


# --- limits ---------------------------------------------------------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width``×``height`` RGB pixels, with a tiny compressed body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * (3 * 64 + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        # PNG is streamed: its limit is 2 gigapixels.
        (50_000, 50_000, r"50000×50000 = 2,500 megapixels, over the limit of 2,000 megapixels"),
        (20_000, 20_000, r"20000×20000 = 400 megapixels, over the limit of 20 megapixels"),
    ],
)
def test_pixel_bomb_is_refused_before_decoding(monkeypatch, width, height, message):
    data = png_claiming(width, height)
    assert len(data) < 200
    calls = []
    monkeypatch.setattr(decode_module, "decode_sampled", lambda *args, **kwargs: calls.append(args))
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(PaletteError, match=message):
        extract_palette(data, max_pixels=None if width == 50_000 else 20_000_000)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert calls == []
    assert elapsed < 0.5
    assert peak < 5_000_000


def bmp_claiming(width: int, height: int) -> bytes:
    """A BMP header claiming ``width``×``height`` 24-bit pixels, with no pixel data."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + info + bytes(64)


def test_formats_decoded_whole_keep_the_100_megapixel_limit(monkeypatch):
    calls = []
    monkeypatch.setattr(decode_module.cv2, "imdecode", lambda *args: calls.append(args))
    with pytest.raises(PaletteError, match=r"20000×20000 = 400 megapixels, over the limit of 100"):
        extract_palette(bmp_claiming(20_000, 20_000))
    assert calls == []


def test_decode_memory_budget_in_bytes(monkeypatch):
    calls = []
    monkeypatch.setattr(decode_module.cv2, "imdecode", lambda *args: calls.append(args))
    # 9000×9000 = 81 MP is under the pixel limit, but a float image needs ~96 bytes a pixel to normalise.
    pfm = b"PF\n9000 9000\n-1.0\n" + bytes(64)
    with pytest.raises(PaletteError, match=r"about 7\.2 GiB of memory, over the decode budget of 1 GiB"):
        extract_palette(pfm)
    with pytest.raises(PaletteError, match=r"over the decode budget of 50 KiB"):
        decode_image(bmp_claiming(100, 100), max_bytes=50 * 1024)
    assert calls == []
    # A GIF is decoded whole by libnsgif: the budget holds for it too.
    gif = pil_encode(Image.new("P", (4, 4)), "GIF")
    frame = gif.index(b"\x2c")
    gif = (
        gif[:6]
        + struct.pack("<HH", 4000, 4000)
        + gif[10 : frame + 5]
        + struct.pack("<HH", 4000, 4000)
        + gif[frame + 9 :]
    )
    with pytest.raises(PaletteError, match=r"over the decode budget of 100 MiB"):
        decode_image(gif, max_bytes=100 * 1024**2)


def test_streamed_formats_need_no_budget_for_sampling():
    data = cv_encode(".png", three_colours(400, 600))
    # 240,000 pixels at 3 bytes each would not fit in 100 KiB, but only a grid of them is kept.
    assert len(decode_image(data, work_pixels=10_000, max_bytes=100 * 1024).rgb) < 200
    with pytest.raises(PaletteError, match="decode budget"):
        decode_image(data, max_bytes=100 * 1024)


def test_a_large_non_image_body_is_not_copied():
    data = bytes(200_000_000)
    tracemalloc.start()
    with pytest.raises(PaletteError, match="unrecognised format, 200000000 bytes"):
        extract_palette(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000


def test_small_image_over_a_small_limit():
    data = cv_encode(".png", three_colours(100, 100))
    with pytest.raises(PaletteError, match=r"over the limit of 0\.005 megapixels"):
        extract_palette(data, max_pixels=5_000)
    assert len(extract_palette(data, max_pixels=10_000)) == 3
    with pytest.raises(PaletteError, match="megapixels"):
        extract_palette(three_colours(100, 100), max_pixels=5_000)


@pytest.mark.parametrize(
    "ext",
    [".pfm", ".hdr", ".pam", ".ras"],
)
def test_header_sizes_of_formats_imagesize_does_not_know(ext):
    image = np.zeros((50, 70, 3), np.float32 if ext in (".pfm", ".hdr") else np.uint8)
    data = cv_encode(ext, image)
    assert image_dimensions(data) == (70, 50)
    with pytest.raises(PaletteError, match="70×50"):
        decode_image(data, max_pixels=3000)


def test_jpeg_2000_codestream_header_size():
    siz = b"\xff\x4f\xff\x51\x00\x29\x00\x00" + struct.pack(">IIII", 60_000, 50_000, 0, 0) + bytes(20)
    assert image_dimensions(siz) == (60_000, 50_000)
    with pytest.raises(PaletteError, match="over the limit"):
        extract_palette(siz)


@pytest.mark.parametrize("bad", ["big", 0, -1, True, 2.5])
def test_bad_max_pixels(bad):
    with pytest.raises(PaletteError, match="max_pixels"):
        extract_palette(three_colours(), max_pixels=bad)


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


# --- damaged and non-image input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
        (b"\xef\xbb\xbf  <html lang='en'>", "HTML page"),
        (b'{"error": "not found"}', "JSON"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"%PDF-1.7\n", "PDF"),
        (b"hello, world" * 10, "unrecognised format, 120 bytes"),
    ],
)
def test_not_an_image(data, message):
    with pytest.raises(PaletteError, match=message):
        extract_palette(data)


@pytest.mark.parametrize(
    ("ext", "name"), [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WebP"), (".tiff", "TIFF")]
)
def test_truncated_files_say_what_they_were(ext, name):
    rng = np.random.default_rng(0)
    data = cv_encode(ext, rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    with pytest.raises(PaletteError, match=f"a {name} file that could not be decoded, probably truncated"):
        extract_palette(data[: len(data) // 2])


def test_describe_content_of_other_signatures():
    assert "GIF" in describe_content(b"GIF89a\x01\x00")
    assert "AVIF" in describe_content(b"\x00\x00\x00\x1cftypavif")
    assert "white space" in describe_content(b"  \n ")


def test_one_by_one_png():
    palette = extract_palette(cv_encode(".png", np.array([[[12, 34, 56]]], np.uint8)), 5)
    assert palette.hexes == ("#0c2238",)
    assert palette.swatches[0].share == 1.0


# --- fuzzing --------------------------------------------------------------------------------------------


def _seed_images() -> list[bytes]:
    rgb = three_colours(24, 32)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[:5, :5, 3] = 0
    images = [cv_encode(ext, rgb) for ext in (".jpg", ".png", ".webp", ".tiff", ".bmp")]
    images.append(cv_encode(".png", rgba))
    images.append(pil_encode(Image.fromarray(rgb), "GIF"))
    return images


SEED_IMAGES = _seed_images()


def _extract_or_palette_error(data: bytes) -> None:
    try:
        palette = extract_palette(data, 4, max_pixels=2_000_000)
    except PaletteError as exc:
        assert str(exc)
    else:
        assert 1 <= len(palette) <= 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes(data):
    _extract_or_palette_error(data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(range(len(SEED_IMAGES))),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, 10_000) | st.none(),
    st.sampled_from(["", "", "flip", "insert"]),
)
def test_fuzz_mutated_images(index, edits, cut, extra):
    data = bytearray(SEED_IMAGES[index])
    for position, value in edits:
        if extra == "insert":
            data.insert(position % (len(data) + 1), value)
        else:
            data[position % len(data)] = (
                value if extra != "flip" else data[position % len(data)] ^ (1 << value % 8)
            )
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _extract_or_palette_error(bytes(data))


# --- quiet native libraries -----------------------------------------------------------------------------


def damaged_samples() -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    noisy = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    samples = {ext: cv_encode(ext, noisy) for ext in (".png", ".jpg", ".tiff", ".webp", ".bmp")}
    if codec_works(".jp2"):
        samples[".jp2"] = cv_encode(".jp2", noisy)
    return {ext: data[: len(data) // 2] for ext, data in samples.items()}


def test_damaged_files_print_nothing_even_with_root_logging(tmp_path):
    """libpng's "PNG input buffer is incomplete", libjpeg's and OpenCV's warnings never reach stderr."""
    for ext, data in damaged_samples().items():
        (tmp_path / f"broken{ext}").write_bytes(data)
    script = (
        "import logging, pathlib, sys\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from sphinx_palette import PaletteError, extract_palette\n"
        "for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):\n"
        "    try:\n"
        "        extract_palette(path)\n"
        "    except PaletteError as exc:\n"
        "        print(path.name, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == len(damaged_samples())


def test_a_damaged_png_is_one_warning_of_a_real_build(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text("extensions = ['sphinx_palette']\n")
    (source / "index.rst").write_text("Title\n=====\n\n.. palette:: broken.png\n")
    (source / "broken.png").write_bytes(damaged_samples()[".png"])
    env = {**os.environ, "SPHINX_PALETTE_CACHE": str(tmp_path / "cache")}
    done = run_sphinx(source, tmp_path / "out", env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "broken.png" in lines[0] and "PNG file that could not be decoded" in lines[0]
    assert "[palette." in lines[0]


def test_decoding_still_works_in_a_forked_child():
    """libvips' worker threads do not survive fork(); decoding never starts them, so a child can decode."""
    data = cv_encode(".png", three_colours(300, 400))
    expected = extract_palette(data, 3).hexes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        import signal

        signal.alarm(20)
        os.write(write, ",".join(extract_palette(data, 3).hexes).encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert tuple(os.read(read, 1000).decode().split(",")) == expected
    os.close(read)


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
