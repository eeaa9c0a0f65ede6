"""Colour-space conversions (sRGB, linear RGB, Oklab), hex codes and WCAG contrast.

Oklab (Björn Ottosson, 2020) is the perceptual space the engine clusters in: Euclidean distance in it tracks
perceived difference far better than distance in sRGB, and it is cheap to compute.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

# The matrices as plain numbers: numpy is imported only by the array functions below, so that naming the
# swatches of cached palettes (`oklab_of`) never loads it (a build whose palettes all come from the cache).
_LINEAR_TO_LMS_ROWS = (
    (0.4122214708, 0.5363325363, 0.0514459929),
    (0.2119034982, 0.6806995451, 0.1073969566),
    (0.0883024619, 0.2817188376, 0.6299787005),
)
_LMS_TO_OKLAB_ROWS = (
    (0.2104542553, 0.7936177850, -0.0040720468),
    (1.9779984951, -2.4285922050, 0.4505937099),
    (0.0259040371, 0.7827717662, -0.8086757660),
)


@functools.cache
def _matrices() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """linear→LMS, LMS→Oklab and their inverses, as arrays."""
    import numpy as np

    linear_to_lms, lms_to_oklab = np.array(_LINEAR_TO_LMS_ROWS), np.array(_LMS_TO_OKLAB_ROWS)
    return linear_to_lms, lms_to_oklab, np.linalg.inv(lms_to_oklab), np.linalg.inv(linear_to_lms)


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """Decode sRGB values in ``[0, 1]`` to linear light (IEC 61966-2-1 transfer function)."""
    import numpy as np

    srgb = np.asarray(srgb, dtype=np.float64)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Encode linear light to sRGB values in ``[0, 1]``; out-of-gamut values are clipped first."""
    import numpy as np

    linear = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


def rgb8_to_oklab(rgb: np.ndarray) -> np.ndarray:
    """Convert ``(..., 3)`` sRGB colours in 0–255 (integers or means of integers) to Oklab ``L, a, b``."""
    import numpy as np

    linear_to_lms, lms_to_oklab, _, _ = _matrices()
    linear = srgb_to_linear(np.asarray(rgb, dtype=np.float64) / 255.0)
    lms = linear @ linear_to_lms.T
    return np.cbrt(lms) @ lms_to_oklab.T


def oklab_of(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """Oklab ``L, a, b`` of one sRGB colour in 0–255, in plain floats (no numpy).

    The same arithmetic as `rgb8_to_oklab`, though not always to the last bit (numpy may sum the matrix
    products in another order, or with fused multiply-adds): a few units in the last place.
    """
    red, green, blue = (_linear_channel(int(c)) for c in rgb)
    # `sum` over the three products, in order: the same additions, to the bit, as summing a generator of
    # them (from 0), at a fraction of the cost; names and families are decided on these values.
    l_, m_, s_ = (math.cbrt(sum((x * red, y * green, z * blue))) for x, y, z in _LINEAR_TO_LMS_ROWS)
    lightness, a, b = (sum((x * l_, y * m_, z * s_)) for x, y, z in _LMS_TO_OKLAB_ROWS)
    return lightness, a, b


def oklab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    """Convert ``(..., 3)`` Oklab colours to sRGB integers in 0–255 (clipped to the gamut, rounded)."""
    import numpy as np

    _, _, oklab_to_lms, lms_to_linear = _matrices()
    lms = (np.asarray(lab, dtype=np.float64) @ oklab_to_lms.T) ** 3
    srgb = linear_to_srgb(lms @ lms_to_linear.T)
    return np.rint(srgb * 255.0).astype(np.int64)


def lightness_to_grey8(lightness: np.ndarray) -> np.ndarray:
    """Map Oklab lightness to the sRGB grey level (0–255) with that lightness, exactly neutral."""
    import numpy as np

    linear = np.clip(np.asarray(lightness, dtype=np.float64), 0.0, 1.0) ** 3
    return np.rint(linear_to_srgb(linear) * 255.0).astype(np.int64)


def rgb_to_hex(rgb: tuple[int, int, int]) -> str:
    """Format an RGB triple as a lower-case ``#rrggbb`` code."""
    r, g, b = (int(c) for c in rgb)
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise ValueError(f"RGB components must lie in 0–255, got {rgb!r}")
    return f"#{r:02x}{g:02x}{b:02x}"


def hex_to_rgb(code: str) -> tuple[int, int, int]:
    """Parse ``#rrggbb`` or ``#rgb`` (case-insensitive) to an RGB triple."""
    text = code.strip().removeprefix("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        raise ValueError(f"not a hex colour: {code!r}")
    try:
        value = int(text, 16)
    except ValueError:
        raise ValueError(f"not a hex colour: {code!r}") from None
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    # Plain floats: called for every swatch a page shows, where numpy's per-call cost would dominate.
    r, g, b = (_linear_channel(int(c)) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _decode_channel(value: int) -> float:
    srgb = value / 255.0
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


#: Linear light of every 8-bit channel value. A tuple of floats and the plain dictionaries below hold no
#: object the garbage collector tracks: a build's every full collection walks what caches like
#: ``functools.lru_cache`` keep (four objects an entry).
_LINEAR = tuple(_decode_channel(value) for value in range(256))


def _linear_channel(value: int) -> float:
    return _LINEAR[value] if 0 <= value <= 255 else _decode_channel(value)


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2.x contrast ratio between two colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


#: Most colours a colour memo (`remember`) holds at once (a site shows a few thousand); then it starts again.
_REMEMBERED = 65536

_Value = TypeVar("_Value")


def remember(memo: dict[int, _Value], key: int, value: _Value) -> _Value:
    """Store ``value`` under ``key`` (a colour packed as ``0xRRGGBB``) in ``memo`` and return it; a full memo
    is emptied first. Plain dictionaries of strings, not ``functools.lru_cache``: see `_LINEAR`."""
    if len(memo) >= _REMEMBERED:
        memo.clear()
    memo[key] = value
    return value


#: `text_colour_for` by colour, packed as ``0xRRGGBB``.
_INKS: dict[int, str] = {}


def text_colour_for(background: tuple[int, int, int]) -> str:
    """Return ``"#000000"`` or ``"#ffffff"``, whichever contrasts more with ``background``.

    One of the two always reaches at least 4.58:1, so hex codes printed on a swatch meet WCAG AA.
    """
    r, g, b = (int(c) for c in background)
    key = (r << 16) | (g << 8) | b if min(r, g, b) >= 0 and max(r, g, b) <= 255 else None
    ink = None if key is None else _INKS.get(key)
    if ink is None:
        black = contrast_ratio(background, (0, 0, 0))
        white = contrast_ratio(background, (255, 255, 255))
        ink = "#000000" if black >= white else "#ffffff"
        if key is not None:
            remember(_INKS, key, ink)
    return ink
