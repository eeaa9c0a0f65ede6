"""The MkDocs edition of the example exhibit (Material for MkDocs) in headless Chromium, light and dark.

Built once per module by a real ``mkdocs build --strict`` into a temporary folder with its own palette
cache; the fixtures that start Chromium and serve the site are the Sphinx edition's (tests/test_browser.py).
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import test_browser

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
EDITION = ROOT / "example_site" / "mkdocs"

# The same fixtures as the Sphinx edition's browser tests; `site` below is this edition's.
browser = test_browser.browser
base_url = test_browser.base_url
page = test_browser.page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MkDocs edition, built with ``--strict`` into a temporary folder with its own cache."""
    yaml = pytest.importorskip("yaml")
    work = tmp_path_factory.mktemp("mkdocs-site")
    config = yaml.safe_load((EDITION / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(EDITION / config["docs_dir"])
    config["hooks"] = [str(EDITION / hook) for hook in config["hooks"]]
    config["site_dir"] = str(work / "site")
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "palette" in plugin:
            plugin["palette"]["cache_dir"] = str(work / "cache")
    (work / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(work / "mkdocs.yml")]
    subprocess.run(command, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return work / "site"


def test_clicking_a_swatch_copies_its_hex(page) -> None:
    page.goto("items/carrots/")
    swatch = page.locator("figure.palette .palette-swatch").nth(1)
    expected = swatch.get_attribute("data-hex")
    swatch.locator("button").click()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    page.locator(".palette-status").filter(has_text=f"Copied {expected}").wait_for(
        state="attached", timeout=5000
    )


def test_a_family_chip_hides_the_other_families(page) -> None:
    test_browser.check_family_chips(page, "browse/")


def test_palette_layout_survives_materials_list_styles(page) -> None:
    page.goto("items/carrots/")
    assert page.locator("figure.palette .palette-bar").evaluate("e => getComputedStyle(e).display") == "flex"
    assert page.locator("figure.palette .palette-swatch").first.evaluate(
        "e => getComputedStyle(e).listStyleType"
    ) in ("none", "")
    page.goto("browse/")
    entries = page.locator(".palette-index-entries").first
    assert entries.evaluate("e => getComputedStyle(e).display") == "grid"


@pytest.mark.parametrize("path", ["items/carrots/", "browse/"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_accessibility_violation(browser, base_url, path: str, scheme: str) -> None:
    if not test_browser.AXE.exists():
        test_browser._missing("axe-core is not installed (run `npm install` in the project root)")
    context = browser.new_context(base_url=base_url, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(path)
        page.wait_for_load_state("load")
        shown = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert shown == ("slate" if scheme == "dark" else "default")
        serious = test_browser.serious_violations(page)
        assert serious == [], serious
    finally:
        context.close()


#: Material with a light and a dark scheme chosen by the browser's preference, as in the example edition.
MATERIAL = {
    "name": "material",
    "palette": [
        {"media": "(prefers-color-scheme: light)", "scheme": "default"},
        {"media": "(prefers-color-scheme: dark)", "scheme": "slate"},
    ],
}


@pytest.fixture(scope="module")
def wide_sites(tmp_path_factory: pytest.TempPathFactory):
    """The 16-colour page of the Sphinx browser test, built with Material and with the ``mkdocs`` theme and
    served on 127.0.0.1: ``{theme: url}``."""
    yaml = pytest.importorskip("yaml")
    work = tmp_path_factory.mktemp("mkdocs-wide")
    (work / "docs").mkdir()
    (work / "docs" / "index.md").write_text("# Wide\n\n```{palette} wide.png\n:colors: 16\n```\n", "utf-8")
    test_browser.write_wide_image(work / "docs" / "wide.png")
    servers, urls = [], {}
    for theme in ("material", "mkdocs"):
        config = {
            "site_name": "Wide",
            "docs_dir": "docs",
            "site_dir": f"site-{theme}",
            "theme": MATERIAL if theme == "material" else {"name": "mkdocs"},
            "plugins": [{"palette": {"cache_dir": str(work / "cache"), "workers": 1}}],
        }
        (work / f"{theme}.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(work / f"{theme}.yml"),
        ]
        subprocess.run(command, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        handler = functools.partial(test_browser._QuietHandler, directory=str(work / f"site-{theme}"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[theme] = f"http://127.0.0.1:{server.server_address[1]}/"
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("width", [1280, 700, 380])
@pytest.mark.parametrize(
    ("theme", "scheme"), [("material", "light"), ("material", "dark"), ("mkdocs", "light")]
)
def test_a_wide_palette_stays_one_row_in_mkdocs_themes(browser, wide_sites, theme, scheme, width) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(wide_sites[theme])
        if theme == "material":
            shown = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
            assert shown == ("slate" if scheme == "dark" else "default")
        test_browser.check_wide_palette(page)
    finally:
        context.close()
