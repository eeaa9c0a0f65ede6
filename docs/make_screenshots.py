"""Screenshot the built example site in headless Chromium, light and dark (for docs/screenshots.rst).

Usage: python docs/make_screenshots.py [SITE_HTML_DIR]   (default: example_site/_build/html)
       python docs/make_screenshots.py --mkdocs [SITE_DIR]   (the MkDocs edition; default:
       example_site/mkdocs/site; files named mkdocs-<page>-<scheme>.png)
Needs Debian's chromium and the playwright package (test extra).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"overview": "index.html", "item": "items/carrots.html", "browse": "browse.html"}
MKDOCS_PAGES = {"overview": "", "item": "items/carrots/", "browse": "browse/"}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(site: Path, pages: dict[str, str] = PAGES, prefix: str = "") -> None:
    """Serve ``site`` on 127.0.0.1 and write one PNG per page and colour scheme."""
    out = ROOT / "docs" / "_static" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            for name, path in pages.items():
                for scheme in ("light", "dark"):
                    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(out / f"{prefix}{name}-{scheme}.png"))
                    page.close()
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--mkdocs"]:
        folder = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "example_site" / "mkdocs" / "site"
        main(folder, MKDOCS_PAGES, "mkdocs-")
    else:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "example_site" / "_build" / "html")
