"""The palette engine: image bytes → a perceptual colour palette. numpy, libvips and OpenCV only.

Modules: ``decode`` (bytes → 8-bit sRGB pixels), ``cluster`` (pixels → swatches), ``palette`` (the result
types and sorting), ``extract`` (the public `extract_palette`), ``colour`` (sRGB/Oklab conversions),
``names`` (colour names and hue families), ``region`` (IIIF region syntax), ``exports`` (.gpl/.json text).

`extract_palette` is imported on first use: a build whose palettes all come from the cache never loads the
decoders (libvips, OpenCV) or the clustering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import PaletteError
from .palette import EMPHASES, MAX_COLORS, SORTS, Palette, Swatch
from .version import ENGINE_VERSION

if TYPE_CHECKING:
    from .extract import extract_palette

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


def __getattr__(name: str) -> Any:
    if name == "extract_palette":
        from .extract import extract_palette

        return extract_palette
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
