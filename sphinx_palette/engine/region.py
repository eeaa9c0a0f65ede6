"""Image regions in IIIF Image API syntax (``full``, ``square``, ``x,y,w,h``, ``pct:x,y,w,h``).

The same syntax selects a region of a IIIF derivative on the server and of a local or plain-URL image in
the engine, so authors learn it once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER = r"\d+(?:\.\d+)?"
_PIXELS = re.compile(r"^(\d+),(\d+),(\d+),(\d+)$")
_PERCENT = re.compile(rf"^pct:({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})$")


@dataclass(frozen=True)
class Region:
    """A parsed region: ``kind`` is ``full``, ``square``, ``pixels`` or ``percent``."""

    kind: str
    values: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    @property
    def is_full(self) -> bool:
        """True when the region selects the whole image."""
        if self.kind == "full":
            return True
        return self.kind == "percent" and self.values == (0.0, 0.0, 100.0, 100.0)

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Return ``(x, y, w, h)`` in pixels of a ``width`` × ``height`` image, clipped to it.

        Raises ``ValueError`` when the region lies wholly outside the image, as a IIIF server answers 400.
        """
        if self.kind == "full":
            return 0, 0, width, height
        if self.kind == "square":
            side = min(width, height)
            return (width - side) // 2, (height - side) // 2, side, side
        x, y, w, h = self.values
        if self.kind == "percent":
            # Outward rounding keeps a thin percentage region from collapsing to nothing.
            x0, y0 = math.floor(x * width / 100), math.floor(y * height / 100)
            x1 = math.ceil((x + w) * width / 100)
            y1 = math.ceil((y + h) * height / 100)
        else:
            x0, y0, x1, y1 = int(x), int(y), int(x + w), int(y + h)
        x1, y1 = min(x1, width), min(y1, height)
        if x0 >= width or y0 >= height or x1 <= x0 or y1 <= y0:
            raise ValueError(f":region: {self} lies wholly outside the {width}×{height} image")
        return x0, y0, x1 - x0, y1 - y0

    def exceeds(self, width: int, height: int) -> bool:
        """True when the region reaches past the right or bottom edge of a ``width`` × ``height`` image.

        `box` clips such a region to the image; front ends use this to say so instead of clipping silently.
        """
        if self.kind in ("full", "square"):
            return False
        x, y, w, h = self.values
        if self.kind == "percent":
            return x + w > 100 or y + h > 100
        return x + w > width or y + h > height

    def outside_notice(self, width: int, height: int) -> str | None:
        """The warning for a region that `exceeds` a ``width`` × ``height`` image, else ``None``."""
        if width <= 0 or height <= 0 or not self.exceeds(width, height):
            return None
        outside = f":region: {self} reaches outside the {width}×{height} image"
        return f"{outside}; the palette is of the part inside it"

    def __str__(self) -> str:
        if self.kind in ("full", "square"):
            return self.kind
        text = ",".join(_format_number(v) for v in self.values)
        return f"pct:{text}" if self.kind == "percent" else text


def scale_box(
    box: tuple[int, int, int, int], scale: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """A box of a full-size image, in the pixels of a ``width`` × ``height`` copy reduced by ``scale``.

    Rounded outwards, and never empty, so a thin region of a reduced decode still has a pixel.
    """
    x, y, w, h = box
    x0, y0 = min(width - 1, math.floor(x * scale)), min(height - 1, math.floor(y * scale))
    x1 = max(x0 + 1, min(width, math.ceil((x + w) * scale)))
    y1 = max(y0 + 1, min(height, math.ceil((y + h) * scale)))
    return x0, y0, x1 - x0, y1 - y0


def _format_number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def parse_region(text: str) -> Region:
    """Parse IIIF region syntax; raise ``ValueError`` with a readable message when it is not valid."""
    spec = text.strip()
    if spec in ("full", "square"):
        return Region(spec)
    if match := _PIXELS.match(spec):
        values = tuple(float(v) for v in match.groups())
        kind = "pixels"
    elif match := _PERCENT.match(spec):
        values = tuple(float(v) for v in match.groups())
        kind = "percent"
        if values[0] >= 100 or values[1] >= 100:
            raise ValueError(f"region {text!r} starts outside the image (x and y must be below 100%)")
    else:
        raise ValueError(
            f"region {text!r} is not IIIF region syntax: use full, square, x,y,w,h or pct:x,y,w,h"
        )
    if values[2] <= 0 or values[3] <= 0:
        raise ValueError(f"region {text!r} has zero width or height")
    return Region(kind, values)  # type: ignore[arg-type]
