"""``:sort: hue``: colours around the hue circle, then the neutrals (black, grey, white) by lightness."""

from __future__ import annotations

import numpy as np

from sphinx_palette.engine.colour import hex_to_rgb, rgb8_to_oklab
from sphinx_palette.engine.names import hue_family
from sphinx_palette.engine.palette import Swatch, sort_swatches


def swatches(*codes: str) -> list[Swatch]:
    return [Swatch(hex_to_rgb(code), 1 / len(codes)) for code in codes]


def test_near_blacks_and_near_whites_sort_with_the_greys() -> None:
    # #1c1f14 is a near-black whose hue angle lies between yellow and green; #f2efe6 a warm off-white.
    order = [
        s.hex for s in sort_swatches(swatches("#1c1f14", "#2e8b57", "#f2efe6", "#ffd700", "#808080"), "hue")
    ]
    assert order == ["#ffd700", "#2e8b57", "#1c1f14", "#808080", "#f2efe6"]


def test_hue_sort_puts_every_neutral_family_last() -> None:
    codes = ["#1c1f14", "#4d3a0c", "#c0392b", "#2a1a0a", "#101828", "#f5f5dc", "#2e86c1", "#5a5a50"]
    ordered = sort_swatches(swatches(*codes), "hue")
    families = [hue_family(s.rgb) for s in ordered]
    neutral = [f in ("black", "grey", "white") for f in families]
    assert neutral == sorted(neutral)  # all chromatic swatches first
    neutrals = [s for s in ordered if hue_family(s.rgb) in ("black", "grey", "white")]
    lightness = [float(rgb8_to_oklab(np.array(s.rgb, dtype=np.float64))[0]) for s in neutrals]
    assert len(neutrals) == 5 and lightness == sorted(lightness)  # darkest first
