"""``emphasis`` in every front end: the directive option, the ``palette_emphasis`` setting, the CLI, the
service's cache keys (issue 9)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cv2
import pytest

from sphinx_palette import cli, extract_palette
from sphinx_palette.options import OptionError, parse_palette_options
from sphinx_palette.remote.cache import PaletteCache
from sphinx_palette.remote.service import PaletteRequest
from sphinx_palette.settings import PaletteConfig, validate

MACAWS = Path(__file__).resolve().parents[1] / "example_site" / "images" / "macaws.jpg"
DOCS_PICTURES = Path(__file__).resolve().parents[1] / "docs" / "_static" / "emphasis"


def hexes(emphasis: str, colors: int = 5) -> list[str]:
    return list(extract_palette(MACAWS, colors, emphasis=emphasis).hexes)


def test_the_emphases_give_different_palettes_of_the_macaw():
    assert len({tuple(hexes(e)) for e in ("balanced", "coverage", "vivid")}) == 3


def test_option_setting_and_request():
    assert parse_palette_options("a.png", {}).emphasis == "balanced"
    assert parse_palette_options("a.png", {"emphasis": " vivid "}).request().emphasis == "vivid"
    config = PaletteConfig.from_mapping({"emphasis": "coverage"})
    assert parse_palette_options("a.png", {}, config).request().emphasis == "coverage"
    assert parse_palette_options("a.png", {"emphasis": "balanced"}, config).emphasis == "balanced"
    with pytest.raises(OptionError, match=r":emphasis: must be one of balanced, coverage, vivid, not 'loud'"):
        parse_palette_options("a.png", {"emphasis": "loud"})
    valid, rejected = validate({"emphasis": "vivid", "sort": "share"})
    assert valid["emphasis"] == "vivid" and not rejected
    _, rejected = validate({"emphasis": "loud"})
    assert [(setting.name, value) for setting, value in rejected] == [("emphasis", "loud")]


def test_service_keys_the_cache_by_emphasis(tmp_path):
    from sphinx_palette.remote.fetch import FetchSettings
    from sphinx_palette.remote.service import PaletteService

    service = PaletteService(PaletteCache(tmp_path / "cache"), FetchSettings())
    for emphasis in ("coverage", "vivid", "balanced", "coverage"):
        result = service.from_file(MACAWS, PaletteRequest(str(MACAWS), emphasis=emphasis))
        assert result.palette is not None, result.error
        assert list(result.palette.hexes) == hexes(emphasis)
    assert result.origin == "cache"


def test_cli_emphasis(capsys):
    # A cache of its own: the user cache may hold palettes of another checkout at the same engine version.
    assert cli.main(["extract", str(MACAWS), "--emphasis", "vivid", "--format", "json", "--no-cache"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["hex"] for s in data["swatches"]] == hexes("vivid")
    with pytest.raises(SystemExit):
        cli.main(["extract", str(MACAWS), "--emphasis", "loud"])
    assert "invalid choice: 'loud'" in capsys.readouterr().err


def test_build_uses_the_setting_and_the_option(make_app, tmp_path):
    (tmp_path / "img").mkdir()
    shutil.copy(MACAWS, tmp_path / "img" / "macaws.jpg")
    (tmp_path / "conf.py").write_text('extensions = ["sphinx_palette"]\npalette_emphasis = "vivid"\n')
    (tmp_path / "index.rst").write_text(
        "Birds\n=====\n\n.. palette:: img/macaws.jpg\n\n.. palette:: img/macaws.jpg\n   :emphasis: coverage\n"
    )
    app = make_app("html", srcdir=tmp_path, confoverrides={"palette_cache_dir": str(tmp_path / "cache")})
    app.build()
    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="(?:[^"]* )?palette[ "].*?</figure>', html, re.S)
    found = [re.findall(r'<li class="palette-swatch"[^>]*data-hex="([^"]*)"', figure) for figure in figures]
    assert found == [hexes("vivid"), hexes("coverage")]


@pytest.mark.parametrize("emphasis", ["balanced", "coverage", "vivid"])
def test_docs_pictures_show_the_current_palettes(emphasis):
    # docs/emphasis.rst shows these pictures; regenerate them (docs/make_emphasis_images.py) when the
    # palettes change. Each band's colour is read just below the photograph, beside the hex code.
    picture = cv2.imread(str(DOCS_PICTURES / f"macaws-{emphasis}.png"))
    assert picture is not None
    palette = extract_palette(MACAWS, 5, emphasis=emphasis)
    width = picture.shape[1]
    row = picture[-60][:, ::-1]
    left = 0
    for index, swatch in enumerate(palette):
        right = width if index == len(palette) - 1 else left + round(swatch.share * width)
        assert tuple(int(c) for c in row[(left + right) // 2]) == swatch.rgb, (emphasis, swatch.hex)
        left = right
