"""One output row per image (``schemas/batch-row.schema.json``), and its flat CSV form."""

from __future__ import annotations

import re
from typing import Any

from ..engine import ENGINE_VERSION
from ..remote.service import PaletteResult
from .targets import Target, row_key

__all__ = [
    "FIELDS",
    "LEGACY_FIELDS",
    "NOTICE_SEPARATOR",
    "SWATCH_FIELDS",
    "csv_header",
    "csv_notices",
    "csv_values",
    "key_of",
    "make_row",
]

#: The columns of a row, in order; ``swatches`` is a list of `Swatch.to_dict` objects, ``notices`` a list
#: of ``{"subtype", "message"}`` objects (what a build would warn about while still giving a palette).
FIELDS = (
    "source",
    "collection",
    "manifest",
    "canvas",
    "label",
    "image_url",
    "width",
    "height",
    "swatches",
    "engine_version",
    "error",
    "notices",
)
#: The columns written before rows had ``notices``; such outputs are still read and resumed.
LEGACY_FIELDS = FIELDS[:-1]
#: Between the notices of a row in its one CSV cell; each is ``subtype: message``.
NOTICE_SEPARATOR = "; "
#: The columns of each swatch in CSV: ``hex_1, share_1, name_1, family_1, hex_2, ...``.
SWATCH_FIELDS = ("hex", "share", "name", "family")


def make_row(target: Target, result: PaletteResult | None) -> dict[str, Any]:
    """The row of ``target``: its palette from ``result``, or the error of the target or the result."""
    palette = result.palette if result is not None else None
    if palette is not None:
        error = None
    elif result is None:
        error = target.error or "not resolved"
    else:
        error = result.error or "no palette"
    image_url = result.image_url if result is not None and result.image_url else None
    if image_url is None and target.manifest is None and target.location is not None:
        image_url = target.source
    label = target.label or (result.label if result is not None else None)
    return {
        "source": target.source,
        "collection": target.collection,
        "manifest": target.manifest,
        "canvas": target.canvas,
        "label": label,
        "image_url": image_url,
        "width": result.width if result is not None else None,
        "height": result.height if result is not None else None,
        "swatches": [swatch.to_dict() for swatch in palette] if palette is not None else [],
        "engine_version": ENGINE_VERSION,
        "error": error,
        "notices": [
            {"subtype": subtype, "message": message}
            for subtype, message in (result.notices if result else [])
        ],
    }


def key_of(row: dict[str, Any]) -> str:
    """The key of a written row (the same as its `Target.key`)."""
    canvas = row.get("canvas")
    return row_key(str(row["source"]), None if canvas in (None, "") else int(canvas))


def csv_header(colors: int, fields: tuple[str, ...] = FIELDS) -> list[str]:
    """CSV column names for palettes of up to ``colors`` swatches (``fields``: `LEGACY_FIELDS` for the
    columns of an output written before rows had notices)."""
    flat = [name for name in fields if name != "swatches"]
    for number in range(1, colors + 1):
        flat.extend(f"{name}_{number}" for name in SWATCH_FIELDS)
    return flat


def csv_values(row: dict[str, Any], colors: int, fields: tuple[str, ...] = FIELDS) -> list[str]:
    """The CSV cells of ``row`` (as `csv_header`); empty cells for what is missing, one line per row."""
    cells = [
        _cell(_notices_cell(row.get(name) or []) if name == "notices" else row[name])
        for name in fields
        if name != "swatches"
    ]
    swatches = row["swatches"]
    for index in range(colors):
        swatch = swatches[index] if index < len(swatches) else {}
        cells.extend(_cell(swatch.get(name)) for name in SWATCH_FIELDS)
    return cells


def csv_notices(cell: str | None) -> list[dict[str, str]]:
    """The notices of a CSV cell written by `csv_values`: ``subtype: message`` items joined by ``"; "``.

    A message that itself holds ``"; "`` followed by a word and a colon would be split there; the build's
    notices do not.
    """
    if not cell:
        return []
    notices = []
    for item in re.split(r"; (?=[\w.-]+: )", cell):
        subtype, _, message = item.partition(": ")
        notices.append({"subtype": subtype, "message": message})
    return notices


def _notices_cell(notices: list[dict[str, str]]) -> str:
    return NOTICE_SEPARATOR.join(f"{notice['subtype']}: {notice['message']}" for notice in notices)


def _cell(value: object) -> str:
    if value is None:
        return ""
    # Rows stay on one line, so a half-written last line can always be found and cut.
    return " ".join(str(value).splitlines())
