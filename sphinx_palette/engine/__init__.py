"""The palette engine: image bytes → a perceptual colour palette. numpy, OpenCV and scikit-learn only.

Modules: ``decode`` (bytes → 8-bit sRGB pixels), ``cluster`` (pixels → swatches), ``palette`` (the result
types and sorting), ``extract`` (the public `extract_palette`), ``colour`` (sRGB/Oklab conversions),
``names`` (colour names and hue families), ``region`` (IIIF region syntax), ``exports`` (.gpl/.json text).
"""

from .errors import PaletteError
from .extract import ENGINE_VERSION, MAX_COLORS, extract_palette
from .palette import SORTS, Palette, Swatch
from .selection import EMPHASES

__all__ = [
    "EMPHASES",
    "ENGINE_VERSION",
    "MAX_COLORS",
    "SORTS",
    "Palette",
    "PaletteError",
    "Swatch",
    "extract_palette",
]
