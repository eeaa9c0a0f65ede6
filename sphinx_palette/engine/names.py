"""Human names for colours: a coarse hue family and the nearest CSS named colour of that family.

The CSS names come from the table in CSS Color Module Level 4, §6.1 "Named Colors" (148
keywords). Both lookups work in Oklab / Oklch, where distances and hue angles follow perception
rather than the device-oriented sRGB cube.

A name never contradicts its family
    The family is decided first (:func:`hue_family`), and the name is the nearest keyword *of
    that family*, with differences of hue and chroma weighted above lightness. Plain nearest-in-
    Oklab over all 148 keywords is too coarse where the keywords are sparse: it called the
    near-black ``#1c1f14`` ``midnightblue`` and the dark brown ``#4d3a0c`` ``darkslategray``;
    here they are ``black`` and ``saddlebrown``.

Duplicate values
    Nine values have two keywords (``aqua``/``cyan``, ``fuchsia``/``magenta`` and seven
    ``-gray``/``-grey`` pairs). :func:`nearest_css_name` always returns the one that comes first
    in the specification's alphabetical table: ``aqua``, ``fuchsia`` and the ``gray`` spellings.
    Those are also the CSS1/HTML 4 keywords, so the choice is the most widely recognised one.

Family decisions worth knowing (see :func:`hue_family`)
    * Dark reds stay ``red``: ``maroon``, ``darkred``, ``firebrick`` and even CSS ``brown``
      (``#a52a2a``, which is a brick red). ``brown`` is reserved for dark or muted orange and
      yellow hues (``saddlebrown``, ``sienna``, ``chocolate``, ``peru``, ``tan``) and muted
      reds such as ``rosybrown``.
    * Cyan-type hues (``teal``, ``aqua``, ``turquoise``, ``darkcyan``) are ``blue``; the
      aquamarines are ``green``.
    * Dark yellows (``olive``) are ``green``, as in "olive green".
    * Magenta-type hues (``fuchsia``, ``violet``, ``orchid``, ``plum``) are ``purple``; hues
      between magenta and red (``hotpink``, ``deeppink``, ``mediumvioletred``) and pale reds
      (``pink``, ``lightpink``) are ``pink``.
    * Very pale tints (``ivory``, ``snow``, ``linen``, ``lightyellow``, ``mistyrose``...) are
      ``white``; the blue-greys (``slategray`` and friends) are ``grey``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from .colour import hex_to_rgb, oklab_of, remember, rgb8_to_oklab

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CSS_COLOURS",
    "FAMILIES",
    "ColourName",
    "describe",
    "hue_family",
    "nearest_css_name",
]

#: Hue families in the order the browse-by-colour page lists them.
FAMILIES: tuple[str, ...] = (
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "grey",
    "white",
)

# Kept in the specification's (alphabetical) order: the tie-break between duplicate values
# relies on it.
_CSS_TABLE: tuple[tuple[str, str], ...] = (
    ("aliceblue", "#f0f8ff"),
    ("antiquewhite", "#faebd7"),
    ("aqua", "#00ffff"),
    ("aquamarine", "#7fffd4"),
    ("azure", "#f0ffff"),
    ("beige", "#f5f5dc"),
    ("bisque", "#ffe4c4"),
    ("black", "#000000"),
    ("blanchedalmond", "#ffebcd"),
    ("blue", "#0000ff"),
    ("blueviolet", "#8a2be2"),
    ("brown", "#a52a2a"),
    ("burlywood", "#deb887"),
    ("cadetblue", "#5f9ea0"),
    ("chartreuse", "#7fff00"),
    ("chocolate", "#d2691e"),
    ("coral", "#ff7f50"),
    ("cornflowerblue", "#6495ed"),
    ("cornsilk", "#fff8dc"),
    ("crimson", "#dc143c"),
    ("cyan", "#00ffff"),
    ("darkblue", "#00008b"),
    ("darkcyan", "#008b8b"),
    ("darkgoldenrod", "#b8860b"),
    ("darkgray", "#a9a9a9"),
    ("darkgreen", "#006400"),
    ("darkgrey", "#a9a9a9"),
    ("darkkhaki", "#bdb76b"),
    ("darkmagenta", "#8b008b"),
    ("darkolivegreen", "#556b2f"),
    ("darkorange", "#ff8c00"),
    ("darkorchid", "#9932cc"),
    ("darkred", "#8b0000"),
    ("darksalmon", "#e9967a"),
    ("darkseagreen", "#8fbc8f"),
    ("darkslateblue", "#483d8b"),
    ("darkslategray", "#2f4f4f"),
    ("darkslategrey", "#2f4f4f"),
    ("darkturquoise", "#00ced1"),
    ("darkviolet", "#9400d3"),
    ("deeppink", "#ff1493"),
    ("deepskyblue", "#00bfff"),
    ("dimgray", "#696969"),
    ("dimgrey", "#696969"),
    ("dodgerblue", "#1e90ff"),
    ("firebrick", "#b22222"),
    ("floralwhite", "#fffaf0"),
    ("forestgreen", "#228b22"),
    ("fuchsia", "#ff00ff"),
    ("gainsboro", "#dcdcdc"),
    ("ghostwhite", "#f8f8ff"),
    ("gold", "#ffd700"),
    ("goldenrod", "#daa520"),
    ("gray", "#808080"),
    ("green", "#008000"),
    ("greenyellow", "#adff2f"),
    ("grey", "#808080"),
    ("honeydew", "#f0fff0"),
    ("hotpink", "#ff69b4"),
    ("indianred", "#cd5c5c"),
    ("indigo", "#4b0082"),
    ("ivory", "#fffff0"),
    ("khaki", "#f0e68c"),
    ("lavender", "#e6e6fa"),
    ("lavenderblush", "#fff0f5"),
    ("lawngreen", "#7cfc00"),
    ("lemonchiffon", "#fffacd"),
    ("lightblue", "#add8e6"),
    ("lightcoral", "#f08080"),
    ("lightcyan", "#e0ffff"),
    ("lightgoldenrodyellow", "#fafad2"),
    ("lightgray", "#d3d3d3"),
    ("lightgreen", "#90ee90"),
    ("lightgrey", "#d3d3d3"),
    ("lightpink", "#ffb6c1"),
    ("lightsalmon", "#ffa07a"),
    ("lightseagreen", "#20b2aa"),
    ("lightskyblue", "#87cefa"),
    ("lightslategray", "#778899"),
    ("lightslategrey", "#778899"),
    ("lightsteelblue", "#b0c4de"),
    ("lightyellow", "#ffffe0"),
    ("lime", "#00ff00"),
    ("limegreen", "#32cd32"),
    ("linen", "#faf0e6"),
    ("magenta", "#ff00ff"),
    ("maroon", "#800000"),
    ("mediumaquamarine", "#66cdaa"),
    ("mediumblue", "#0000cd"),
    ("mediumorchid", "#ba55d3"),
    ("mediumpurple", "#9370db"),
    ("mediumseagreen", "#3cb371"),
    ("mediumslateblue", "#7b68ee"),
    ("mediumspringgreen", "#00fa9a"),
    ("mediumturquoise", "#48d1cc"),
    ("mediumvioletred", "#c71585"),
    ("midnightblue", "#191970"),
    ("mintcream", "#f5fffa"),
    ("mistyrose", "#ffe4e1"),
    ("moccasin", "#ffe4b5"),
    ("navajowhite", "#ffdead"),
    ("navy", "#000080"),
    ("oldlace", "#fdf5e6"),
    ("olive", "#808000"),
    ("olivedrab", "#6b8e23"),
    ("orange", "#ffa500"),
    ("orangered", "#ff4500"),
    ("orchid", "#da70d6"),
    ("palegoldenrod", "#eee8aa"),
    ("palegreen", "#98fb98"),
    ("paleturquoise", "#afeeee"),
    ("palevioletred", "#db7093"),
    ("papayawhip", "#ffefd5"),
    ("peachpuff", "#ffdab9"),
    ("peru", "#cd853f"),
    ("pink", "#ffc0cb"),
    ("plum", "#dda0dd"),
    ("powderblue", "#b0e0e6"),
    ("purple", "#800080"),
    ("rebeccapurple", "#663399"),
    ("red", "#ff0000"),
    ("rosybrown", "#bc8f8f"),
    ("royalblue", "#4169e1"),
    ("saddlebrown", "#8b4513"),
    ("salmon", "#fa8072"),
    ("sandybrown", "#f4a460"),
    ("seagreen", "#2e8b57"),
    ("seashell", "#fff5ee"),
    ("sienna", "#a0522d"),
    ("silver", "#c0c0c0"),
    ("skyblue", "#87ceeb"),
    ("slateblue", "#6a5acd"),
    ("slategray", "#708090"),
    ("slategrey", "#708090"),
    ("snow", "#fffafa"),
    ("springgreen", "#00ff7f"),
    ("steelblue", "#4682b4"),
    ("tan", "#d2b48c"),
    ("teal", "#008080"),
    ("thistle", "#d8bfd8"),
    ("tomato", "#ff6347"),
    ("turquoise", "#40e0d0"),
    ("violet", "#ee82ee"),
    ("wheat", "#f5deb3"),
    ("white", "#ffffff"),
    ("whitesmoke", "#f5f5f5"),
    ("yellow", "#ffff00"),
    ("yellowgreen", "#9acd32"),
)

#: All 148 CSS named colours, name → ``(r, g, b)``, in specification order.
CSS_COLOURS: Mapping[str, tuple[int, int, int]] = MappingProxyType(
    {name: hex_to_rgb(code) for name, code in _CSS_TABLE}
)


def _canonical_names() -> dict[tuple[int, int, int], str]:
    # setdefault keeps the first keyword seen, which is the alphabetically first spelling.
    by_value: dict[tuple[int, int, int], str] = {}
    for name, rgb in CSS_COLOURS.items():
        by_value.setdefault(rgb, name)
    return by_value


_NAME_BY_RGB = _canonical_names()
_NAMES: tuple[str, ...] = tuple(_NAME_BY_RGB.values())
_NAMES_OKLAB: tuple[tuple[float, float, float], ...] = tuple(oklab_of(rgb) for rgb in _NAME_BY_RGB)

# Oklch thresholds, tuned on the CSS named colours; see tests/test_names.py for the table they
# were checked against. Hue angles are in degrees, Oklab hue 0° is pinkish red, 29° is #ff0000.
_BLACK_L = 0.2  # below this every colour reads as black, whatever its chroma
_DARK_GREY_BLACK_L = 0.3  # neutral greys darker than this (#2a2a2a) still read as black
_GREY_C = 0.04  # slategray (0.031) and darkslategray (0.038) are neutral enough to be grey
_WHITE_L = 0.92  # gainsboro (0.894) stays light grey, whitesmoke (0.970) is white
_WHITE_C = 0.048  # pale tints up to blanchedalmond (0.045) read as off-white; bisque does not
_PINK_L = 0.8  # red hues this light are pink (pink, lightpink)
_DEEP_PINK_L = 0.45  # magenta-red hues darker than this read as wine red, not pink
_BROWN_L = 0.7  # orange/gold hues darker than this are brown (peru 0.678, darkorange 0.751)
_MUTED_C = 0.09  # warm hues this muted (tan, burlywood, rosybrown) are brown unless pale
_MUTED_MAX_L = 0.85
_OLIVE_L = 0.65  # yellow hues darker than this read as olive green
# How much more a difference of hue/chroma (Oklab a, b) counts than one of lightness when naming.
_HUE_CHROMA_WEIGHT = 3.0

# Hue band edges in degrees.
_PINK_START = 340.0
_RED_START = 12.0
_ORANGE_START = 37.5  # orangered (35.4) is red, coral (40.2) orange
_YELLOW_START = 80.0  # orange (70.7) vs goldenrod (84.0)
_OLIVE_START = 95.0
_GREEN_START = 118.0  # yellow (109.8) vs yellowgreen (126.6)
_BLUE_START = 180.0  # aquamarine (169.0) vs turquoise (185.1)
_PURPLE_START = 290.0  # slateblue (285.5) vs mediumpurple (296.7)


@dataclass(frozen=True, slots=True)
class ColourName:
    """A colour's nearest CSS keyword and its hue family (one of :data:`FAMILIES`)."""

    name: str
    family: str


def _check_rgb(rgb: Sequence[int]) -> tuple[int, int, int]:
    if len(rgb) != 3:
        raise ValueError(f"expected an (r, g, b) triple, got {rgb!r}")
    r, g, b = (int(c) for c in rgb)
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise ValueError(f"RGB components must lie in 0-255, got {rgb!r}")
    return r, g, b


def nearest_css_name(rgb: Sequence[int]) -> str:
    """Return the CSS named colour of ``rgb``'s hue family closest to it (exact matches return their name).

    Distance is Euclidean in Oklab with the ``a``/``b`` (hue and chroma) differences weighted by
    `_HUE_CHROMA_WEIGHT`, so a brownish grey is ``dimgray`` rather than the greenish
    ``darkslategray``. For values with two keywords the alphabetically first is returned (``aqua``,
    ``fuchsia``, ``gray``, ``darkgray``...).
    """
    key = _check_rgb(rgb)
    exact = _NAME_BY_RGB.get(key)
    if exact is not None:
        return exact
    lab = oklab_of(key)
    return _nearest_of_family(key, lab, _family_of(key, lab))


def _nearest_of_family(key: tuple[int, int, int], lab: tuple[float, float, float], family: str) -> str:
    """`nearest_css_name` of ``key`` (not a keyword's value), given its Oklab values and hue family."""
    lightness, a, b = lab
    names, oklab = _NAMES_BY_FAMILY[family]
    distances = sorted(
        ((nl - lightness) ** 2 + _HUE_CHROMA_WEIGHT * ((na - a) ** 2 + (nb - b) ** 2), index)
        for index, (nl, na, nb) in enumerate(oklab)
    )
    if len(distances) > 1 and distances[1][0] - distances[0][0] <= _UNDECIDED:
        return _nearest_by_numpy(key, family)  # a near tie: decided exactly as numpy decides it
    return names[distances[0][1]]


#: Plain-float and numpy Oklab values differ by a few units in the last place (about 1e-16, see
#: `colour.oklab_of`); a decision closer than this to its threshold (a near tie, a value at a band edge)
#: is left to the numpy arithmetic, so names and families are the same to the bit either way.
_UNDECIDED = 1e-9


def _nearest_by_numpy(key: tuple[int, int, int], family: str) -> str:
    import numpy as np

    names, oklab = _names_by_family_arrays()[family]
    difference = oklab - rgb8_to_oklab(np.array(key, dtype=np.float64))
    distances = difference[:, 0] ** 2 + _HUE_CHROMA_WEIGHT * (difference[:, 1] ** 2 + difference[:, 2] ** 2)
    return names[int(np.argmin(distances))]


def _oklch(lightness: float, a: float, b: float) -> tuple[float, float, float]:
    return lightness, math.hypot(a, b), math.degrees(math.atan2(b, a)) % 360.0


def _oklch_by_numpy(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    import numpy as np

    lightness, a, b = (float(v) for v in rgb8_to_oklab(np.array(rgb, dtype=np.float64)))
    return _oklch(lightness, a, b)


#: Every threshold `_family` compares with (a value this close to one is `_UNDECIDED`).
_LIGHTNESS_EDGES = (
    _BLACK_L,
    _DARK_GREY_BLACK_L,
    _WHITE_L,
    _PINK_L,
    _DEEP_PINK_L,
    _BROWN_L,
    _MUTED_MAX_L,
    _OLIVE_L,
)
_CHROMA_EDGES = (_GREY_C, _WHITE_C, _MUTED_C)
_HUE_EDGES = (
    _PINK_START,
    _RED_START,
    _ORANGE_START,
    _YELLOW_START,
    _OLIVE_START,
    _GREEN_START,
    _BLUE_START,
    _PURPLE_START,
)


def hue_family(rgb: Sequence[int]) -> str:
    """Classify ``rgb`` into one of :data:`FAMILIES` by its Oklch lightness, chroma and hue.

    Neutral colours become black, grey or white by lightness; chromatic ones are split by hue
    angle, with dark or muted warm hues as brown and light or magenta-leaning reds as pink.
    """
    key = _check_rgb(rgb)
    return _family_of(key, oklab_of(key))


def _family_of(key: tuple[int, int, int], lab: tuple[float, float, float]) -> str:
    """`hue_family` of ``key``, given its Oklab values (worked out once by the caller)."""
    lightness, chroma, hue = _oklch(*lab)
    if (
        any(abs(lightness - edge) <= _UNDECIDED for edge in _LIGHTNESS_EDGES)
        or any(abs(chroma - edge) <= _UNDECIDED for edge in _CHROMA_EDGES)
        or any(abs(hue - edge) <= _UNDECIDED for edge in _HUE_EDGES)
    ):
        lightness, chroma, hue = _oklch_by_numpy(key)  # at a band edge: decided as numpy decides it
    return _family(lightness, chroma, hue)


def _family(lightness: float, chroma: float, hue: float) -> str:
    if lightness < _BLACK_L:
        return "black"
    if lightness >= _WHITE_L and chroma < _WHITE_C:
        return "white"
    if chroma < _GREY_C:
        return "black" if lightness < _DARK_GREY_BLACK_L else "grey"

    if hue >= _PINK_START or hue < _RED_START:
        return "red" if lightness < _DEEP_PINK_L else "pink"
    if hue < _ORANGE_START:
        if lightness >= _PINK_L:
            return "pink"
        if chroma < _MUTED_C and lightness < _MUTED_MAX_L:
            return "brown"
        return "red"
    if hue < _OLIVE_START:
        if lightness < _BROWN_L or (chroma < _MUTED_C and lightness < _MUTED_MAX_L):
            return "brown"
        return "orange" if hue < _YELLOW_START else "yellow"
    if hue < _GREEN_START:
        return "green" if lightness < _OLIVE_L else "yellow"
    if hue < _BLUE_START:
        return "green"
    if hue < _PURPLE_START:
        return "blue"
    return "purple"


def _family_indices() -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {family: [] for family in FAMILIES}
    for index, rgb in enumerate(_NAME_BY_RGB):
        grouped[hue_family(rgb)].append(index)
    # Every family holds at least one keyword (black holds only "black"), so every lookup has a candidate.
    return grouped


_FAMILY_INDICES = _family_indices()
_NAMES_BY_FAMILY: dict[str, tuple[tuple[str, ...], tuple[tuple[float, float, float], ...]]] = {
    family: (tuple(_NAMES[i] for i in indices), tuple(_NAMES_OKLAB[i] for i in indices))
    for family, indices in _FAMILY_INDICES.items()
}


@functools.cache
def _names_by_family_arrays() -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    """`_NAMES_BY_FAMILY` with numpy's Oklab values (for near ties), made on first need."""
    import numpy as np

    oklab = rgb8_to_oklab(np.array(list(_NAME_BY_RGB), dtype=np.float64))
    by_family = _FAMILY_INDICES.items()
    return {family: (_NAMES_BY_FAMILY[family][0], oklab[indices]) for family, indices in by_family}


def describe(rgb: Sequence[int]) -> ColourName:
    """Return the nearest CSS name and the hue family of ``rgb`` together."""
    key = _check_rgb(rgb)
    packed = (key[0] << 16) | (key[1] << 8) | key[2]
    # A site names each swatch several times (page, index, palettes.json); each colour is worked out once.
    # A plain dictionary of strings: nothing in it for the garbage collector to walk (see `colour._LINEAR`).
    found = _DESCRIBED.get(packed)
    if found is None:
        # One Oklab conversion for both (each lookup alone would make its own, the name two).
        lab = oklab_of(key)
        family = _family_of(key, lab)
        name = _NAME_BY_RGB.get(key) or _nearest_of_family(key, lab, family)
        found = remember(_DESCRIBED, packed, (name, family))
    return ColourName(*found)


_DESCRIBED: dict[int, tuple[str, str]] = {}
