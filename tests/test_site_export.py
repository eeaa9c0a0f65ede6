"""The example site's exports: palettes.json against its schema, downloads, serial and parallel builds."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from sphinx_palette import extract_palette
from sphinx_palette.engine.names import FAMILIES

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "palettes.schema.json").read_text(encoding="utf-8"))
DIRECTIVE = re.compile(r"^\s*(?:\.\. palette::|```\{palette\})\s+(\S+)", re.MULTILINE)


def _build(out: Path, cache: Path, *extra: str) -> Path:
    command = [
        sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(out / ".doctrees"),
        "-D", f"palette_cache_dir={cache}", *extra, str(ROOT / "example_site"), str(out / "html"),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return out / "html"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example site built serially (computing palettes) and with -j 2 (from a separate cold cache)."""
    serial = _build(tmp_path_factory.mktemp("serial"), tmp_path_factory.mktemp("cache-a"))
    parallel = _build(tmp_path_factory.mktemp("parallel"), tmp_path_factory.mktemp("cache-b"), "-j", "2")
    return serial, parallel


def _directives() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "example_site").rglob("*")):
        # example_site/mkdocs is the MkDocs edition, excluded from the Sphinx build.
        if path.suffix in (".rst", ".md") and not {"_build", "mkdocs"} & set(
            path.relative_to(ROOT / "example_site").parts
        ):
            docname = path.relative_to(ROOT / "example_site").with_suffix("").as_posix()
            found += [(docname, source) for source in DIRECTIVE.findall(path.read_text(encoding="utf-8"))]
    return found


def test_palettes_json_validates_and_has_one_entry_per_directive(builds) -> None:
    serial, _ = builds
    data = json.loads((serial / "_static" / "palettes.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    written = sorted((p["docname"], p["source"]) for p in data["palettes"])
    assert written == sorted(_directives())
    assert len(written) >= 20
    for entry in data["palettes"]:
        page = (serial / entry["page"]).read_text(encoding="utf-8")
        assert f'id="{entry["anchor"]}"' in page
        assert all(s["family"] in FAMILIES for s in entry["swatches"])


def test_exported_colours_are_the_engines(builds) -> None:
    serial, _ = builds
    data = json.loads((serial / "_static" / "palettes.json").read_text(encoding="utf-8"))
    entry = next(p for p in data["palettes"] if p["docname"] == "items/carrots")
    expected = extract_palette(ROOT / "example_site" / "images" / "carrots.jpg", 6)
    assert [s["hex"] for s in entry["swatches"]] == list(expected.hexes)


def test_parallel_build_is_byte_identical(builds) -> None:
    serial, parallel = builds
    names = sorted(
        p.relative_to(serial).as_posix()
        for p in serial.rglob("*")
        if p.suffix in (".html", ".json", ".gpl") and p.is_file()
    )
    assert "_static/palettes.json" in names
    for name in names:
        assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name


def _first(pattern: str, text: str) -> str:
    """The first group of the first match of ``pattern``, which must match."""
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def test_gpl_download_is_a_gimp_palette(builds) -> None:
    serial, _ = builds
    page = (serial / "items" / "carrots.html").read_text(encoding="utf-8")
    href = _first(r'href="([^"]+\.gpl)" download', page)
    text = (serial / "items" / href).resolve().read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "GIMP Palette"
    assert lines[1].startswith("Name: ")
    assert lines[2] == "Columns: 6"
    colours = [line for line in lines[3:] if line and not line.startswith("#")]
    assert len(colours) == 6
    hexes = re.findall(r'data-hex="(#[0-9a-f]{6})"', page.split('id="palette-carrots"')[1])[:6]
    for line, code in zip(colours, hexes, strict=True):
        match = re.fullmatch(r"\s*(\d+)\s+(\d+)\s+(\d+)\t(.+)", line)
        assert match, line
        r, g, b = (int(v) for v in match.groups()[:3])
        assert f"#{r:02x}{g:02x}{b:02x}" == code
        assert code in match.group(4)
    json_href = href.removesuffix(".gpl") + ".json"
    exported = json.loads((serial / "items" / json_href).resolve().read_text(encoding="utf-8"))
    assert [s["hex"] for s in exported["swatches"]] == hexes


def test_custom_properties_on_each_block(builds) -> None:
    serial, _ = builds
    page = (serial / "items" / "carrots.html").read_text(encoding="utf-8")
    figure = _first(r'<figure class="palette[^"]*" id="palette-carrots" style="([^"]+)"', page)
    properties = dict(item.split(":") for item in figure.split(";"))
    assert list(properties) == [f"--palette-{i}" for i in range(1, 7)]
