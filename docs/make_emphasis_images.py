"""Draw the macaw's 5-colour palette under each emphasis, for docs/emphasis.rst.

Usage: python docs/make_emphasis_images.py   (writes docs/_static/emphasis/macaws-<emphasis>.png)

Each picture is the photograph with its palette beneath, one band per swatch as wide as its share, the hex
code written on it. Deterministic: the same engine and OpenCV give the same bytes, so the files change only
when the palettes do.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from sphinx_palette import extract_palette
from sphinx_palette.engine import EMPHASES
from sphinx_palette.engine.colour import text_colour_for

DOCS = Path(__file__).resolve().parent
SOURCE = DOCS / "images" / "macaws.jpg"
OUT = DOCS / "_static" / "emphasis"
WIDTH = 480
BAR = 64
FONT = cv2.FONT_HERSHEY_SIMPLEX


def picture(emphasis: str) -> np.ndarray:
    """The photograph (``WIDTH`` wide) over its palette at 5 colours, as a BGR array."""
    photo = cv2.imread(str(SOURCE))
    height = round(photo.shape[0] * WIDTH / photo.shape[1])
    photo = cv2.resize(photo, (WIDTH, height), interpolation=cv2.INTER_AREA)
    bar = np.zeros((BAR, WIDTH, 3), np.uint8)
    left = 0
    palette = extract_palette(SOURCE, 5, emphasis=emphasis)
    for index, swatch in enumerate(palette):
        right = WIDTH if index == len(palette) - 1 else left + round(swatch.share * WIDTH)
        bar[:, left:right] = swatch.rgb[::-1]
        ink = (0, 0, 0) if text_colour_for(swatch.rgb) == "#000000" else (255, 255, 255)
        # Hex codes on narrow bands are written upright so that they fit.
        label = np.zeros((BAR, right - left, 3), np.uint8)
        label[:] = swatch.rgb[::-1]
        if right - left >= 80:
            cv2.putText(label, swatch.hex, (6, BAR // 2 + 6), FONT, 0.5, ink, 1, cv2.LINE_AA)
        else:
            turned = np.zeros((right - left, BAR, 3), np.uint8)
            turned[:] = swatch.rgb[::-1]
            cv2.putText(turned, swatch.hex, (2, (right - left) // 2 + 5), FONT, 0.4, ink, 1, cv2.LINE_AA)
            label = cv2.rotate(turned, cv2.ROTATE_90_COUNTERCLOCKWISE)
        bar[:, left:right] = label
        left = right
    return np.concatenate([photo, bar])


def main() -> None:
    """Write one PNG per emphasis."""
    OUT.mkdir(parents=True, exist_ok=True)
    for emphasis in EMPHASES:
        ok, data = cv2.imencode(".png", picture(emphasis), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        assert ok
        (OUT / f"macaws-{emphasis}.png").write_bytes(data.tobytes())
        print(OUT / f"macaws-{emphasis}.png")


if __name__ == "__main__":
    main()
