"""sphinx-palette: the colours of an image, as a swatch bar in your documentation.

The engine (`extract_palette`) needs no Sphinx; ``extensions = ["sphinx_palette"]`` adds the directive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine import ENGINE_VERSION, Palette, PaletteError, Swatch, extract_palette

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__version__ = "0.1.0"
__all__ = ["ENGINE_VERSION", "Palette", "PaletteError", "Swatch", "__version__", "extract_palette"]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx (``extensions = ["sphinx_palette"]``)."""
    from .sphinxext import setup as _setup

    return _setup(app)
