"""Decode JPEG, PNG, TIFF, WebP, GIF, HEIF and AVIF with libvips, in bounded memory, colour-managed.

libvips streams an image from top to bottom (``access="sequential"``), so cropping and point-sampling a grid
of it holds a few strips of rows, never the whole image: a 500-megapixel PNG or TIFF costs tens of megabytes.
JPEGs are shrunk on load by libjpeg's DCT scaling, WebPs by libwebp's scaled decoding, and pyramidal TIFFs
are read from their smallest level that is still large enough. The few pixels kept are then converted to
sRGB with LittleCMS (`icc_transform`), from the embedded ICC profile or, for CMYK without one, libvips'
built-in CMYK profile, the way a colour-managed viewer shows them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pyvips

from .errors import PaletteError
from .icc_srgb import acts_as_srgb
from .region import Region, scale_box

# Each decode reads its own bytes once: libvips' operation cache would only keep those buffers (up to the
# palette byte limit each) alive between images.
pyvips.cache_set_max(0)
# libvips logs what libpng, libjpeg or libtiff said about a damaged file through pyvips' logger; a host that
# configures the root logger (as some front ends do) would print those lines. The damage that matters is
# reported once, as our own error.
logging.getLogger("pyvips").propagate = False


class DamagedImage(Exception):
    """libvips could not decode the bytes; ``reason`` is its most specific message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: Signature → libvips loader. Formats libvips streams (or shrinks on load) come first.
_LOADERS: tuple[tuple[str, str], ...] = (
    ("jpeg", "jpegload_source"),
    ("png", "pngload_source"),
    ("tiff", "tiffload_source"),
    ("webp", "webpload_source"),
    ("gif", "gifload_source"),
    ("heif", "heifload_source"),
)
#: Formats decoded in bounded memory whatever their size (the others are decoded whole by their codec).
STREAMED_FORMATS = frozenset({"jpeg", "png", "tiff", "webp"})


def vips_format(data: bytes) -> str | None:
    """The format name this module decodes ``data`` as, or ``None`` if libvips is not used for it."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1"):
        return "heif"
    return None


@dataclass(frozen=True)
class VipsPixels:
    """Sampled pixels in stored orientation: ``array`` is ``H×W×bands`` (any depth), RGB(A) or grey(+A).

    ``colour_managed`` says the array is already sRGB; otherwise it holds the file's code values.
    """

    array: np.ndarray
    width: int
    height: int
    orientation: int
    colour_managed: bool


def open_header(data: bytes, fmt: str) -> pyvips.Image:
    """Open ``data`` lazily (libvips reads only the header here); `DamagedImage` if it cannot."""
    return _load(data, fmt)


def decode_sampled(
    data: bytes,
    fmt: str,
    header: pyvips.Image,
    *,
    work_pixels: int | None,
    region: Region | None,
    use_profile: bool = True,
    sample_pixels: int | None = None,
) -> VipsPixels:
    """Decode ``data`` keeping about ``work_pixels`` (at least) of the region, on a regular grid.

    ``header`` is the image `open_header` returned for the same bytes; ``use_profile=False`` ignores an
    embedded RGB profile (a PNG's ``cICP`` chunk outranks its ``iCCP``). With ``sample_pixels``, the grid is
    coarsened to keep at most about that many (see `grid_step`), before colour management, so that only
    the pixels kept are converted.
    """
    width, height = header.width, header.height
    orientation = orientation_of(header)
    box = _stored_box(region, width, height, orientation)
    area = box[2] * box[3]
    image = header
    scale = 1.0
    if work_pixels:
        if fmt == "jpeg":
            shrink = 1
            while shrink < 8 and area / (2 * shrink) ** 2 >= work_pixels / 2:
                shrink *= 2
            if shrink > 1:
                image, scale = _load(data, fmt, shrink=shrink), 1 / shrink
        elif fmt == "webp" and area > 2 * work_pixels:
            factor = math.sqrt(2 * work_pixels / area)
            image = _load(data, fmt, scale=factor)
            scale = image.width / width
        elif fmt == "tiff":
            image, scale = _pyramid_level(data, header, area, work_pixels)
    if scale != 1.0:
        box = scale_box(box, scale, image.width, image.height)
    x, y, w, h = box
    step = 1
    if work_pixels:
        step = max(1, math.isqrt(max(1, (w * h) // work_pixels)))
    if sample_pixels:
        step = max(step, grid_step(w, h, sample_pixels))
    try:
        # A damaged file may shrink on load to another size than its header said: the crop then fails too.
        if step > 1:
            offset = grid_offset(w, h, step)
            image = image.crop(x + offset, y + offset, w - offset, h - offset)
        elif (x, y, w, h) != (0, 0, image.width, image.height):
            image = image.crop(x, y, w, h)
        converted, managed = _to_srgb(image, use_profile)
        if step > 1 and converted is not image:
            # Colour management costs per pixel: convert the grid only.
            converted, managed = _to_srgb(_subsample(image, step), use_profile)
            step = 1
        array = pixels_of(converted, step=step)  # the one pass over the file
    except pyvips.Error as exc:
        raise DamagedImage(_vips_reason(exc)) from None
    return VipsPixels(array, width, height, orientation, managed)


def grid_step(width: int, height: int, budget: int) -> int:
    """The step of the regular grid that keeps at most about ``budget`` of ``width × height`` pixels."""
    return max(1, math.ceil(math.sqrt(width * height / budget)))


def grid_offset(width: int, height: int, step: int) -> int:
    """Where a grid of ``step`` starts: half a step in, so it is centred, unless the image is thinner."""
    return step // 2 if min(width, height) > step // 2 else 0


_DTYPES = {"uchar": np.uint8, "char": np.int8, "ushort": np.uint16, "short": np.int16, "uint": np.uint32,
           "int": np.int32, "float": np.float32, "double": np.float64}  # fmt: skip


#: Most bytes of the image one fetch of `pixels_of` asks libvips for.
_STRIP_BYTES = 8 << 20


def pixels_of(image: pyvips.Image, rows: int = 64, step: int = 1) -> np.ndarray:
    """Compute ``image`` into an ``H×W×bands`` array, strip by strip, in the calling thread; with ``step``,
    only the grid ``[::step, ::step]`` is kept.

    Not `Image.numpy()`: that runs libvips' worker threads, and a process that forks after they started
    (Sphinx's parallel build, a process pool) hangs in the child the next time it decodes. A region
    fetch computes in this thread, so libvips never starts workers and stays usable after a fork. The grid
    is taken here, not by libvips' ``subsample``, which costs more than the fetch (a CQ100 PNG: 7.2 ms
    against 6.3 ms for every pixel).
    """
    dtype = _DTYPES.get(image.format)
    if dtype is None:
        raise DamagedImage(f"unsupported pixel format {image.format}")
    region = pyvips.Region.new(image)
    width, bands = image.width, image.bands
    out = np.empty((-(-image.height // step), -(-width // step), bands), dtype)
    row_bytes = width * bands * np.dtype(dtype).itemsize
    per_fetch = max(1, min(rows, _STRIP_BYTES // (row_bytes * step)))  # rows of ``out`` per fetch
    for top in range(0, len(out), per_fetch):
        count = min(per_fetch, len(out) - top)
        first = top * step
        height = min((count - 1) * step + 1, image.height - first)
        strip = np.frombuffer(region.fetch(0, first, width, height), dtype).reshape(height, width, bands)
        out[top : top + count] = strip[::step, ::step]
    return out


def _subsample(image: pyvips.Image, step: int) -> pyvips.Image:
    """libvips' grid ``[::step, ::step]`` of ``image``, exactly numpy's, including a last partial step."""
    across, down = -(-image.width // step), -(-image.height // step)
    if (across * step, down * step) != (image.width, image.height):
        # subsample keeps whole steps only; the padding is never sampled.
        image = image.embed(0, 0, across * step, down * step, extend="copy")
    return image.subsample(step, step)


def _load(data: bytes, fmt: str, **options: object) -> pyvips.Image:
    loader = dict(_LOADERS)[fmt]
    if fmt in STREAMED_FORMATS:
        options["access"] = "sequential"
    try:
        # "truncated": a file cut short is an error we report once; libpng's or libjpeg's own lines about
        # it go to libvips' log (pyvips' logger), never to the terminal.
        # A source reads the bytes in place; a "buffer" loader would copy them on every call.
        source = pyvips.Source.new_from_memory(data)
        return getattr(pyvips.Image, loader)(source, fail_on="truncated", **options)
    except pyvips.Error as exc:
        raise DamagedImage(_vips_reason(exc)) from None


def _pyramid_level(
    data: bytes, header: pyvips.Image, area: int, work_pixels: int
) -> tuple[pyvips.Image, float]:
    """The smallest page (or sub-IFD) of a pyramidal TIFF that keeps at least ``work_pixels`` of the area."""
    best, best_scale = header, 1.0
    candidates: list[dict[str, int]] = []
    if header.get_typeof("n-pages") and header.get("n-pages") > 1:
        candidates += [{"page": page} for page in range(1, min(header.get("n-pages"), 32))]
    if header.get_typeof("n-subifds") and header.get("n-subifds") > 0:
        candidates += [{"subifd": index} for index in range(min(header.get("n-subifds"), 32))]
    for options in candidates:
        try:
            level = _load(data, "tiff", **options)
        except DamagedImage:
            continue
        scale = level.width / header.width
        same_shape = abs(level.height / header.height - scale) <= 0.02 and level.bands == header.bands
        if same_shape and scale < best_scale and area * scale * scale >= work_pixels:
            best, best_scale = level, scale
    return best, best_scale


def _to_srgb(image: pyvips.Image, use_profile: bool) -> tuple[pyvips.Image, bool]:
    """Convert the colour bands to 8-bit sRGB with LittleCMS when a profile (or CMYK/Lab) says how."""
    interpretation = image.interpretation
    has_profile = use_profile and bool(image.get_typeof("icc-profile-data"))
    cmyk = interpretation == "cmyk"
    if interpretation in ("lab", "labs", "labq", "xyz", "lch", "cmc", "yxy", "hsv"):
        return image.colourspace("srgb"), True
    if not (has_profile or cmyk):
        return image, False
    srgb_like = interpretation == "srgb" and image.format == "uchar" and image.bands in (3, 4)
    if has_profile and srgb_like and acts_as_srgb(image.get("icc-profile-data")):
        return image, True  # LittleCMS would move no value by more than a step, at ~3 ms for the transform
    colour_bands = 4 if cmyk else (1 if interpretation in ("b-w", "grey16") else 3)
    colour_bands = min(colour_bands, image.bands)
    extra = None
    colour = image
    if image.bands > colour_bands:
        extra = image.extract_band(colour_bands, n=image.bands - colour_bands)
        colour = image.extract_band(0, n=colour_bands)
    try:
        converted = colour.icc_transform(
            "srgb", embedded=has_profile, input_profile="cmyk" if cmyk else "srgb", intent="relative", depth=8
        )
    except pyvips.Error:
        if cmyk:  # a broken profile on CMYK: libvips' own CMYK profile is the best guess
            converted = colour.copy()
            converted.remove("icc-profile-data")
            converted = converted.icc_transform("srgb", input_profile="cmyk", intent="relative", depth=8)
        else:
            return image, False  # a broken RGB profile is ignored, as browsers ignore it
    if converted.format != "uchar":
        converted = converted.cast("uchar")
    if extra is None:
        return converted, True
    alpha = extra.extract_band(extra.bands - 1)
    if alpha.format != "uchar":
        alpha = (alpha * (255.0 / _format_max(alpha.format))).cast("uchar")
    return converted.bandjoin(alpha), True


def _format_max(fmt: str) -> float:
    return {"ushort": 65535.0, "short": 32767.0, "uint": 4294967295.0, "int": 2147483647.0}.get(fmt, 1.0)


def orientation_of(image: pyvips.Image) -> int:
    """The EXIF orientation (1 to 8) libvips read from the header; 1 when there is none."""
    if image.get_typeof("orientation"):
        value = image.get("orientation")
        if isinstance(value, int) and 1 <= value <= 8:
            return value
    return 1


def displayed_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """Size of the image as shown, after EXIF ``orientation`` (5 to 8 swap the axes)."""
    return (height, width) if orientation >= 5 else (width, height)


Box = tuple[int, int, int, int]


def _stored_box(region: Region | None, width: int, height: int, orientation: int) -> Box:
    """The region, given on the displayed image, as a box of the stored pixels."""
    if region is None or region.is_full:
        return 0, 0, width, height
    shown_w, shown_h = displayed_size(width, height, orientation)
    try:
        x, y, w, h = region.box(shown_w, shown_h)
    except ValueError as exc:
        raise PaletteError(str(exc)) from None
    corners = [_to_stored(px, py, width, height, orientation) for px, py in ((x, y), (x + w, y + h))]
    (ax, ay), (bx, by) = corners
    x0, x1 = sorted((ax, bx))
    y0, y1 = sorted((ay, by))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _to_stored(x: int, y: int, width: int, height: int, orientation: int) -> tuple[int, int]:
    """Map a corner of the displayed image to the stored image (EXIF orientations 1 to 8)."""
    return {
        1: (x, y),
        2: (width - x, y),
        3: (width - x, height - y),
        4: (x, height - y),
        5: (y, x),
        6: (y, height - x),
        7: (width - y, height - x),
        8: (width - y, x),
    }[orientation]


def orient(array: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels (``H×W×…``) to the way EXIF ``orientation`` says they are shown."""
    if orientation in (2, 4):
        array = array[:, ::-1] if orientation == 2 else array[::-1]
    elif orientation == 3:
        array = array[::-1, ::-1]
    elif orientation == 5:
        array = array.swapaxes(0, 1)
    elif orientation == 6:
        array = np.rot90(array, -1)
    elif orientation == 7:
        array = np.rot90(array, -1)[::-1]
    elif orientation == 8:
        array = np.rot90(array, 1)
    return np.ascontiguousarray(array)


def _vips_reason(exc: pyvips.Error) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    # libvips' message ends with its most specific cause ("vipspng: libpng read error").
    return lines[-1] if lines else "unreadable"


def apply_icc_profile(rgb: np.ndarray, profile: bytes) -> np.ndarray | None:
    """8-bit RGB code values in a profile's colour space → 8-bit sRGB with LittleCMS; ``None`` if unusable."""
    image = pyvips.Image.new_from_array(np.ascontiguousarray(rgb)).copy(interpretation="srgb")
    image.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
    try:
        converted = image.icc_transform("srgb", embedded=True, intent="relative", depth=8)
        return pixels_of(converted.cast("uchar")).reshape(rgb.shape)
    except (pyvips.Error, DamagedImage):
        return None


def cmyk_to_srgb(cmyk: np.ndarray, profile: bytes | None) -> np.ndarray:
    """8-bit CMYK ink amounts (``H×W×4``) → 8-bit sRGB with LittleCMS, through ``profile`` if it is usable,
    else libvips' own CMYK profile, as for CMYK JPEG and TIFF."""
    image = pyvips.Image.new_from_array(np.ascontiguousarray(cmyk)).copy(interpretation="cmyk")
    if profile is not None:
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
    try:
        converted = image.icc_transform(
            "srgb", embedded=profile is not None, input_profile="cmyk", intent="relative", depth=8
        )
        return pixels_of(converted.cast("uchar"))[:, :, :3].copy()
    except (pyvips.Error, DamagedImage):
        if profile is None:
            raise PaletteError("not a readable image (its CMYK colours could not be converted)") from None
        return cmyk_to_srgb(cmyk, None)
