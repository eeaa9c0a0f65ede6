"""Decoding limits checked from the header: the pixel limits, the decode budget in bytes, and large inputs
that must not be copied."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from sphinx_palette import PaletteError, extract_palette
from sphinx_palette.engine import decode as decode_module
from sphinx_palette.engine.decode import decode_image, image_dimensions
from tests.test_decode import cv_encode, pil_encode, three_colours

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
    monkeypatch.setattr(cv2, "imdecode", lambda *args: calls.append(args))
    with pytest.raises(PaletteError, match=r"20000×20000 = 400 megapixels, over the limit of 100"):
        extract_palette(bmp_claiming(20_000, 20_000))
    assert calls == []


def test_decode_memory_budget_in_bytes(monkeypatch):
    calls = []
    monkeypatch.setattr(cv2, "imdecode", lambda *args: calls.append(args))
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
