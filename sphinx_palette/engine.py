"""The palette engine: image → perceptual colour palette, with no Sphinx in it.

Pipeline: decode (``decode.py``) → sample the opaque pixels on a grid (never blending, so a flat graphic keeps
its exact colours) → a 4-bit-per-channel histogram keeping each bin's mean colour and pixel count → weighted
k-means in Oklab (scikit-learn, fixed seed, one thread) → a few Weiszfeld steps that move each centre to its
cluster's geometric median → sRGB swatches with their shares of the pixels.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import ThreadpoolController

from .colour import lightness_to_grey8, oklab_to_rgb8, rgb8_to_oklab, rgb_to_hex
from .decode import DEFAULT_MAX_PIXELS, decode_image, normalise_array
from .errors import PaletteError
from .region import Region, parse_region

#: Bumped whenever the same input may give a different palette; part of every cache key.
ENGINE_VERSION = "5"

SORTS = ("share", "lightness", "hue")
MAX_COLORS = 256

#: Pixels the histogram is built from; more changes the palette by far less than a rounding step.
WORK_PIXELS = 65_536
#: Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale while at least half this many pixels remain: DCT
#: scaling averages 8×8 blocks at 1/8, which flattens texture, so the decode keeps more than is sampled.
DECODE_PIXELS = 131_072
_BIN_BITS = 4
_KMEANS_INITS = 1
_MEDIAN_STEPS = 4
# Below this Oklab chroma a colour reads as grey, so hue sorting puts it with the neutrals.
_NEUTRAL_CHROMA = 0.02

_threadpools = ThreadpoolController()


@dataclass(frozen=True)
class Swatch:
    """One colour of a palette: ``rgb`` in 0–255 and ``share``, the fraction of counted pixels it covers."""

    rgb: tuple[int, int, int]
    share: float

    @property
    def hex(self) -> str:
        """The colour as lower-case ``#rrggbb``."""
        return rgb_to_hex(self.rgb)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready ``{"hex", "rgb", "share"}``."""
        return {"hex": self.hex, "rgb": list(self.rgb), "share": self.share}


@dataclass(frozen=True)
class Palette:
    """The colours of an image, in the order asked for; shares sum to 1."""

    swatches: tuple[Swatch, ...]

    def __iter__(self) -> Iterator[Swatch]:
        return iter(self.swatches)

    def __len__(self) -> int:
        return len(self.swatches)

    @property
    def hexes(self) -> tuple[str, ...]:
        """The swatches' hex codes, in order."""
        return tuple(s.hex for s in self.swatches)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready ``{"swatches": [{"hex", "rgb", "share"}, ...]}``."""
        return {"swatches": [s.to_dict() for s in self.swatches]}

    @classmethod
    def from_dict(cls, data: dict) -> Palette:
        """Rebuild a palette from `to_dict` output; raises ``ValueError`` on malformed data."""
        try:
            swatches = tuple(
                Swatch(rgb=tuple(int(c) for c in s["rgb"]), share=float(s["share"]))  # type: ignore[arg-type]
                for s in data["swatches"]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed palette data: {exc}") from None
        if not swatches or any(len(s.rgb) != 3 or not 0 <= min(s.rgb) <= max(s.rgb) <= 255 for s in swatches):
            raise ValueError("malformed palette data: bad swatch colours")
        return cls(swatches)


def extract_palette(
    image: bytes | str | os.PathLike[str] | np.ndarray,
    colors: int = 5,
    *,
    sort: str = "share",
    seed: int = 0,
    region: str | Region | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
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
    max_pixels : int, default 100_000_000
        Images with more pixels are refused before they are decoded.

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
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)) or max_pixels < 1:
        raise PaletteError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    if isinstance(region, str):
        try:
            region = parse_region(region)
        except ValueError as exc:
            raise PaletteError(str(exc)) from None
    rgb, opaque = _load(image, region, max_pixels)
    pixels = _sample(rgb, opaque, WORK_PIXELS)
    swatches = _cluster(pixels, colors, seed)
    return Palette(tuple(_sorted(swatches, sort)))


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
    image: bytes | str | os.PathLike[str] | np.ndarray, region: Region | None, max_pixels: int
) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(image, np.ndarray):
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
    decoded = decode_image(data, max_pixels=max_pixels, work_pixels=DECODE_PIXELS, region=region)
    return decoded.rgb, decoded.opaque


def _sample(rgb: np.ndarray, opaque: np.ndarray | None, budget: int) -> np.ndarray:
    """Opaque pixels as ``N×3`` uint8, taken on a regular grid of at most about ``budget`` points.

    A grid picks real pixels instead of averaging neighbours, so no colour is invented at edges.
    """
    height, width = rgb.shape[:2]
    step = max(1, math.ceil(math.sqrt(height * width / budget)))
    if step > 1:
        # Start half a step in, so the grid is centred; a strip thinner than that starts at its edge.
        offset = step // 2 if min(height, width) > step // 2 else 0
        rgb = rgb[offset::step, offset::step]
        if opaque is not None:
            opaque = opaque[offset::step, offset::step]
    pixels = rgb.reshape(-1, 3)
    if opaque is not None:
        pixels = pixels[opaque.reshape(-1)]
        if len(pixels) == 0:
            raise PaletteError("the sampled pixels are all transparent")
    return pixels


def _cluster(pixels: np.ndarray, colors: int, seed: int) -> list[Swatch]:
    """Weighted k-means of the pixels' colours in Oklab; distinct swatches, shares summing to 1."""
    points, weights = _histogram(pixels)
    if len(points) <= colors:
        # Few bins: the image may have few colours; count the exact ones before clustering.
        points, weights = _exact_colours(pixels)
        if len(points) <= colors:
            total = weights.sum()
            return [
                Swatch(tuple(int(c) for c in p), float(w / total))  # type: ignore[arg-type]
                for p, w in zip(points, weights, strict=True)
            ]
    lab = rgb8_to_oklab(points)
    labels, centres = _kmeans(lab, weights, colors, seed)
    labels, centres = _refine_medians(lab, weights, labels, centres)
    return _swatches(points, weights, lab, labels, centres, colors)


def _histogram(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-empty bins of a 4-bit-per-channel histogram: each bin's mean colour and its pixel count."""
    shift = 8 - _BIN_BITS
    quantised = (pixels >> shift).astype(np.int32)
    codes = (quantised[:, 0] << (2 * _BIN_BITS)) | (quantised[:, 1] << _BIN_BITS) | quantised[:, 2]
    size = 1 << (3 * _BIN_BITS)
    counts = np.bincount(codes, minlength=size)
    used = np.flatnonzero(counts)
    sums = np.stack(
        [np.bincount(codes, weights=pixels[:, c], minlength=size)[used] for c in range(3)], axis=1
    )
    return sums / counts[used, None], counts[used].astype(np.float64)


def _exact_colours(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    packed = (pixels[:, 0].astype(np.int64) << 16) | (pixels[:, 1].astype(np.int64) << 8) | pixels[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    points = np.stack([(values >> 16) & 255, (values >> 8) & 255, values & 255], axis=1)
    return points.astype(np.float64), counts.astype(np.float64)


def _kmeans(lab: np.ndarray, weights: np.ndarray, colors: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    model = KMeans(n_clusters=colors, n_init=_KMEANS_INITS, random_state=seed, algorithm="lloyd")
    # One thread: results must not depend on the machine's core count, and the problem is small.
    with _threadpools.limit(limits=1):
        model.fit(lab, sample_weight=weights)
    return model.labels_, model.cluster_centers_


def _refine_medians(
    lab: np.ndarray, weights: np.ndarray, labels: np.ndarray, centres: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move each centre toward the weighted geometric median of its cluster, reassigning as it goes.

    k-means minimises squared distances, so a few far-off pixels pull a centre away from the many it stands
    for. A palette is judged by the mean distance from each pixel to its swatch (mean ΔE), which the median
    minimises: on CQ100 these steps lower mean ΔE00 by about 3% for a millisecond.
    """
    k = len(centres)
    centres = centres.copy()
    norms = (lab**2).sum(axis=1)
    rows = np.arange(len(lab))
    for step in range(_MEDIAN_STEPS + 1):
        # Squared distances to every centre through one small matrix product, cheaper than broadcasting.
        squared = norms[:, None] - 2.0 * (lab @ centres.T) + (centres**2).sum(axis=1)[None, :]
        if step:
            labels = squared.argmin(axis=1)
        if step == _MEDIAN_STEPS:
            break
        distance = np.sqrt(np.maximum(squared[rows, labels], 0.0))
        # Weiszfeld's iteration: a weighted mean with weights divided by the distance to the current centre.
        pull = weights / np.maximum(distance, 1e-6)
        norm = np.bincount(labels, weights=pull, minlength=k)
        used = norm > 0
        for channel in range(3):
            sums = np.bincount(labels, weights=pull * lab[:, channel], minlength=k)
            centres[used, channel] = sums[used] / norm[used]
    return labels, centres


def _swatches(
    points: np.ndarray,
    weights: np.ndarray,
    lab: np.ndarray,
    labels: np.ndarray,
    centres: np.ndarray,
    colors: int,
) -> list[Swatch]:
    """Turn clusters into exactly ``colors`` distinct swatches (``len(points) > colors`` here)."""
    colours = oklab_to_rgb8(centres)
    neutral = (points[:, 0] == points[:, 1]) & (points[:, 1] == points[:, 2])
    for k in range(len(centres)):
        members = labels == k
        if members.any() and neutral[members].all():
            # A cluster of greys stays exactly grey; Oklab's round trip could tint it by a unit.
            colours[k] = lightness_to_grey8(centres[k, 0])
    totals: dict[tuple[int, int, int], float] = {}
    for k, colour in enumerate(colours):
        key = (int(colour[0]), int(colour[1]), int(colour[2]))
        totals[key] = totals.get(key, 0.0) + float(weights[labels == k].sum())
    totals = {key: w for key, w in totals.items() if w > 0}

    # Two clusters may round to one colour; split off the worst-fitting real colours until the count holds.
    if len(totals) < colors:
        own = np.rint(points).astype(np.int64)
        error = weights * ((lab - centres[labels]) ** 2).sum(axis=1)
        for index in np.argsort(-error, kind="stable"):
            if len(totals) >= colors:
                break
            key = (int(own[index, 0]), int(own[index, 1]), int(own[index, 2]))
            if key in totals:
                continue
            parent = colours[labels[index]]
            parent_key = (int(parent[0]), int(parent[1]), int(parent[2]))
            if totals.get(parent_key, 0.0) - weights[index] <= 0:
                continue
            totals[parent_key] -= float(weights[index])
            totals[key] = float(weights[index])
    grand_total = sum(totals.values())
    return [Swatch(key, w / grand_total) for key, w in totals.items()]


def _sorted(swatches: list[Swatch], sort: str) -> list[Swatch]:
    if sort == "share":
        return sorted(swatches, key=lambda s: (-s.share, s.hex))
    lab = rgb8_to_oklab(np.array([s.rgb for s in swatches], dtype=np.float64))
    if sort == "lightness":
        order = sorted(range(len(swatches)), key=lambda i: (lab[i, 0], swatches[i].hex))
    else:
        chroma = np.hypot(lab[:, 1], lab[:, 2])
        # The circle is cut at 345°, between magenta (about 328°) and pink (about 0°), so pinks and reds
        # come first and purples last, as people read a hue strip.
        hue = (np.degrees(np.arctan2(lab[:, 2], lab[:, 1])) + 15.0) % 360.0

        def key(i: int) -> tuple[int, float, str]:
            if chroma[i] < _NEUTRAL_CHROMA:
                return (1, float(lab[i, 0]), swatches[i].hex)
            return (0, float(hue[i]), swatches[i].hex)

        order = sorted(range(len(swatches)), key=key)
    return [swatches[i] for i in order]
