"""Palette quality metrics for the benchmark: coverage (CIEDE2000 from each pixel to its nearest swatch) and
accent recall (does the palette show the image's vivid hues).

sRGB (8 bit, IEC 61966-2-1) is converted to CIELAB under D65 and compared with the CIEDE2000
formula of Sharma, Wu & Dalal (Color Res. Appl. 30(1), 2005). Everything is vectorised with
numpy; :func:`mean_delta_e` works on the distinct colours of the image weighted by their pixel
counts, which is exact and much cheaper than visiting every pixel.

Accent recall follows issue 9 to the letter: an *accent* is a hue that stands out. Take the pixels whose Oklch
chroma is at least 0.10, bin them by hue into twelve 30° sectors (0–30°, 30–60°, ...); a sector holding at
least 1% of all the image's pixels is an accent, at its pixels' chroma-weighted (circular) mean hue. A palette
*recalls* an accent when one of its swatches has chroma at least 0.05 and a hue within 25° of the accent's.
"""

from __future__ import annotations

import math

import numpy as np

from sphinx_palette.engine.colour import rgb8_to_oklab

# sRGB (linear) -> XYZ, D65, at the precision used by most published Lab tables.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
# The white point is the image of RGB white, so neutral greys land exactly on a* = b* = 0.
_WHITE = _RGB_TO_XYZ.sum(axis=1)

_CODES = np.arange(256, dtype=np.float64) / 255.0
# Linearising through a 256-entry table avoids a power per channel per colour.
_LINEAR_LUT = np.where(_CODES <= 0.04045, _CODES / 12.92, ((_CODES + 0.055) / 1.055) ** 2.4)

_EPSILON = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0
_POW25_7 = 25.0**7

ACCENT_CHROMA = 0.10
ACCENT_SECTORS = 12
ACCENT_SHARE = 0.01
RECALL_CHROMA = 0.05
RECALL_DEGREES = 25.0

# Colours compared against one swatch per numpy call: big enough to amortise numpy's per-call
# overhead, small enough that the temporaries stay cache-sized (measured fastest here; threads
# over chunks did not help, the per-call overhead serialises them).
_CHUNK = 1 << 16


def srgb8_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert ``(..., 3)`` 8-bit sRGB values (ints, or floats in 0–255) to CIELAB, D65."""
    rgb = np.asarray(rgb)
    if np.issubdtype(rgb.dtype, np.integer):
        linear = _LINEAR_LUT[np.clip(rgb, 0, 255)]
    else:
        # Fractional inputs (e.g. k-means centres) cannot use the table.
        v = np.clip(rgb.astype(np.float64), 0.0, 255.0) / 255.0
        linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    xyz = (linear @ _RGB_TO_XYZ.T) / _WHITE
    f = np.where(xyz > _EPSILON, np.cbrt(xyz), (_KAPPA * xyz + 16.0) / 116.0)
    lab = np.empty_like(f)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return lab


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray, dtype: type[np.floating] = np.float64) -> np.ndarray:
    """CIEDE2000 colour difference of CIELAB colours ``(..., 3)``, broadcast against each other.

    Uses kL = kC = kH = 1 and follows the hue conventions of Sharma et al. (2005), so it
    reproduces their 34 published test pairs to 4 decimals. ``dtype=np.float32`` is about ten
    times faster (numpy vectorises single-precision trigonometry) and accurate to ~1e-4.
    """
    lab1 = np.asarray(lab1, dtype=dtype)
    lab2 = np.asarray(lab2, dtype=dtype)
    # Typed scalars keep mask arithmetic in ``dtype``: bool * Python float would give float64.
    one, d180, d360 = dtype(1.0), dtype(180.0), dtype(360.0)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]

    c_bar = 0.5 * (np.sqrt(a1 * a1 + b1 * b1) + np.sqrt(a2 * a2 + b2 * b2))
    c_bar7 = _pow7(c_bar)
    g1 = 1.5 - 0.5 * np.sqrt(c_bar7 / (c_bar7 + _POW25_7))
    a1p = g1 * a1
    a2p = g1 * a2
    c1p = np.sqrt(a1p * a1p + b1 * b1)
    c2p = np.sqrt(a2p * a2p + b2 * b2)
    # atan2(0, 0) is 0, which is the hue the formula prescribes for achromatic colours.
    h1p = _hue_degrees(b1, a1p, d360)
    h2p = _hue_degrees(b2, a2p, d360)

    # Branches are written as arithmetic on boolean masks: np.where is several times slower.
    c_prod = c1p * c2p
    chromatic = one * (c_prod != 0.0)
    dh = h2p - h1p
    dh = (dh - d360 * (dh > 180.0) + d360 * (dh < -180.0)) * chromatic
    d_h = 2.0 * np.sqrt(c_prod) * np.sin(dh * (np.pi / 360.0))

    # Mean hue: half the sum, moved by 180 degrees when the hues are more than 180 apart; for
    # an achromatic pair the formula takes the plain sum.
    h_sum = h1p + h2p
    far = (np.abs(h1p - h2p) > 180.0) * chromatic
    h_bar = 0.5 * h_sum * (2.0 - chromatic) + far * (d180 - d360 * (h_sum >= 360.0))

    c_barp = 0.5 * (c1p + c2p)
    c_barp7 = _pow7(c_barp)
    l50 = (0.5 * (l1 + l2) - 50.0) ** 2
    s_l = 1.0 + 0.015 * l50 / np.sqrt(20.0 + l50)
    s_c = 1.0 + 0.045 * c_barp
    s_h = 1.0 + 0.015 * c_barp * _hue_weight(h_bar)
    d_theta = 30.0 * np.exp(-(((h_bar - 275.0) / 25.0) ** 2))
    r_t = -2.0 * np.sqrt(c_barp7 / (c_barp7 + _POW25_7)) * np.sin(d_theta * (np.pi / 90.0))

    tl = (l2 - l1) / s_l
    tc = (c2p - c1p) / s_c
    th = d_h / s_h
    # Rounding can push the radicand a hair below zero for identical colours.
    return np.sqrt(np.maximum(tl * tl + tc * tc + th * th + r_t * tc * th, 0.0))


def _pow7(x: np.ndarray) -> np.ndarray:
    # Three multiplications instead of a general power, which is several times slower.
    x2 = x * x
    return x2 * x2 * x2 * x


def _hue_degrees(b: np.ndarray, a: np.ndarray, d360: np.floating) -> np.ndarray:
    # Wrap to [0, 360) with a mask: np.mod and np.where on floats are several times slower.
    h = np.degrees(np.arctan2(b, a))
    return h + d360 * (h < 0.0)


# Python floats, not numpy scalars, so that they do not promote float32 arrays to float64.
_COS_6, _SIN_6 = math.cos(math.radians(6.0)), math.sin(math.radians(6.0))
_COS_30, _SIN_30 = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
_COS_63, _SIN_63 = math.cos(math.radians(63.0)), math.sin(math.radians(63.0))


def _hue_weight(h_bar: np.ndarray) -> np.ndarray:
    """The hue term T of CIEDE2000 at mean hue ``h_bar`` (degrees).

    One sine and one cosine plus multiple-angle identities replace the formula's four cosines,
    which dominate the cost on large arrays.
    """
    h = np.radians(h_bar)
    c1, s1 = np.cos(h), np.sin(h)
    c2, s2 = 2.0 * c1 * c1 - 1.0, 2.0 * s1 * c1
    c3, s3 = c1 * (2.0 * c2 - 1.0), s1 * (2.0 * c2 + 1.0)
    c4, s4 = 2.0 * c2 * c2 - 1.0, 2.0 * s2 * c2
    return (
        1.0
        - 0.17 * (c1 * _COS_30 + s1 * _SIN_30)
        + 0.24 * c2
        + 0.32 * (c3 * _COS_6 - s3 * _SIN_6)
        - 0.20 * (c4 * _COS_63 + s4 * _SIN_63)
    )


def unique_colours(image_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct colours of an ``HxWx3`` uint8 image and how many pixels have each."""
    flat = np.ascontiguousarray(image_rgb, dtype=np.uint8).reshape(-1, 3).astype(np.uint32)
    packed = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    codes, counts = np.unique(packed, return_counts=True)
    colours = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=1)
    return colours.astype(np.uint8), counts


class ImageColours:
    """An image reduced to its distinct colours in CIELAB, reusable across many palettes.

    Distances are computed in float32 (about 1e-4 from float64 per pair, far below the
    precision the benchmark reports) because numpy's single-precision trigonometry is
    vectorised and an order of magnitude faster; the weighted sum is taken in float64.
    """

    def __init__(self, image_rgb: np.ndarray) -> None:
        """Prepare ``image_rgb`` (``HxWx3`` uint8, sRGB) for :meth:`mean_delta_e`."""
        if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
            raise ValueError(f"expected an HxWx3 image, got shape {image_rgb.shape}")
        colours, counts = unique_colours(image_rgb)
        # One contiguous array per channel: strided channel views defeat numpy's SIMD loops.
        self.lab = np.ascontiguousarray(srgb8_to_lab(colours).T, dtype=np.float32)
        self.weights = counts.astype(np.float64)
        self.pixels = int(counts.sum())
        self.accents = accent_hues(colours, counts)

    def accent_recall(self, palette_rgb: np.ndarray) -> float | None:
        """Fraction of the image's accents the palette recalls (see `accent_hues`); None if it has none."""
        if len(self.accents) == 0:
            return None
        return float(recalled(self.accents, palette_rgb).mean())

    def mean_delta_e(self, palette_rgb: np.ndarray) -> float:
        """Mean over all pixels of the CIEDE2000 distance to the nearest swatch (by CIEDE2000)."""
        palette = np.asarray(palette_rgb)
        if palette.ndim != 2 or palette.shape[1] != 3 or len(palette) == 0:
            raise ValueError(f"expected a non-empty Kx3 palette, got shape {palette.shape}")
        swatches = srgb8_to_lab(palette).astype(np.float32)
        total = 0.0
        for start in range(0, self.lab.shape[1], _CHUNK):
            pixels = self.lab[:, start : start + _CHUNK].T
            nearest = delta_e_2000(pixels, swatches[0], np.float32)
            for swatch in swatches[1:]:
                np.minimum(nearest, delta_e_2000(pixels, swatch, np.float32), out=nearest)
            total += float(nearest.astype(np.float64) @ self.weights[start : start + _CHUNK])
        return total / self.pixels


def mean_delta_e(image_rgb: np.ndarray, palette_rgb: np.ndarray) -> float:
    """Mean CIEDE2000 from every pixel of ``image_rgb`` (HxWx3 uint8) to its nearest swatch.

    The nearest swatch is chosen by CIEDE2000 itself, not by Euclidean RGB or Lab distance.
    ``palette_rgb`` is ``Kx3`` sRGB in 0–255 (integers or floats).
    """
    return ImageColours(image_rgb).mean_delta_e(palette_rgb)


def oklch(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Oklch chroma and hue (degrees in [0, 360)) of ``(..., 3)`` 8-bit sRGB colours."""
    lab = rgb8_to_oklab(np.asarray(rgb, dtype=np.float64))
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) % 360.0
    return chroma, hue


def accent_hues(colours: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Hues (degrees) of the accents of an image given as distinct ``Kx3`` sRGB colours and pixel counts.

    One accent per 30° hue sector whose pixels of chroma ≥ 0.10 make up at least 1% of all pixels, at the
    chroma-weighted circular mean hue of those pixels; sorted by sector.
    """
    counts = np.asarray(counts, dtype=np.float64)
    chroma, hue = oklch(colours)
    vivid = chroma >= ACCENT_CHROMA
    sector = np.minimum((hue[vivid] // (360.0 / ACCENT_SECTORS)).astype(np.int64), ACCENT_SECTORS - 1)
    pull = counts[vivid] * chroma[vivid]
    radians = np.radians(hue[vivid])
    share = np.bincount(sector, weights=counts[vivid], minlength=ACCENT_SECTORS) / counts.sum()
    cos = np.bincount(sector, weights=pull * np.cos(radians), minlength=ACCENT_SECTORS)
    sin = np.bincount(sector, weights=pull * np.sin(radians), minlength=ACCENT_SECTORS)
    chosen = share >= ACCENT_SHARE
    return np.degrees(np.arctan2(sin[chosen], cos[chosen])) % 360.0


def recalled(accents: np.ndarray, palette_rgb: np.ndarray) -> np.ndarray:
    """Which accents (hues, degrees) a ``Kx3`` sRGB palette recalls: a swatch of chroma ≥ 0.05 within 25°."""
    accents = np.asarray(accents, dtype=np.float64)
    chroma, hue = oklch(np.asarray(palette_rgb))
    hue = hue[chroma >= RECALL_CHROMA]
    if len(accents) == 0 or len(hue) == 0:
        return np.zeros(len(accents), dtype=bool)
    gap = np.abs(accents[:, None] - hue[None, :]) % 360.0
    gap = np.minimum(gap, 360.0 - gap)
    return (gap <= RECALL_DEGREES).any(axis=1)


def accent_recall(image_rgb: np.ndarray, palette_rgb: np.ndarray) -> float | None:
    """Fraction of the accents of ``image_rgb`` (HxWx3 uint8) the palette recalls; None if it has none."""
    return ImageColours(image_rgb).accent_recall(palette_rgb)
