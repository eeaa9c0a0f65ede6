"""Accents: the vivid hue areas a palette should show, and how far a set of colours is from showing each.

The selection's objective (``selection.py``) trades the pixels' mean colour error against the share of vivid
pixels whose hue no swatch shows. Summed over pixels, that trade undervalues what a person notices first: a
small, compact area of a hue found nowhere else (a frog's orange toes, a red door in a grey street), and it
is content with a dark brown for an orange. So the objective also charges for its most salient *accent*
left unshown. An accent is a 30° Oklch hue sector whose pixels of chroma ≥ ``ACCENT_CHROMA`` hold at least
``ACCENT_SHARE`` of the image, at the chroma-weighted mean colour of those pixels; its salience is its
chroma times the square root of its share (being seen at all matters more than how large). It is shown by
a colour of about its hue, chroma and lightness.
"""

from __future__ import annotations

import numpy as np

ACCENT_CHROMA = 0.10
ACCENT_SHARE = 0.005
_SECTOR_DEGREES = 30.0
#: A colour shows an accent fully within ``_HUE_FULL`` degrees of its hue, from ``_CHROMA_FULL`` of its
#: chroma and within ``_LIGHTNESS_FULL`` of its Oklab lightness; not at all from the ``_NONE`` values (25°
#: is the hue tolerance of issue 9's accent recall).
_HUE_FULL, _HUE_NONE = 10.0, 25.0
_CHROMA_FULL, _CHROMA_NONE = 0.75, 0.45
_LIGHTNESS_FULL, _LIGHTNESS_NONE = 0.12, 0.25


def accent_colours(lab: np.ndarray, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The accents of weighted Oklab points ``lab`` (``share`` sums to 1): their colours (``A×3``) and
    saliences (``A``), in hue order."""
    colours, mass = sector_means(lab, share, ACCENT_CHROMA, ACCENT_SHARE)
    return colours, np.hypot(colours[:, 1], colours[:, 2]) * np.sqrt(mass)


def sector_means(
    lab: np.ndarray, share: np.ndarray, min_chroma: float, min_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per 30° hue sector whose points of chroma ≥ ``min_chroma`` hold ≥ ``min_share``: those points'
    chroma-weighted mean colour (``S×3``) and their share (``S``), in hue order."""
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    vivid = np.flatnonzero(chroma >= min_chroma)
    hue = np.degrees(np.arctan2(lab[vivid, 2], lab[vivid, 1])) % 360.0
    sectors = round(360.0 / _SECTOR_DEGREES)
    sector = np.minimum((hue // _SECTOR_DEGREES).astype(np.int64), sectors - 1)
    mass = np.bincount(sector, weights=share[vivid], minlength=sectors)
    pull = share[vivid] * chroma[vivid]
    total = np.bincount(sector, weights=pull, minlength=sectors)
    keep = np.flatnonzero(mass >= min_share)
    sums = np.stack(
        [np.bincount(sector, weights=pull * lab[vivid, c], minlength=sectors) for c in range(3)], 1
    )
    return sums[keep] / total[keep, None], mass[keep]


def misses(centres: np.ndarray, accents: np.ndarray) -> np.ndarray:
    """``A×C``: 0 where a centre shows an accent colour, rising to 1 as its hue, chroma or lightness
    strays (a dark brown does not show an orange, nor a beige a yellow)."""
    chroma = np.hypot(centres[:, 1], centres[:, 2])
    target = np.hypot(accents[:, 1], accents[:, 2])
    hue = np.arctan2(centres[:, 2], centres[:, 1])
    turn = hue[None, :] - np.arctan2(accents[:, 2], accents[:, 1])[:, None]
    gap = np.abs(np.degrees(turn)) % 360.0
    gap = np.minimum(gap, 360.0 - gap)
    hit = _ramp(gap, _HUE_FULL, _HUE_NONE)
    hit *= _ramp(-chroma[None, :] / target[:, None], -_CHROMA_FULL, -_CHROMA_NONE)
    hit *= _ramp(np.abs(centres[None, :, 0] - accents[:, None, 0]), _LIGHTNESS_FULL, _LIGHTNESS_NONE)
    return 1.0 - hit


def _ramp(value: np.ndarray, full: float, none: float) -> np.ndarray:
    """1 up to ``full``, falling linearly to 0 at ``none``."""
    return np.clip((none - value) / (none - full), 0.0, 1.0)
