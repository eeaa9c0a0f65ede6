"""Decode image bytes into 8-bit sRGB pixels and an opacity mask, within pixel and memory limits.

One decoder per format: JPEG, PNG, TIFF, WebP, GIF, HEIF and AVIF go through libvips (``decode_vips.py``:
streamed, shrunk on load, ICC profiles applied by LittleCMS); JPEG 2000 through OpenJPEG at a reduced
resolution level (``decode_jp2.py``); everything else OpenCV reads (BMP, PNM/PAM, PFM, Radiance HDR, Sun
raster) is decoded whole by OpenCV, after a memory estimate from its header. Everything that is not an 8-bit
RGB image (grey, 16-bit, float, alpha, palette) is normalised here, so the palette algorithm sees one kind of
input. Nothing here knows about Sphinx.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import decode_jp2
from .colour import linear_to_srgb
from .colour_tags import ColourTag, heif_nclx_tag, jp2_icc_profile, png_tags, to_linear_srgb
from .decode_header import describe_content, image_dimensions, looks_like_image
from .decode_jp2 import DamagedJpeg2000, is_jpeg2000
from .decode_jp2 import read_header as read_jp2_header
from .decode_limits import (
    DEFAULT_DECODE_BYTES,
    DEFAULT_MAX_PIXELS,
    SAMPLE_BYTES,
    STREAMED_MAX_PIXELS,
    check_budget,
    check_pixel_limit,
    streamed_chunk_bytes,
)
from .decode_vips import (
    STREAMED_FORMATS,
    DamagedImage,
    apply_icc_profile,
    cmyk_to_srgb,
    decode_sampled,
    displayed_size,
    open_header,
    orient,
    orientation_of,
    vips_format,
)
from .errors import PaletteError
from .region import Region


@dataclass(frozen=True)
class DecodedImage:
    """Decoded pixels: ``rgb`` is ``H×W×3`` uint8, ``opaque`` an ``H×W`` bool mask or ``None`` (all opaque).

    ``width`` and ``height`` are the dimensions of the stored image, before any reduced decoding or crop.
    """

    rgb: np.ndarray
    opaque: np.ndarray | None
    width: int
    height: int


def shown_dimensions(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of the image as shown (after EXIF orientation), from its header; or ``None``."""
    fmt = vips_format(data)
    if fmt is not None:
        try:
            header = open_header(data, fmt)
        except DamagedImage:
            return None
        return displayed_size(header.width, header.height, orientation_of(header))
    return image_dimensions(data)


def decode_image(
    data: bytes,
    *,
    max_pixels: int | None = None,
    work_pixels: int | None = None,
    region: Region | None = None,
    max_bytes: int = DEFAULT_DECODE_BYTES,
    sample_pixels: int | None = None,
) -> DecodedImage:
    """Decode ``data`` to 8-bit sRGB, refusing, from the header, images over the pixel limit or the budget.

    JPEG, PNG, TIFF and WebP (by libvips: streamed, shrunk on load) and JPEG 2000 (at a reduced resolution
    level) are decoded in bounded memory and may have up to `STREAMED_MAX_PIXELS`; every other format is
    decoded whole and may have up to `DEFAULT_MAX_PIXELS`. Whatever the format, the estimated decoding
    memory must fit in ``max_bytes``. An explicit ``max_pixels`` applies to every format. Embedded ICC
    profiles, CMYK, PNG's colour chunks and HEIF's ``nclx`` colour are converted to sRGB.

    With ``work_pixels``, only a regular grid of at least about that many pixels of the region of interest
    is kept (JPEGs are shrunk on load by libjpeg's DCT scaling instead). With ``sample_pixels``, formats
    libvips decodes keep at most about that many, on a regular grid taken before colour management (other
    formats may keep more). ``region`` crops the image.
    Raises `PaletteError` for anything that is not a usable image.
    """
    if not data:
        raise PaletteError("the file is empty")
    if is_jpeg2000(data):
        return _decode_jpeg2000(data, max_pixels, work_pixels, region, max_bytes)
    fmt = vips_format(data)
    if fmt is not None:
        try:
            return _decode_vips(data, fmt, max_pixels, work_pixels, region, max_bytes, sample_pixels)
        except DamagedImage:
            # libvips' own reason ("vipspng: libpng read error") would tell an author nothing more.
            raise PaletteError(f"not a readable image ({describe_content(data)})") from None
    if not looks_like_image(data):
        # Never handed to OpenCV: what it would say of gigabytes of zeros is an assertion, not a reason.
        raise PaletteError(f"not a readable image ({describe_content(data)})")
    # OpenCV is imported for these rarer formats only: a warm build never pays for it.
    from .decode_opencv import decode_with_opencv

    pixels = decode_with_opencv(data, DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels, max_bytes)
    height, width = pixels.shape[:2]
    rgb, opaque = _to_rgb8(pixels)
    del pixels
    if region is not None and not region.is_full:
        try:
            rgb, opaque = _crop(rgb, opaque, region.box(width, height))
        except ValueError as exc:
            raise PaletteError(str(exc)) from None
    _check_opaque(opaque)
    return DecodedImage(rgb=rgb, opaque=opaque, width=width, height=height)


def _decode_vips(
    data: bytes,
    fmt: str,
    max_pixels: int | None,
    work_pixels: int | None,
    region: Region | None,
    max_bytes: int,
    sample_pixels: int | None = None,
) -> DecodedImage:
    header = open_header(data, fmt)
    width, height = header.width, header.height
    streamed = fmt in STREAMED_FORMATS
    if max_pixels is None:
        max_pixels = STREAMED_MAX_PIXELS if streamed else DEFAULT_MAX_PIXELS
    check_pixel_limit(width, height, max_pixels)
    per_pixel = header.bands * SAMPLE_BYTES.get(header.format, 8)
    if not streamed:
        check_budget(width, height, width * height * (2 * per_pixel + 4), max_bytes)  # frame + our copy
    elif not work_pixels:
        check_budget(width, height, width * height * (per_pixel + 4), max_bytes)  # every pixel is kept
    else:
        sample_bytes = SAMPLE_BYTES.get(header.format, 8)
        chunk = streamed_chunk_bytes(data, fmt, width, header.bands, sample_bytes, height)
        check_budget(width, height, chunk, max_bytes)
    tags = png_tags(data) if fmt == "png" else None
    sampled = decode_sampled(
        data,
        fmt,
        header,
        work_pixels=work_pixels,
        region=region,
        use_profile=tags is None or tags.use_icc,
        sample_pixels=sample_pixels,
    )
    array = sampled.array
    tag = tags.tag if tags is not None else heif_nclx_tag(data) if fmt == "heif" else None
    if tag is not None and not sampled.colour_managed:
        array = _apply_tag(array, tag)
    if array.dtype == np.uint8 and array.shape[2] == 3:
        rgb, opaque = array, None  # already what _to_rgb8 would make of it: no two copies that cancel
    else:
        if array.shape[2] in (3, 4):
            array = array[:, :, [2, 1, 0, 3][: array.shape[2]]]  # _to_rgb8 takes OpenCV's BGR(A) order
        rgb, opaque = _to_rgb8(np.ascontiguousarray(array))
    rgb = orient(rgb, sampled.orientation)
    opaque = None if opaque is None else orient(opaque, sampled.orientation)
    _check_opaque(opaque)
    shown = displayed_size(width, height, sampled.orientation)
    return DecodedImage(rgb=rgb, opaque=opaque, width=shown[0], height=shown[1])


def _decode_jpeg2000(
    data: bytes, max_pixels: int | None, work_pixels: int | None, region: Region | None, max_bytes: int
) -> DecodedImage:
    header = read_jp2_header(data)
    if header is None:
        raise PaletteError(f"not a readable image ({describe_content(data)})")
    check_pixel_limit(header.width, header.height, STREAMED_MAX_PIXELS if max_pixels is None else max_pixels)
    try:
        array, cmyk = decode_jp2.decode_sampled(
            data, header, work_pixels=work_pixels, region=region, max_bytes=max_bytes
        )
    except DamagedJpeg2000:
        raise PaletteError(f"not a readable image ({describe_content(data)})") from None
    profile = jp2_icc_profile(data)
    if array.shape[2] == 4 and (cmyk or (profile is not None and profile[16:20] == b"CMYK")):
        # Four bands of ink (an enumerated CMYK colr box, or a CMYK profile): no alpha among them.
        return DecodedImage(cmyk_to_srgb(array, profile), None, header.width, header.height)
    if array.shape[2] in (3, 4):
        array = array[:, :, [2, 1, 0, 3][: array.shape[2]]]  # _to_rgb8 takes OpenCV's BGR(A) order
    rgb, opaque = _to_rgb8(np.ascontiguousarray(array))
    if profile is not None and (managed := apply_icc_profile(rgb, profile)) is not None:
        rgb = managed
    _check_opaque(opaque)
    return DecodedImage(rgb=rgb, opaque=opaque, width=header.width, height=header.height)


def _apply_tag(array: np.ndarray, tag: ColourTag) -> np.ndarray:
    """Code values → linear-light float (which `_to_uint8` encodes as sRGB), alpha kept as coverage."""
    peak = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(array.dtype)
    if peak is None:
        return array
    colour_bands = 3 if array.shape[2] >= 3 else 1
    linear = to_linear_srgb(array[:, :, :colour_bands] / peak, tag)
    if array.shape[2] > colour_bands:
        linear = np.concatenate([linear, array[:, :, -1:] / peak], axis=2)
    return linear.astype(np.float32)


def normalise_array(array: np.ndarray, region: Region | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Normalise an ``H×W``, ``H×W×3`` or ``H×W×4`` RGB(A) array to 8-bit RGB and an opacity mask.

    ``region`` crops it, in the array's own pixels.
    """
    if array.ndim == 3 and array.shape[2] in (3, 4):
        # OpenCV's channel order is BGR(A); callers give RGB(A).
        array = array[:, :, [2, 1, 0, 3][: array.shape[2]]]
    elif array.ndim != 2:
        raise PaletteError(f"expected an H×W×3 or H×W×4 array, got shape {array.shape}")
    if array.size == 0:
        raise PaletteError("the image has no pixels")
    rgb, opaque = _to_rgb8(array)
    if region is not None and not region.is_full:
        try:
            box = region.box(rgb.shape[1], rgb.shape[0])
        except ValueError as exc:
            raise PaletteError(str(exc)) from None
        rgb, opaque = _crop(rgb, opaque, box)
    _check_opaque(opaque)
    return rgb, opaque


def _crop(
    rgb: np.ndarray, opaque: np.ndarray | None, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray | None]:
    x, y, w, h = box
    return rgb[y : y + h, x : x + w], None if opaque is None else opaque[y : y + h, x : x + w]


def _check_opaque(opaque: np.ndarray | None) -> None:
    if opaque is not None and not opaque.any():
        raise PaletteError("the image has no opaque pixel (every pixel is at least half transparent)")


def _to_rgb8(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A decoded array (grey, BGR or BGRA as OpenCV orders them, any depth) → contiguous RGB uint8 and an
    opacity mask. numpy only, so that the formats libvips and OpenJPEG decode never load OpenCV."""
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    pixels = _to_uint8(pixels)
    if pixels.ndim == 2:
        return np.repeat(pixels[:, :, None], 3, axis=2), None
    channels = pixels.shape[2]
    if channels == 2:  # grey + alpha
        return np.repeat(pixels[:, :, :1], 3, axis=2), _opaque(pixels[:, :, 1])
    if channels in (3, 4):
        opaque = _opaque(pixels[:, :, 3]) if channels == 4 else None
        return np.ascontiguousarray(pixels[:, :, 2::-1]), opaque
    raise PaletteError(f"images with {channels} channels are not supported")


def _opaque(alpha: np.ndarray) -> np.ndarray | None:
    """Pixels with alpha of at least 128 count; ``None`` when all of them do (the common case)."""
    mask = alpha >= 128
    return None if mask.all() else mask


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Scale any integer or float depth to 8 bits; float data is taken as linear light in 0–1."""
    dtype = pixels.dtype
    if dtype == np.uint8:
        return pixels
    if dtype == np.bool_:
        return pixels.astype(np.uint8) * 255
    if np.issubdtype(dtype, np.floating):
        values = np.nan_to_num(pixels.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        peak = float(values.max()) if values.size else 0.0
        if peak > 1.0:  # unnormalised radiance (HDR, PFM): scale the brightest value to white
            values = values / peak
        if values.ndim == 3 and values.shape[2] in (2, 4):
            # Alpha is coverage, not light: keep it linear.
            colour = linear_to_srgb(values[:, :, :-1])
            values = np.concatenate([colour, np.clip(values[:, :, -1:], 0.0, 1.0)], axis=2)
        else:
            values = linear_to_srgb(values)
        return np.rint(values * 255.0).astype(np.uint8)
    if dtype == np.uint16:
        # A lookup table keeps 16-bit images (PNG, TIFF) at one byte per value; the float route below would
        # need 24 bytes per value, gigabytes for a large scan. Same rounding: v / 257 is never a tie.
        return _UINT16_TO_UINT8[pixels]
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = np.clip(pixels.astype(np.float64), 0, info.max)
        return np.rint(values * (255.0 / info.max)).astype(np.uint8)
    raise PaletteError(f"unsupported pixel type {dtype}")


_UINT16_TO_UINT8 = np.rint(np.arange(65536, dtype=np.float64) * (255.0 / 65535.0)).astype(np.uint8)
