"""What the engine returns: `Palette`, a tuple of `Swatch`, and the orders swatches can be sorted in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .colour import rgb8_to_oklab, rgb_to_hex

SORTS = ("share", "lightness", "hue")
# Below this Oklab chroma a colour reads as grey, so hue sorting puts it with the neutrals.
_NEUTRAL_CHROMA = 0.02


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
        """JSON-ready ``{"hex", "rgb", "share"}``."""
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
        """JSON-ready ``{"swatches": [{"hex", "rgb", "share"}, ...]}``."""
        return {"swatches": [s.to_dict() for s in self.swatches]}

    @classmethod
    def from_dict(cls, data: dict) -> Palette:
        """Rebuild a palette from `to_dict` output; raises ``ValueError`` on malformed data."""
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
    lab = rgb8_to_oklab(np.array([s.rgb for s in swatches], dtype=np.float64))
    if sort == "lightness":
        order = sorted(range(len(swatches)), key=lambda i: (lab[i, 0], swatches[i].hex))
    else:
        chroma = np.hypot(lab[:, 1], lab[:, 2])
        # The circle is cut at 345°, between magenta (about 328°) and pink (about 0°), so pinks and reds
        # come first and purples last, as people read a hue strip.
        hue = (np.degrees(np.arctan2(lab[:, 2], lab[:, 1])) + 15.0) % 360.0

        def key(i: int) -> tuple[int, float, str]:
            if chroma[i] < _NEUTRAL_CHROMA:
                return (1, float(lab[i, 0]), swatches[i].hex)
            return (0, float(hue[i]), swatches[i].hex)

        order = sorted(range(len(swatches)), key=key)
    return [swatches[i] for i in order]
