"""Doctree nodes for palettes. They hold plain strings and numbers only: they pickle and serialise to XML."""

from __future__ import annotations

from docutils import nodes


class palette(nodes.General, nodes.Element):
    """A palette block: optional image, a `palette_bar` of swatches, caption, credit, download links.

    Attributes: ``source`` (as shown, credentials removed), ``alt``, ``widths`` (``share`` / ``equal``),
    ``image_url`` (remote image to show), ``manifest_url``, ``error`` and ``subtype`` for a placeholder.
    """


class palette_bar(nodes.General, nodes.Element):
    """The row of swatches; its ``label`` attribute is the accessible name of the whole palette."""


class palette_swatch(nodes.General, nodes.Element):
    """One swatch: ``hex``, ``rgb`` (``"r,g,b"``), ``share`` (4 decimals), ``name``, ``family``, ``ink``."""


class palette_credit(nodes.General, nodes.TextElement):
    """The credit line (attribution / required statement) of the image."""


class palette_index(nodes.General, nodes.Element):
    """Placeholder for ``.. palette-index::``, replaced once every document has been read."""


def percent(share: float) -> str:
    """A share as a short percentage: ``34%``, or ``0.4%`` below one percent."""
    value = share * 100
    return f"{value:.1f}%" if 0 < value < 1 else f"{round(value)}%"


class palette_caption(nodes.caption):
    """The caption of a palette (a ``<figcaption>`` in HTML); translatable like any caption."""
