"""sphinx-palette: the colours of an image, as a swatch bar in your documentation.

The engine (`extract_palette`) needs no Sphinx; ``extensions = ["sphinx_palette"]`` adds the directive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine import ENGINE_VERSION, Palette, PaletteError, Swatch

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from .engine.extract import extract_palette

__version__ = "0.1.0"
__all__ = ["ENGINE_VERSION", "Palette", "PaletteError", "Swatch", "__version__", "extract_palette"]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx (``extensions = ["sphinx_palette"]``)."""
    from .sphinxext import setup as _setup

    return _setup(app)


def __getattr__(name: str) -> Any:
    # `extract_palette` loads the decoders: only when it is asked for (see `sphinx_palette.engine`).
    if name == "extract_palette":
        from .engine.extract import extract_palette

        return extract_palette
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
