"""`extract_palette`: image → perceptual colour palette, with no Sphinx in it.

Pipeline: decode (``decode.py``) → sample the opaque pixels on a grid (never blending, so a flat graphic keeps
its exact colours) → cluster them (``cluster.py``) → sort the swatches (``palette.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .cluster import cluster
from .decode import DEFAULT_MAX_PIXELS, decode_image, normalise_array
from .decode_limits import DEFAULT_DECODE_BYTES
from .decode_vips import grid_offset, grid_step
from .errors import PaletteError
from .palette import EMPHASES, MAX_COLORS, SORTS, Palette, sort_swatches
from .region import Region, parse_region
from .version import ENGINE_VERSION  # noqa: F401 (re-exported: part of the engine's public face)

#: Pixels the histogram is built from; more changes the palette by far less than a rounding step.
WORK_PIXELS = 65_536
#: Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale while at least half this many pixels remain (and WebPs,
#: pyramidal TIFFs and JPEG 2000s at a matching size). DCT scaling averages 8×8 blocks at 1/8, which flattens
#: texture: on the 1920×1280 photographs, 1/8 instead of 1/4 (then a grid) raised the mean ΔE00 of the
#: palettes by 1% at 5 colours and 3% at 8, and saved about 2 ms of a 12 ms palette.
DECODE_PIXELS = 65_536


def extract_palette(
    image: bytes | str | os.PathLike[str] | np.ndarray,
    colors: int = 5,
    *,
    sort: str = "share",
    seed: int = 0,
    region: str | Region | None = None,
    max_pixels: int | None = None,
    emphasis: str = "balanced",
    decode_budget: int = DEFAULT_DECODE_BYTES,
) -> Palette:
    """Extract the ``colors`` most representative colours of an image.

    Parameters
    ----------
    image : bytes, str, os.PathLike or numpy.ndarray
        Encoded image bytes (JPEG, PNG, GIF, WebP, TIFF, JPEG 2000, AVIF, ...), a path to such a file, or an
        ``H×W×3`` / ``H×W×4`` uint8 RGB(A) array.
    colors : int, default 5
        Number of swatches wanted, 1 to 256. The palette has ``min(colors, distinct colours)`` swatches.
    sort : {"share", "lightness", "hue"}, default "share"
        Largest share first; darkest first; or by hue angle from red, neutrals last (darkest first).
    seed : int, default 0
        Seed of the k-means initialisation. The same input and parameters give the same palette.
    region : str or Region, optional
        Part of the image to use, in IIIF region syntax (``"pct:10,10,80,80"``, ``"x,y,w,h"``, ``"square"``).
    max_pixels : int, optional
        Images with more pixels are refused before they are decoded. By default 2,000,000,000 for JPEG,
        PNG, TIFF and WebP, which are decoded in bounded memory, and 100,000,000 for every other format
        and for arrays.
    decode_budget : int, default 1 GiB
        Most memory, in bytes, one decode may take, estimated from the image's header; an image over it is
        refused before it is decoded.

    Returns
    -------
    Palette
        Distinct swatches whose shares of the counted (opaque) pixels sum to 1.

    Raises
    ------
    PaletteError
        When the input is not a usable image or a parameter is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.zeros((10, 10, 3), np.uint8); flat[:, 5:] = (255, 0, 0)
    >>> [(s.hex, s.share) for s in extract_palette(flat, 5)]
    [('#000000', 0.5), ('#ff0000', 0.5)]
    """
    colors = _check_parameters(colors, sort, seed)
    if emphasis not in EMPHASES:
        raise PaletteError(f"emphasis must be one of {', '.join(EMPHASES)}; got {emphasis!r}")
    if max_pixels is not None and (
        isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)) or max_pixels < 1
    ):
        raise PaletteError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    if isinstance(region, str):
        try:
            region = parse_region(region)
        except ValueError as exc:
            raise PaletteError(str(exc)) from None
    rgb, opaque = _load(image, region, max_pixels, decode_budget)
    pixels = _sample(rgb, opaque, WORK_PIXELS)
    swatches = cluster(pixels, colors, seed, emphasis)
    return Palette(tuple(sort_swatches(swatches, sort)))


def _check_parameters(colors: int, sort: str, seed: int) -> int:
    if isinstance(colors, bool) or not isinstance(colors, (int, np.integer)):
        raise PaletteError(f"colors must be an integer, got {colors!r}")
    if not 1 <= colors <= MAX_COLORS:
        raise PaletteError(f"colors must be between 1 and {MAX_COLORS}, got {colors}")
    if sort not in SORTS:
        raise PaletteError(f"sort must be one of {', '.join(SORTS)}; got {sort!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise PaletteError(f"seed must be an integer in 0 to 2**32 - 1, got {seed!r}")
    return int(colors)


def _load(
    image: bytes | str | os.PathLike[str] | np.ndarray,
    region: Region | None,
    max_pixels: int | None,
    decode_budget: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(image, np.ndarray):
        max_pixels = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
        if image.dtype != np.uint8:
            raise PaletteError(f"arrays must be uint8 RGB(A), got dtype {image.dtype}")
        if image.ndim >= 2 and image.shape[0] * image.shape[1] > max_pixels:
            raise PaletteError(f"the image has more than {max_pixels / 1e6:g} megapixels")
        return normalise_array(image, region)
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
    elif isinstance(image, (str, os.PathLike)):
        try:
            data = Path(image).read_bytes()
        except OSError as exc:
            raise PaletteError(f"cannot read {os.fspath(image)!r}: {exc.strerror or exc}") from None
        except ValueError as exc:  # e.g. a NUL character in the path
            raise PaletteError(f"cannot read {os.fspath(image)!r}: {exc}") from None
    else:
        raise PaletteError(f"expected image bytes, a path or a numpy array, got {type(image).__name__}")
    # The decoder takes the sampling grid itself (the same as `_sample`'s), so that colour management and
    # the copies after it touch only the pixels kept.
    decoded = decode_image(
        data,
        max_pixels=max_pixels,
        work_pixels=DECODE_PIXELS,
        sample_pixels=WORK_PIXELS,
        region=region,
        max_bytes=decode_budget,
    )
    return decoded.rgb, decoded.opaque


def _sample(rgb: np.ndarray, opaque: np.ndarray | None, budget: int) -> np.ndarray:
    """Opaque pixels as ``N×3`` uint8, taken on a regular grid of at most about ``budget`` points.

    A grid picks real pixels instead of averaging neighbours, so no colour is invented at edges.
    """
    height, width = rgb.shape[:2]
    step = grid_step(width, height, budget)
    if step > 1:
        offset = grid_offset(width, height, step)
        rgb = rgb[offset::step, offset::step]
        if opaque is not None:
            opaque = opaque[offset::step, offset::step]
    pixels = rgb.reshape(-1, 3)
    if opaque is not None:
        pixels = pixels[opaque.reshape(-1)]
        if len(pixels) == 0:
            raise PaletteError("the sampled pixels are all transparent")
    return pixels
