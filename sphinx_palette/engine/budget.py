"""``balanced``'s coverage budget: how much coverage the swatches that are not there for an accent or a hue
may give away, and which swatches those are.

After the selection's greedy choice and swaps (``selection.py``), the swatches kept for accents and hues
(`kept_swatches`) stay; the others must cover the image (the points' mean Oklab distance to their nearest
centre) within `COVERAGE_BUDGET` of the best that as many candidates could, chosen for coverage alone with
the kept ones fixed (`best_coverage`). Over that, the selection's swaps of the others and its polish are
charged `OVERSPEND_WEIGHT` per unit of excess. So showing an accent, or the one swatch of a hue, may cost
coverage; a second swatch of a hue already shown (a sharper green among greens) may cost only a little.
"""

from __future__ import annotations

import numpy as np

#: The swatches not kept may cover the image at most this fraction worse than the best that as many
#: candidates could, the kept ones fixed.
COVERAGE_BUDGET = 0.06
#: Weight of the coverage spent beyond the budget: large enough to outweigh any hue or accent term, so the
#: swaps and the polish go back within the budget wherever one pass of them can.
OVERSPEND_WEIGHT = 100.0
#: A swatch is kept for a hue when it shows vivid pixels holding at least this share of the image (as the
#: accents of issue 9's recall hold 1%) and no swatch kept before it lies within the hue miss's reach.
SOLE_HUE_SHARE = 0.01


def kept_swatches(
    miss: np.ndarray,
    vivid: int,
    vivid_share: np.ndarray,
    chosen: list[int],
    hues: np.ndarray,
    apart_cos: float,
) -> list[int]:
    """The chosen candidates there for the accents and hues, not for the areas (``miss``: the vivid groups'
    rows, ``vivid`` of them, then the accents'; ``hues``: the chosen candidates' unit hue vectors, zero for
    greys).

    For each accent, the one showing it best (if at all). Then one per hue: the others in order of the share
    of vivid pixels they show, each unless it shows less than `SOLE_HUE_SHARE` or a kept one lies within
    the angle whose cosine is ``apart_cos`` (the hue miss's full-miss angle). So a second swatch of a hue
    already kept may go, never the last one.
    """
    held: list[int] = []
    accent_miss = miss[vivid:, chosen]
    if len(accent_miss):
        best = accent_miss.argmin(axis=1)
        shown = accent_miss[np.arange(len(accent_miss)), best] < 1.0
        held = sorted({int(index) for index in best[shown]})
    shows = vivid_share @ (miss[:vivid, chosen] < 1.0)
    for position in np.argsort(-shows, kind="stable"):
        if position in held or shows[position] < SOLE_HUE_SHARE or not hues[position].any():
            continue
        if not held or (hues[held] @ hues[position]).max() < apart_cos:
            held.append(int(position))
    return sorted(chosen[position] for position in held)


def best_coverage(share: np.ndarray, distance: np.ndarray, fixed: list[int], colors: int) -> float:
    """The least mean distance of the points to ``colors`` candidates (columns of ``distance``), ``fixed``
    among them, that a greedy choice of the others and one pass of swaps over them find: the coverage of a
    palette that keeps those and spends its other swatches on the areas alone."""
    fixed = fixed[:colors]
    base = distance[:, fixed].min(axis=1) if fixed else np.full(len(distance), np.inf)
    free: list[int] = []
    nearest = base
    for position in range(2 * (colors - len(fixed))):
        if position >= colors - len(fixed):  # the swap pass: take each choice out and put the best back
            free.pop(0)
            nearest = np.minimum(base, distance[:, free].min(axis=1)) if free else base
        cost = share @ np.minimum(nearest[:, None], distance)
        cost[fixed + free] = np.inf
        best = int(np.argmin(cost))
        free.append(best)
        nearest = np.minimum(nearest, distance[:, best])
    return float(share @ nearest)
