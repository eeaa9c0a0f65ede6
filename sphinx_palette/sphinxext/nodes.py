"""Doctree nodes for palettes. They hold plain strings and numbers only: they pickle and serialise to XML."""

from __future__ import annotations

from docutils import nodes

from ..engine.colour import hex_to_rgb, text_colour_for


class palette(nodes.General, nodes.Element):
    """A palette block: optional image, a `palette_bar` of swatches, caption, credit, download links.

    Attributes: ``source`` (as shown, credentials removed), ``alt``, ``widths`` (``share`` / ``equal``),
    ``image_url`` (remote image to show), ``manifest_url``, ``error`` and ``subtype`` for a placeholder.
    """


class palette_bar(nodes.General, nodes.Element):
    """The row of swatches; its ``label`` attribute is the accessible name of the whole palette."""


class palette_swatch(nodes.General, nodes.Element):
    """One swatch: ``hex``, ``rgb`` (``"r,g,b"``), ``share`` (6 decimals), ``name``, ``family``, ``ink``."""


class palette_credit(nodes.General, nodes.TextElement):
    """The credit line (attribution / required statement) of the image."""


class palette_index(nodes.General, nodes.Element):
    """Placeholder for ``.. palette-index::``, replaced once every document has been read."""


def make_swatch(hex_code: str, share: float, name: str, family: str) -> palette_swatch:
    """A swatch node, with the ink (black or white) that contrasts most with it."""
    rgb = hex_to_rgb(hex_code)
    return palette_swatch(
        hex=hex_code,
        rgb=",".join(str(c) for c in rgb),
        share=f"{share:.6f}",
        name=name,
        family=family,
        ink=text_colour_for(rgb),
    )


def swatches_of(node: nodes.Element) -> list[palette_swatch]:
    """The swatch nodes inside ``node``, in order."""
    return list(node.findall(palette_swatch))


def credit_of(node: nodes.Element) -> palette_credit | None:
    """The credit line of a palette, if it has one."""
    return next((c for c in node.children if isinstance(c, palette_credit)), None)


class palette_caption(nodes.caption):
    """The caption of a palette (a ``<figcaption>`` in HTML); translatable like any caption."""
