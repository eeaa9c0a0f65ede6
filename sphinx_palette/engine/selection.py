"""Accent-aware choice of palette centres: over-cluster in Oklab, then pick ``colors`` of the candidates.

Share-weighted k-means spends its swatches on the largest areas, so a small vivid subject (a blue macaw on
green leaves, a frog's red eye) is merged into a muddy neighbour. Here the histogram is first over-clustered
into many candidate colours, vivid hue sectors and accents (``accents.py``) each add a candidate of their
own, and a greedy choice with swap refinement then picks the candidates that minimise

    coverage + weight × hue miss + salience weight × largest accent miss

where *coverage* is the pixels' mean Oklab distance to their nearest chosen colour (what a palette of the
image's areas minimises), *hue miss* is the chroma-weighted share of vivid pixels whose hue no chosen
colour shows (within a few degrees, fading out to a full miss at ``_MISS_DEGREES``), and the last term is
the salience of the most salient accent that no chosen colour shows (see ``accents.py``). Lin & Hanrahan
(CHI 2013) model people's colour themes with similar coverage and saliency terms.

``balanced`` keeps a coverage budget (``budget.py``): the swatches there for an accent or a hue stay, and
the others may cover the image only a little worse than they could. The ``coverage`` emphasis
is plain k-means instead (`cluster`); ``vivid`` weighs the hue miss more and also favours saturated colours
for the swatches of the areas.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import accents, budget

#: Oklch chroma from which a pixel counts as vivid (the eye reads it as a colour, not a tinted grey).
_VIVID_CHROMA = 0.05
#: A chosen colour shows a vivid pixel's hue when within this many degrees of it and at least this chroma;
#: the miss grows linearly to 1 at ``_MISS_DEGREES``.
_HUE_EXACT_DEGREES = 10.0
_MISS_DEGREES = 40.0
_COS_EXACT, _COS_MISS = np.cos(np.radians(_HUE_EXACT_DEGREES)), np.cos(np.radians(_MISS_DEGREES))
#: Vivid points this close in hue (degrees) and chroma are one group for the hue miss.
_GROUP_DEGREES = 2.0
_GROUP_CHROMA = 0.01
_SWATCH_CHROMA = 0.05
#: ... and at least this fraction of the pixel's chroma (the miss grows as the chroma falls below it).
_CHROMA_SHOWN = 0.6
#: Hue sectors (degrees) whose vivid pixels, when they hold this share, are offered as one more candidate.
_SECTOR_DEGREES = 30.0
_SECTOR_SHARE = 0.002
#: Candidates (k-means centres) for up to ten swatches; three per swatch beyond.
_CANDIDATES = 32
_LLOYD_STEPS = 4
_SWAP_PASSES = 1
_POLISH_STEPS = 2
#: Chroma above which the ``vivid`` bonus stops growing.
_BONUS_CHROMA = 0.25

#: (accent weight, salience weight, chroma bonus, coverage budget) per emphasis: the weights of the vivid
#: pixels' misses and of the most salient accent missed (see `accents`) against coverage, and how much
#: coverage the accents may cost (``vivid``: no limit).
_TERMS = {"balanced": (3.0, 1.0, 0.0, budget.COVERAGE_BUDGET), "vivid": (12.0, 1.0, 0.15, np.inf)}


@dataclass(frozen=True)
class _Problem:
    """The points and the weights of the objective, computed once per image."""

    lab: np.ndarray
    norms: np.ndarray
    share: np.ndarray
    #: Per group of vivid points of about one hue and chroma: the unit vector of its hue in the a-b plane,
    #: and the reciprocal of the chroma a centre needs to show it fully.
    vivid_direction: np.ndarray
    vivid_reach: np.ndarray
    accents: np.ndarray
    accent_salience: np.ndarray
    salience: np.ndarray
    accent_weight: float
    chroma_bonus: float
    #: Mean distance (the coverage term) beyond which each unit costs `budget.OVERSPEND_WEIGHT` more.
    coverage_limit: float = np.inf

    def distances(self, centres: np.ndarray) -> np.ndarray:
        """Oklab distances, ``N×C``, from every point to every centre."""
        squared = self.lab @ (-2.0 * centres.T)
        squared += self.norms[:, None]
        squared += (centres**2).sum(axis=1)[None, :]
        np.maximum(squared, 0.0, out=squared)
        return np.sqrt(squared, out=squared)

    def misses(self, centres: np.ndarray) -> np.ndarray:
        """``(V+A)×C``: 0 where a centre shows a vivid point's hue (V rows) or an accent (A rows), up to 1
        where it does not.

        Showing takes the hue within a few degrees and a chroma not far below the point's: a pale beige
        does not show a yellow.
        """
        chroma = np.hypot(centres[:, 1], centres[:, 2])
        direction = centres[:, 1:] / np.maximum(chroma, 1e-12)[:, None]
        # The hue gap through its cosine (one small matrix product): a full hit within _HUE_EXACT_DEGREES,
        # none from _MISS_DEGREES.
        hit = self.vivid_direction @ direction.T
        hit -= _COS_MISS
        hit *= 1.0 / (_COS_EXACT - _COS_MISS)
        np.clip(hit, 0.0, 1.0, out=hit)
        shown = np.multiply.outer(self.vivid_reach, np.where(chroma < _SWATCH_CHROMA, 0.0, chroma))
        hit *= np.minimum(shown, 1.0, out=shown)
        np.subtract(1.0, hit, out=hit)
        return np.concatenate([hit, accents.misses(centres, self.accents)])

    def bonuses(self, centres: np.ndarray) -> np.ndarray:
        """Per centre, what its chroma takes off the objective (``vivid`` only)."""
        return self.chroma_bonus * np.minimum(np.hypot(centres[:, 1], centres[:, 2]), _BONUS_CHROMA)

    def costs(self, nearest: np.ndarray, missed: np.ndarray) -> np.ndarray:
        """The objective without bonuses, for columns of nearest distances (N×C) and misses ((V+A)×C),
        or for one such column (N and V+A)."""
        vivid = len(self.salience)
        coverage = self.share @ nearest
        cost = coverage + self.accent_weight * (self.salience @ missed[:vivid])
        if self.coverage_limit < np.inf:
            cost = cost + budget.OVERSPEND_WEIGHT * np.maximum(coverage - self.coverage_limit, 0.0)
        if len(self.accent_salience):
            # Only the most salient accent left out counts: an image with many accent hues cannot show
            # them all in a few swatches, and each one more matters less than the first.
            weights = self.accent_salience if missed.ndim == 1 else self.accent_salience[:, None]
            cost = cost + (weights * missed[vivid:]).max(axis=0)
        return cost


def choose_centres(lab: np.ndarray, weights: np.ndarray, colors: int, emphasis: str, seed: int) -> np.ndarray:
    """``colors`` Oklab centres for the weighted points ``lab`` (``N×3``, ``N > colors``), accents kept.

    ``emphasis`` is ``"balanced"`` or ``"vivid"``. Deterministic for a given ``seed`` (that of the
    candidates' k-means++ seeding); ties go to the lowest candidate index.
    """
    accent_weight, salience_weight, chroma_bonus, allowance = _TERMS[emphasis]
    share = weights / weights.sum()
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    direction, reach, salience, vivid_share = _vivid_groups(lab, share, chroma)
    accent_colours, accent_salience = accents.accent_colours(lab, share)
    problem = _Problem(
        lab=lab,
        norms=(lab**2).sum(axis=1),
        share=share,
        vivid_direction=direction,
        vivid_reach=reach,
        accents=accent_colours,
        accent_salience=salience_weight * accent_salience,
        salience=salience,
        accent_weight=accent_weight,
        chroma_bonus=chroma_bonus,
    )
    # Each accent's own colour is a candidate too: over-clustering may have merged a small one away.
    candidates = np.concatenate(
        [_candidates(lab, share, min(len(lab), max(_CANDIDATES, 3 * colors)), seed), accent_colours]
    )
    distance, miss, bonus = (
        problem.distances(candidates),
        problem.misses(candidates),
        problem.bonuses(candidates),
    )
    chosen = _greedy(problem, distance, miss, bonus, colors)
    chosen = _swap(problem, distance, miss, bonus, chosen)
    if allowance < np.inf:
        chroma_of = np.hypot(candidates[chosen, 1], candidates[chosen, 2])
        hues = np.where(
            (chroma_of >= _SWATCH_CHROMA)[:, None],
            candidates[chosen, 1:] / np.maximum(chroma_of, 1e-12)[:, None],
            0.0,
        )
        holders = budget.kept_swatches(miss, len(salience), vivid_share, chosen, hues, _COS_MISS)
        limit = (1.0 + allowance) * budget.best_coverage(share, distance, holders, colors)
        if float(share @ distance[:, chosen].min(axis=1)) > limit:
            # Only the swatches of the areas move: those kept for accents and hues stay.
            problem = replace(problem, coverage_limit=limit)
            movable = [position for position, index in enumerate(chosen) if index not in holders]
            chosen = _swap(problem, distance, miss, bonus, chosen, movable)
    return _polish(problem, candidates[np.sort(chosen)])


def _vivid_groups(
    lab: np.ndarray, share: np.ndarray, chroma: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The vivid points pooled by hue (2° steps) and chroma (0.01 steps), which is all the hue miss reads
    of them: per group its hue's unit vector, its ``vivid_reach``, its salience (share × chroma) and its
    share."""
    vivid = np.flatnonzero(chroma >= _VIVID_CHROMA)
    hue = np.degrees(np.arctan2(lab[vivid, 2], lab[vivid, 1])) % 360.0
    key = (hue // _GROUP_DEGREES).astype(np.int64) * 1024 + (chroma[vivid] // _GROUP_CHROMA).astype(np.int64)
    _, group = np.unique(key, return_inverse=True)
    salience = share[vivid] * chroma[vivid]
    count = int(group.max()) + 1 if len(group) else 0
    total = np.bincount(group, weights=salience, minlength=count)
    # Salience-weighted means: the unit hue vectors summed (then normalised) and the chroma.
    a = np.bincount(group, weights=salience * lab[vivid, 1] / chroma[vivid], minlength=count)
    b = np.bincount(group, weights=salience * lab[vivid, 2] / chroma[vivid], minlength=count)
    direction = np.stack([a, b], axis=1) / np.maximum(np.hypot(a, b), 1e-12)[:, None]
    mean_chroma = np.bincount(group, weights=salience * chroma[vivid], minlength=count) / total
    shares = np.bincount(group, weights=share[vivid], minlength=count)
    return direction, 1.0 / (_CHROMA_SHOWN * mean_chroma), total, shares


def _candidates(lab: np.ndarray, share: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` weighted k-means centres plus one vivid colour per well-filled hue sector.

    k-means++ seeding (Arthur & Vassilvitskii, 2007), reproducible from ``seed``, then a few Lloyd steps:
    with many more centres than swatches, small distinct areas get a centre of their own.
    """
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(share)
    chosen = [min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1])), len(lab) - 1)]
    norms = (lab**2).sum(axis=1)

    def to(index: int) -> np.ndarray:
        # Squared distances to one point through a matrix-vector product, cheaper than N×3 differences.
        return np.maximum(norms - 2.0 * (lab @ lab[index]) + norms[index], 0.0)

    nearest = to(chosen[0])
    for _ in range(count - 1):
        mass = np.cumsum(share * nearest)
        if mass[-1] <= 0:
            break
        index = min(int(np.searchsorted(mass, rng.random() * mass[-1])), len(lab) - 1)
        chosen.append(index)
        np.minimum(nearest, to(index), out=nearest)
    centres = lab[chosen].copy()
    count = len(centres)
    weighted = [share * lab[:, channel] for channel in range(3)]
    for _ in range(_LLOYD_STEPS):
        # The nearest centre minimises |c|² - 2 x·c: the points' own norms do not change the argmin.
        labels = ((centres**2).sum(axis=1)[None, :] - 2.0 * (lab @ centres.T)).argmin(axis=1)
        mass = np.bincount(labels, weights=share, minlength=count)
        used = mass > 0
        for channel in range(3):
            sums = np.bincount(labels, weights=weighted[channel], minlength=count)
            centres[used, channel] = sums[used] / mass[used]
    return np.concatenate([centres, accents.sector_means(lab, share, _VIVID_CHROMA, _SECTOR_SHARE)[0]])


def _greedy(
    problem: _Problem, distance: np.ndarray, miss: np.ndarray, bonus: np.ndarray, colors: int
) -> list[int]:
    """Add candidates one at a time, each the one that lowers the objective most (ties: lowest index)."""
    nearest = np.full(len(distance), np.inf)
    missed = np.ones(len(miss))
    chosen: list[int] = []
    for _ in range(colors):
        cost = (
            problem.costs(np.minimum(nearest[:, None], distance), np.minimum(missed[:, None], miss)) - bonus
        )
        cost[chosen] = np.inf
        best = int(np.argmin(cost))
        chosen.append(best)
        nearest = np.minimum(nearest, distance[:, best])
        missed = np.minimum(missed, miss[:, best])
    return chosen


def _swap(
    problem: _Problem,
    distance: np.ndarray,
    miss: np.ndarray,
    bonus: np.ndarray,
    chosen: list[int],
    positions: list[int] | None = None,
) -> list[int]:
    """Replace one chosen candidate (at one of ``positions``, default all) by another while that lowers the
    objective (a few passes at most)."""
    chosen = list(chosen)
    current = float(
        problem.costs(
            distance[:, chosen].min(axis=1, keepdims=True), miss[:, chosen].min(axis=1, keepdims=True)
        )[0]
        - bonus[chosen].sum()
    )
    for _ in range(_SWAP_PASSES):
        improved = False
        for position in range(len(chosen)) if positions is None else positions:
            others = chosen[:position] + chosen[position + 1 :]
            nearest = distance[:, others].min(axis=1) if others else np.full(len(distance), np.inf)
            missed = miss[:, others].min(axis=1) if others else np.ones(len(miss))
            cost = problem.costs(np.minimum(nearest[:, None], distance), np.minimum(missed[:, None], miss))
            cost = cost - bonus - bonus[others].sum()
            cost[others] = np.inf
            best = int(np.argmin(cost))
            if cost[best] < current - 1e-12:
                chosen[position], current, improved = best, float(cost[best]), True
        if not improved:
            break
    return chosen


def _polish(problem: _Problem, centres: np.ndarray) -> np.ndarray:
    """Move centres toward the geometric medians of the points nearest to them while the objective improves,
    so the colours become those of the image's areas (not means of mixed regions) without an accent being
    pulled back into its surroundings: each centre's move is judged on its own, and the moves that help are
    made together when that helps too, else only the best one.

    Each step computes the distances and misses of the k proposals only: those of the centres, and of any
    mix of centres and proposals, are columns already known.
    """
    centres = centres.copy()
    k = len(centres)
    columns = np.arange(k)
    rows = np.arange(len(problem.lab))
    distance, miss, bonus = problem.distances(centres), problem.misses(centres), problem.bonuses(centres)
    current = float(problem.costs(distance.min(axis=1), miss.min(axis=1)) - bonus.sum())
    for _ in range(_POLISH_STEPS):
        labels = distance.argmin(axis=1)
        # Weiszfeld's iteration: weights divided by the distance to the current centre.
        pull = problem.share / np.maximum(distance[rows, labels], 1e-6)
        norm = np.bincount(labels, weights=pull, minlength=k)
        if not (norm > 0).all():
            break
        sums = np.stack(
            [np.bincount(labels, weights=pull * problem.lab[:, c], minlength=k) for c in range(3)], 1
        )
        proposals = sums / norm[:, None]
        moved_distance, moved_miss = problem.distances(proposals), problem.misses(proposals)
        moved_bonus = problem.bonuses(proposals)
        # The objective with centre j replaced by proposal j, for every j at once: the others' minimum is the
        # row minimum unless j holds it, then the second smallest.
        values = problem.costs(
            np.minimum(_without_each(distance, columns), moved_distance),
            np.minimum(_without_each(miss, columns), moved_miss),
        )
        values = values - (bonus.sum() - bonus) - moved_bonus
        better = values < current - 1e-12
        if not better.any():
            break
        trial = (
            np.where(better, moved_distance, distance),
            np.where(better, moved_miss, miss),
            np.where(better, moved_bonus, bonus),
        )
        together = float(problem.costs(trial[0].min(axis=1), trial[1].min(axis=1)) - trial[2].sum())
        if together < min(current, float(values.min())):
            centres[better] = proposals[better]
            (distance, miss, bonus), current = trial, together
        else:
            best = int(np.argmin(values))
            centres[best] = proposals[best]
            distance[:, best], miss[:, best], bonus[best] = (
                moved_distance[:, best],
                moved_miss[:, best],
                moved_bonus[best],
            )
            current = float(values[best])
    return centres


def _without_each(matrix: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``N×C``: in column j, each row's minimum over the columns other than j."""
    if matrix.shape[1] == 1:
        return np.full(matrix.shape, np.inf)
    order = np.argpartition(matrix, 1, axis=1)
    rows = np.arange(len(matrix))
    first, second = matrix[rows, order[:, 0]], matrix[rows, order[:, 1]]
    return np.where(order[:, :1] == columns[None, :], second[:, None], first[:, None])
