"""One swatch shape in every JSON output (CLI, downloads, palettes.json, to_dict), one rounding."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from referencing import Registry, Resource

from sphinx_palette import cli
from sphinx_palette.engine import extract_palette
from sphinx_palette.engine.exports import json_text
from sphinx_palette.engine.names import describe
from sphinx_palette.engine.palette import SHARE_DECIMALS, Palette, Swatch, rounded_share

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
SITE = json.loads((SCHEMAS / "palettes.schema.json").read_text(encoding="utf-8"))
ONE = json.loads((SCHEMAS / "palette.schema.json").read_text(encoding="utf-8"))
REGISTRY = Registry().with_resources(
    [(schema["$id"], Resource.from_contents(schema)) for schema in (SITE, ONE)]
)
SWATCH_KEYS = ["hex", "rgb", "share", "name", "family"]


def validate_swatch(swatch: dict) -> None:
    """Check one swatch against ``$defs/swatch`` of the site schema."""
    jsonschema.validate(swatch, {"$ref": SITE["$id"] + "#/$defs/swatch"}, registry=REGISTRY)


def validate_palette_file(data: dict) -> None:
    """Check a one-palette JSON document against ``schemas/palette.schema.json``."""
    jsonschema.Draft202012Validator(ONE, registry=REGISTRY).validate(data)


def thirds() -> Palette:
    return Palette((Swatch((200, 30, 30), 1 / 3), Swatch((20, 120, 200), 1 / 3), Swatch((28, 31, 20), 1 / 3)))


def test_swatch_to_dict_is_the_schema_shape_with_names() -> None:
    data: list[dict] = json.loads(json.dumps(thirds().to_dict()))["swatches"]
    for swatch in data:
        validate_swatch(swatch)
        assert list(swatch) == SWATCH_KEYS
        assert swatch["share"] == 0.333333
        assert swatch["name"] == describe(swatch["rgb"]).name
    assert data[2]["name"] == "black" and data[2]["family"] == "black"


@pytest.mark.parametrize(
    ("share", "written"),
    [(1 / 3, 0.333333), (0.1234567, 0.123457), (1e-9, 10.0**-SHARE_DECIMALS), (1.0, 1.0), (0.0, 0.0)],
)
def test_one_rounding_rule(share: float, written: float) -> None:
    assert rounded_share(share) == written


def test_record_is_lossless_for_the_cache() -> None:
    palette = thirds()
    assert Palette.from_dict(json.loads(json.dumps(palette.to_record()))) == palette
    # A to_dict document reads back too (names are ignored), to the rounded shares.
    assert Palette.from_dict(palette.to_dict()).swatches[0].share == 0.333333


def test_download_json_has_the_same_swatches(tmp_path: Path) -> None:
    palette = thirds()
    text = json_text("Thirds", [{"hex": s.hex, "share": s.share, "name": "ignored"} for s in palette])
    data = json.loads(text)
    validate_palette_file(data)
    assert data == {"name": "Thirds", **palette.to_dict()}


def test_cli_json_has_the_same_swatches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import cv2

    rgb = np.zeros((10, 90, 3), np.uint8)
    rgb[:, :30], rgb[:, 30:60], rgb[:, 60:] = (200, 30, 30), (20, 120, 200), (28, 31, 20)
    path = tmp_path / "thirds.png"
    path.write_bytes(cv2.imencode(".png", rgb[:, :, ::-1])[1].tobytes())
    assert cli.main(["extract", str(path), "--colors", "3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    validate_palette_file(data)
    assert data["name"] == "thirds" and data["source"] == str(path)
    expected = extract_palette(path, 3).to_dict()["swatches"]
    assert data["swatches"] == expected
    assert {s["name"] for s in data["swatches"]} >= {"black"}
