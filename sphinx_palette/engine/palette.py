"""What the engine returns: `Palette`, a tuple of `Swatch`, and the orders swatches can be sorted in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .colour import rgb8_to_oklab, rgb_to_hex
from .names import describe, hue_family

SORTS = ("share", "lightness", "hue")
#: How a palette weighs an image's large areas against its accents (see `selection`).
EMPHASES = ("balanced", "coverage", "vivid")
#: Most swatches a palette may have.
MAX_COLORS = 256
#: Families that hue sorting puts last, darkest first: what the swatch names call black, grey or white.
NEUTRAL_FAMILIES = frozenset({"black", "grey", "white"})
#: Decimal places of a share in every JSON output (`Swatch.to_dict`).
SHARE_DECIMALS = 6
_SMALLEST_SHARE = 10.0**-SHARE_DECIMALS


def rounded_share(share: float) -> float:
    """``share`` rounded to `SHARE_DECIMALS` places, as every JSON output writes it.

    A positive share too small to show is written as the smallest one shown (0.000001), never as 0: a listed
    swatch always covers some of the image.
    """
    if share <= 0:
        return 0.0
    return max(round(share, SHARE_DECIMALS), _SMALLEST_SHARE)


@dataclass(frozen=True)
class Swatch:
    """One colour of a palette: ``rgb`` in 0–255 and ``share``, the fraction of counted pixels it covers."""

    rgb: tuple[int, int, int]
    share: float

    @property
    def hex(self) -> str:
        """The colour as lower-case ``#rrggbb``."""
        return rgb_to_hex(self.rgb)

    def to_dict(self) -> dict[str, object]:
        """The one JSON shape of a swatch: ``{"hex", "rgb", "share", "name", "family"}``.

        ``share`` is rounded by `rounded_share`; ``name`` and ``family`` come from `names.describe`. The
        CLI's ``--format json``, the ``:download:`` JSON and ``palettes.json`` all write this shape
        (``schemas/palettes.schema.json``, ``$defs/swatch``).
        """
        named = describe(self.rgb)
        return {
            "hex": self.hex,
            "rgb": list(self.rgb),
            "share": rounded_share(self.share),
            "name": named.name,
            "family": named.family,
        }

    def to_record(self) -> dict[str, object]:
        """Lossless ``{"hex", "rgb", "share"}`` for caches: the share unrounded, so a cached palette renders
        exactly as a computed one."""
        return {"hex": self.hex, "rgb": list(self.rgb), "share": self.share}


@dataclass(frozen=True)
class Palette:
    """The colours of an image, in the order asked for; shares sum to 1."""

    swatches: tuple[Swatch, ...]

    def __iter__(self) -> Iterator[Swatch]:
        return iter(self.swatches)

    def __len__(self) -> int:
        return len(self.swatches)

    @property
    def hexes(self) -> tuple[str, ...]:
        """The swatches' hex codes, in order."""
        return tuple(s.hex for s in self.swatches)

    def to_dict(self) -> dict[str, object]:
        """``{"swatches": [...]}`` with each swatch in the shape of `Swatch.to_dict` (rounded, named)."""
        return {"swatches": [s.to_dict() for s in self.swatches]}

    def to_record(self) -> dict[str, object]:
        """``{"swatches": [...]}`` with each swatch as `Swatch.to_record` (lossless, for caches)."""
        return {"swatches": [s.to_record() for s in self.swatches]}

    @classmethod
    def from_dict(cls, data: dict) -> Palette:
        """A palette from `to_record` (or `to_dict`) output; raises ``ValueError`` on malformed data."""
        try:
            swatches = tuple(
                Swatch(rgb=tuple(int(c) for c in s["rgb"]), share=float(s["share"]))  # type: ignore[arg-type]
                for s in data["swatches"]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed palette data: {exc}") from None
        if not swatches or any(len(s.rgb) != 3 or not 0 <= min(s.rgb) <= max(s.rgb) <= 255 for s in swatches):
            raise ValueError("malformed palette data: bad swatch colours")
        return cls(swatches)


def sort_swatches(swatches: list[Swatch], sort: str) -> list[Swatch]:
    """The swatches in the order `sort` names (one of `SORTS`); ties broken by hex code."""
    if sort == "share":
        return sorted(swatches, key=lambda s: (-s.share, s.hex))
    import numpy as np  # only when a palette is computed: a build whose palettes are cached never loads it

    lab = rgb8_to_oklab(np.array([s.rgb for s in swatches], dtype=np.float64))
    if sort == "lightness":
        order = sorted(range(len(swatches)), key=lambda i: (lab[i, 0], swatches[i].hex))
    else:
        neutral = [hue_family(s.rgb) in NEUTRAL_FAMILIES for s in swatches]
        # The circle is cut at 345°, between magenta (about 328°) and pink (about 0°), so pinks and reds
        # come first and purples last, as people read a hue strip.
        hue = (np.degrees(np.arctan2(lab[:, 2], lab[:, 1])) + 15.0) % 360.0

        def key(i: int) -> tuple[int, float, str]:
            # Near-blacks and near-whites are neutrals too, as their names say, whatever their hue angle.
            if neutral[i]:
                return (1, float(lab[i, 0]), swatches[i].hex)
            return (0, float(hue[i]), swatches[i].hex)

        order = sorted(range(len(swatches)), key=key)
    return [swatches[i] for i in order]
