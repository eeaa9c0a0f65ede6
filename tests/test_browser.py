"""The example site in headless Chromium: copy on click, family filter, no-JS fallback, axe-core.

Needs Debian's ``chromium`` (``.ci/run`` installs it), Playwright's Python driver (test extra) and axe-core
from npm (``npm install`` in the project root). Missing pieces skip these tests on a developer's machine and
fail them in CI, where they must run.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site, built once for this module with its own palette cache."""
    work = tmp_path_factory.mktemp("site")
    out = work / "html"
    command = [
        sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(work / "doctrees"),
        "-D", f"palette_cache_dir={work / 'cache'}", str(ROOT / "example_site"), str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return out


@pytest.fixture(scope="module")
def base_url(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _missing("Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    opened = context.new_page()
    yield opened
    context.close()


def test_clicking_a_swatch_copies_its_hex_and_announces_it(page) -> None:
    page.goto("items/carrots.html")
    swatch = page.locator("figure.palette .palette-swatch").nth(1)
    expected = swatch.get_attribute("data-hex")
    assert re.fullmatch(r"#[0-9a-f]{6}", expected)
    swatch.locator("button").click()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    status = page.locator(".palette-status[aria-live]")
    status.filter(has_text=f"Copied {expected}").wait_for(state="attached", timeout=5000)


def test_enter_on_a_focused_swatch_copies_too(page) -> None:
    page.goto("items/macaws.html")
    swatch = page.locator("figure.palette .palette-swatch").first
    expected = swatch.get_attribute("data-hex")
    swatch.locator("button").focus()
    page.keyboard.press("Enter")
    page.locator(".palette-status").filter(has_text=f"Copied {expected}").wait_for(
        state="attached", timeout=5000
    )
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_a_family_chip_hides_the_other_families(page) -> None:
    check_family_chips(page, "browse.html")


def check_family_chips(page, browse: str) -> None:
    """On the browse page at ``browse``, a family chip shows only its family; pressed again, all of them."""
    page.goto(browse)
    groups = page.locator(".palette-index-family")
    assert groups.count() >= 3
    chip = page.locator(".palette-index-chips button").nth(1)
    family = chip.get_attribute("data-family")
    chip.click()
    assert chip.get_attribute("aria-pressed") == "true"
    visible = [g.get_attribute("id") for g in groups.all() if g.is_visible()]
    assert visible == [f"palette-family-{family}"]
    chip.click()  # pressing it again shows every family
    assert all(g.is_visible() for g in groups.all())


def test_without_javascript_everything_is_still_there(browser, base_url, site: Path) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("browse.html")
        html = (site / "browse.html").read_text(encoding="utf-8")
        entries = page.locator(".palette-index-entry")
        assert entries.count() == html.count('class="palette-index-entry')
        assert entries.count() > 0
        assert all(e.is_visible() for e in entries.all())
        assert page.locator(".palette-index-chips button").count() == 0  # no dead controls

        page.goto("items/carrots.html")
        swatches = page.locator("figure.palette .palette-swatch")
        assert swatches.count() == 6
        assert all(s.is_visible() for s in swatches.all())
        assert page.locator(".palette-swatch-button").count() == 0
    finally:
        context.close()


def serious_violations(page) -> list[tuple[str, str, list[object]]]:
    """axe-core's serious and critical violations on the loaded page: rule, impact, the first targets."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", ["items/carrots.html", "browse.html", "index.html"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_accessibility_violation(browser, base_url, path: str, scheme: str) -> None:
    if not AXE.exists():
        _missing("axe-core is not installed (run `npm install` in the project root)")
    context = browser.new_context(base_url=base_url, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(path)
        page.wait_for_load_state("load")
        serious = serious_violations(page)
        assert serious == [], serious
    finally:
        context.close()


@pytest.fixture(scope="module")
def wide_url(tmp_path_factory: pytest.TempPathFactory):
    """A page with a 16-colour palette (one 40% swatch, fifteen of 4%), served on 127.0.0.1."""
    work = tmp_path_factory.mktemp("wide")
    src = work / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
    (src / "index.rst").write_text("Wide\n====\n\n.. palette:: wide.png\n   :colors: 16\n", encoding="utf-8")
    write_wide_image(src / "wide.png")
    out = work / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-D", f"palette_cache_dir={work}/c"]
    subprocess.run([*command, str(src), str(out)], check=True)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def write_wide_image(path: Path) -> None:
    """An image of sixteen colours: one stripe of 40% of its width, fifteen of 4%."""
    import cv2
    import numpy as np

    hues = np.linspace(0, 170, 16, endpoint=False).astype(np.uint8)
    hsv = np.stack(
        [hues, np.full(16, 200, np.uint8), np.full(16, 90 + (np.arange(16) % 4) * 40, np.uint8)], 1
    )
    colours = cv2.cvtColor(hsv[None], cv2.COLOR_HSV2BGR)[0]
    widths = [400] + [40] * 15
    image = np.concatenate([np.tile(c, (50, w, 1)) for c, w in zip(colours, widths, strict=True)], axis=1)
    cv2.imwrite(str(path), image)


@pytest.mark.parametrize("width", [1280, 700, 380])
def test_a_wide_palette_stays_one_row_following_the_shares(browser, wide_url: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(wide_url)
    try:
        check_wide_palette(page)
    finally:
        context.close()


def check_wide_palette(page) -> None:
    """The 16-colour palette of `write_wide_image` on ``page``: one row, widths following the shares, every
    hex code readable, the labels shown on one line."""
    boxes = page.eval_on_selector_all(
        ".palette-swatch",
        """els => els.map(e => {
            const r = e.getBoundingClientRect(), hex = e.querySelector('.palette-hex');
            const h = hex.getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, width: r.width, share: parseFloat(e.dataset.share),
                    title: e.title, hex: e.dataset.hex, shown: h.width > 1, labelBottom: h.bottom};
        })""",
    )
    bar = page.eval_on_selector(".palette-bar", "e => [e.scrollWidth, e.clientWidth]")
    assert len(boxes) == 16
    assert len({round(b["top"]) for b in boxes}) == 1  # one row
    assert bar[0] <= bar[1]  # nothing overflows the bar
    # Widths follow the shares (the 40% swatch is ten times a 4% one, as far as the sliver floor allows).
    big, small = boxes[0]["width"], sorted(b["width"] for b in boxes[1:])[7]
    ratio = boxes[0]["share"] / sorted(b["share"] for b in boxes[1:])[7]
    assert big / small == pytest.approx(ratio, rel=0.05) or small <= 13
    # Every hex code is readable: on the swatch, or in its tooltip when the swatch is too narrow for it.
    assert all(b["hex"] in b["title"] for b in boxes)
    shown = [b for b in boxes if b["shown"]]
    assert shown and all(b["width"] >= 40 for b in shown)
    # The labels that are shown sit on one line (the last one is not higher).
    assert len({round(b["labelBottom"]) for b in shown}) == 1
    assert boxes[0]["shown"]  # the 40% swatch always has room for its code
