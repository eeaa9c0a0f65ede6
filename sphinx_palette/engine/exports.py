"""Palette file formats for downloads (GIMP ``.gpl``, JSON), and shares shown as percentages."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .colour import hex_to_rgb
from .palette import Swatch


def percent(share: float, *, fixed: bool = False) -> str:
    """A share (0 to 1) as a percentage for people.

    Short by default, for swatch labels: ``34%``, ``0.4%`` below one percent, ``<0.1%`` below that.
    ``fixed`` gives one decimal always (``34.0%``), for files and tables whose columns line up.
    """
    value = share * 100
    if fixed:
        return f"{value:.1f}%"
    if 0 < value < 0.05:
        return "<0.1%"
    return f"{value:.1f}%" if 0 < value < 1 else f"{round(value)}%"


def gpl_text(title: str, swatches: Sequence[dict]) -> str:
    """A GIMP palette (``GIMP Palette`` header, ``Name:``, ``Columns:``, then ``R G B<TAB>name`` lines).

    ``swatches`` are dicts with ``hex``, ``share`` and optionally ``name``.
    """
    # GIMP reads the name to the end of the line: a newline in a title must not end it early.
    name = " ".join(title.split()) or "Palette"
    lines = ["GIMP Palette", f"Name: {name}", f"Columns: {len(swatches)}", "#"]
    for swatch in swatches:
        r, g, b = hex_to_rgb(swatch["hex"])
        label = f"{swatch['name']} {swatch['hex']}" if swatch.get("name") else swatch["hex"]
        lines.append(f"{r:3d} {g:3d} {b:3d}\t{label} ({percent(swatch['share'], fixed=True)})")
    return "\n".join(lines) + "\n"


def json_text(title: str, swatches: Sequence[dict]) -> str:
    """The palette as JSON: ``{"name": title, "swatches": [...]}``, each swatch in the one shape of
    `Swatch.to_dict` (``hex``, ``rgb``, ``share`` rounded to 6 places, ``name``, ``family``).

    ``swatches`` are dicts with ``hex`` and ``share`` (other keys are ignored: names are derived again).
    ``schemas/palette.schema.json`` describes the file.
    """
    data = {
        "name": title,
        "swatches": [Swatch(hex_to_rgb(s["hex"]), float(s["share"])).to_dict() for s in swatches],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
