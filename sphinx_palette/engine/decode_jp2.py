"""Decode JPEG 2000 (JP2 files and raw J2K codestreams) at a reduced resolution level, in bounded memory.

A JPEG 2000 codestream holds its image as a wavelet pyramid: OpenJPEG (through Pillow, whose wheels ship it)
decodes any of its resolution levels without the finer ones, so a 500-megapixel master with five
decomposition levels costs what a 0.5-megapixel image costs. The level is the coarsest that still keeps about
``work_pixels`` of the region, and coarser still when the decode budget says so. The embedded ICC profile of
the ``colr`` box is applied afterwards by LittleCMS (``decode.py``).
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, Jpeg2KImagePlugin

from .decode_limits import check_budget
from .errors import PaletteError
from .region import Region, scale_box

_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_CODESTREAM_START = b"\xff\x4f\xff\x51"  # SOC, then SIZ


def is_jpeg2000(data: bytes) -> bool:
    """True for a JP2 file or a raw JPEG 2000 codestream."""
    return data.startswith((_JP2_SIGNATURE, _CODESTREAM_START))


@dataclass(frozen=True)
class Jp2Header:
    """What the codestream's main header says: the size, components and wavelet decomposition levels."""

    width: int
    height: int
    components: int
    levels: int


def read_header(data: bytes) -> Jp2Header | None:
    """The SIZ and COD markers of the (first) codestream, or ``None`` without a SIZ.

    Without a COD marker (a damaged file, which the decoder will refuse) no reduced level is assumed.
    """
    start = data.find(_CODESTREAM_START, 0, 1 << 20)
    if start < 0:
        return None
    position, width, height, components, levels = start + 2, 0, 0, 0, 0
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        body = data[position + 4 : position + 2 + length]
        if marker == 0x51 and len(body) >= 36:  # SIZ: image extent minus its offset
            xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", body[2:18])
            width, height = xsiz - xosiz, ysiz - yosiz
            (components,) = struct.unpack(">H", body[34:36])
        elif marker == 0x52 and len(body) >= 6:  # COD: SPcod starts with the number of levels
            levels = body[5]
        elif marker in (0x90, 0x93) or length < 2:  # first tile-part: the main header is over
            break
        position += 2 + length
    if width <= 0 or height <= 0:
        return None
    return Jp2Header(width, height, max(components, 1), levels)


def decoding_bytes(header: Jp2Header, reduce: int) -> int:
    """Estimated peak memory of a decode at resolution level ``reduce``: OpenJPEG's 32-bit samples of the
    whole (untiled) reduced frame, Pillow's 4-byte pixels, and our 8-bit copy with its mask."""
    pixels = math.ceil(header.width / 2**reduce) * math.ceil(header.height / 2**reduce)
    return pixels * (4 * header.components + 4 + 4)


def choose_reduce(header: Jp2Header, area: int, work_pixels: int | None, max_bytes: int) -> int:
    """The resolution level to decode: the coarsest keeping about ``work_pixels`` of a region of ``area``
    full-resolution pixels, then coarser while the decode would not fit in ``max_bytes``.

    Without ``work_pixels`` every pixel is wanted: full resolution, or `PaletteError` over the budget.
    """
    reduce = 0
    if work_pixels:
        while reduce < header.levels and area / 4 ** (reduce + 1) >= work_pixels / 2:
            reduce += 1
        while reduce < header.levels and decoding_bytes(header, reduce) > max_bytes:
            reduce += 1
    check_budget(header.width, header.height, decoding_bytes(header, reduce), max_bytes)
    return reduce


def decode_level(data: bytes, reduce: int) -> tuple[np.ndarray, bool]:
    """Decode resolution level ``reduce`` (0 is full size) to an ``H×W×bands`` array and whether it is CMYK.

    The array is RGB(A), grey(+A), or CMYK ink amounts when the ``colr`` box says CMYK.
    """
    try:
        # The plugin's class, not Image.open: our own limits, checked from the header, apply, not Pillow's
        # process-wide decompression-bomb limit (which would refuse a master we decode reduced).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opened = Jpeg2KImagePlugin.Jpeg2KImageFile(io.BytesIO(data))
            opened.reduce = reduce
            opened.load()
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise DamagedJpeg2000(str(exc)) from None
    image: Image.Image = opened
    if image.mode not in ("L", "LA", "RGB", "RGBA", "I;16", "I;16B", "CMYK"):
        image = image.convert("RGBA" if "A" in image.mode or image.mode == "P" else "RGB")
    array = np.asarray(image)
    return (array[:, :, None] if array.ndim == 2 else array), image.mode == "CMYK"


class DamagedJpeg2000(Exception):
    """OpenJPEG could not decode the bytes."""


def decode_sampled(
    data: bytes, header: Jp2Header, *, work_pixels: int | None, region: Region | None, max_bytes: int
) -> tuple[np.ndarray, bool]:
    """The region of ``data`` at the chosen resolution level, point-sampled to about ``work_pixels``, and
    whether its bands are CMYK."""
    box = (0, 0, header.width, header.height)
    if region is not None and not region.is_full:
        try:
            box = region.box(header.width, header.height)
        except ValueError as exc:
            raise PaletteError(str(exc)) from None
    array, cmyk = decode_level(data, choose_reduce(header, box[2] * box[3], work_pixels, max_bytes))
    if array.shape[1] != header.width or array.shape[0] != header.height:
        box = scale_box(box, array.shape[1] / header.width, array.shape[1], array.shape[0])
    x, y, w, h = box
    step = max(1, math.isqrt(max(1, (w * h) // work_pixels))) if work_pixels else 1
    # A grid centred on the region, as for the formats libvips decodes.
    dx, dy = min(step // 2, w - 1), min(step // 2, h - 1)
    return np.ascontiguousarray(array[y + dy : y + h : step, x + dx : x + w : step]), cmyk
