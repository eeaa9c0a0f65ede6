"""Limits checked from an image's header before it is decoded: pixels, and memory in bytes.

The pixel limit protects the build's time; the decode budget protects its memory, whatever
``palette_max_bytes`` lets in: it depends on what the decoder must hold at once, which the header tells.
"""

from __future__ import annotations

import struct

from .errors import PaletteError

#: Images decoded whole (every format but JPEG, PNG, TIFF and WebP) over this many pixels are refused from
#: their header, before decoding, so a decompression bomb cannot exhaust memory.
DEFAULT_MAX_PIXELS = 100_000_000
#: JPEG, PNG, TIFF and WebP are decoded in bounded memory (streamed or shrunk on load); their limit only
#: bounds the time a build spends on one image.
STREAMED_MAX_PIXELS = 2_000_000_000
#: Estimated peak memory of one decode of a format decoded whole; over it, the image is refused.
DEFAULT_DECODE_BYTES = 1 << 30

SAMPLE_BYTES = {"uchar": 1, "char": 1, "ushort": 2, "short": 2, "uint": 4, "int": 4, "float": 4}


def opencv_bytes_per_pixel(data: bytes) -> int:
    """Peak bytes per pixel while OpenCV decodes and we normalise: its frame, our 8-bit copy and mask."""
    head = data[:16]
    if head.startswith((b"Pf", b"PF", b"#?RADIANCE", b"#?RGBE")):
        return 96  # float32 frame, float64 working copies, the sRGB encoding's temporaries
    if head.startswith((b"BM", b"\x59\xa6\x6a\x95")):
        return 8  # 8-bit, up to four channels
    return 16  # up to four 16-bit channels (PNM, PAM, JPEG 2000, ...)


def check_budget(width: int, height: int, needed: int, max_bytes: int) -> None:
    """Refuse a ``width``×``height`` image whose decoding would hold more than ``max_bytes`` at once."""
    if needed > max_bytes:
        raise PaletteError(
            f"decoding the {width}×{height} image would take about {_size(needed)} of memory, over the "
            f"decode budget of {_size(max_bytes)}"
        )


def _size(count: float) -> str:
    """Bytes in words an author reads at a glance: ``640 bytes``, ``7.2 GiB``, ``20 MiB``."""
    unit = "bytes"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if count < 1024:
            break
        count, unit = count / 1024, larger
    if unit == "bytes" or count >= 10 or count == int(count):
        return f"{count:.0f} {unit}"
    return f"{count:.1f} {unit}"


def check_pixel_limit(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise PaletteError(
            f"the image is {width}×{height} = {_megapixels(width * height)} megapixels, over the limit of "
            f"{_megapixels(max_pixels)} megapixels"
        )


def _megapixels(pixels: int) -> str:
    """``2,500``, ``99.9``, ``0.005``: whole numbers from 100 up, three significant digits below."""
    value = pixels / 1e6
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def streamed_chunk_bytes(
    data: bytes, fmt: str, width: int, bands: int, sample_bytes: int, height: int
) -> int:
    """Bytes a streaming decoder must still hold at once: the whole image for an interlaced PNG, the DCT
    coefficients of a progressive JPEG, one strip or row of tiles of a TIFF; else a few rows."""
    row = width * bands * sample_bytes
    if fmt == "png" and len(data) > 28 and data[28] == 1:  # Adam7 interlacing: rows arrive in seven passes
        return row * height
    if fmt == "jpeg" and (components := _progressive_jpeg_components(data)):
        return width * height * components * 2  # 16-bit coefficients, kept for every pass
    if fmt == "tiff":
        return row * min(height, _tiff_rows_per_chunk(data) or height)
    return row * 16


def _progressive_jpeg_components(data: bytes) -> int:
    """Number of components if the JPEG's frame is progressive (SOF2, SOF6, SOF10, SOF14), else 0."""
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            components = data[position + 9] if position + 9 < len(data) else 3
            return components if marker in (0xC2, 0xC6, 0xCA, 0xCE) else 0
        position += 2 + length
    return 0


def _tiff_rows_per_chunk(data: bytes) -> int | None:
    """RowsPerStrip or TileLength of a TIFF's first image (classic TIFF; ``None`` when not found)."""
    order = "<" if data.startswith(b"II") else ">"
    if data[2:4] != (b"*\x00" if order == "<" else b"\x00*") or len(data) < 8:
        return None  # BigTIFF and oddities: libvips still reads them, without this estimate
    (offset,) = struct.unpack(order + "I", data[4:8])
    if offset + 2 > len(data):
        return None
    (count,) = struct.unpack(order + "H", data[offset : offset + 2])
    for index in range(min(count, 512)):
        entry = data[offset + 2 + 12 * index : offset + 14 + 12 * index]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (278, 323):  # RowsPerStrip, TileLength
            value = struct.unpack(
                order + ("H" if kind == 3 else "I"), entry[8:10] if kind == 3 else entry[8:12]
            )[0]
            return int(value) or None
    return None
