"""Remote :show-image:: a scaled copy in the output by default, the URL with palette_remote_images = "link"
(issue 14 item 13)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.httpserver import LocalHTTPServer, Response


@pytest.fixture
def site(tmp_path: Path, http_server: LocalHTTPServer) -> tuple[Path, str]:
    body = cv2.imencode(".png", np.full((1600, 2400, 3), (40, 60, 200), np.uint8))[1].tobytes()
    http_server.route("/big.png", Response(headers={"Content-Type": "image/png"}, body=body))
    url = http_server.url("/big.png")
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["sphinx_palette"]\nproject = "R"\ncopyright = "2024, tests"\nversion = "1"\n',
        encoding="utf-8",
    )
    (src / "index.rst").write_text(f"Doc\n===\n\n.. palette:: {url}\n   :show-image:\n", encoding="utf-8")
    return src, url


def _img(html: str) -> str:
    [tag] = re.findall(r'<div class="palette-media"><img [^>]*>', html)
    return tag


def test_copy_is_the_default(make_app, site, tmp_path: Path) -> None:
    src, url = site
    app = make_app("html", srcdir=src, confoverrides={"palette_cache_dir": str(tmp_path / "cache")})
    app.build()
    tag = _img((Path(app.outdir) / "index.html").read_text(encoding="utf-8"))
    assert url not in tag and 'width="1200" height="800"' in tag
    [copied] = re.findall(r'src="([^"]+)"', tag)
    assert copied.startswith("_images/palette/") and (Path(app.outdir) / copied).stat().st_size < 100_000


def test_link_keeps_the_url(make_app, site, tmp_path: Path) -> None:
    src, url = site
    overrides = {"palette_cache_dir": str(tmp_path / "cache"), "palette_remote_images": "link"}
    app = make_app("html", srcdir=src, confoverrides=overrides)
    app.build()
    assert f'src="{url}"' in _img((Path(app.outdir) / "index.html").read_text(encoding="utf-8"))


def test_the_ebook_contains_the_image(make_app, site, tmp_path: Path) -> None:
    src, url = site
    app = make_app("epub", srcdir=src, confoverrides={"palette_cache_dir": str(tmp_path / "cache")})
    app.build()
    [book] = Path(app.outdir).glob("*.epub")
    names = zipfile.ZipFile(book).namelist()
    assert any(n.startswith("_images/palette/") and n.endswith(".jpg") for n in names), names
    assert url not in zipfile.ZipFile(book).read("index.xhtml").decode()


def test_latex_includes_the_copy(make_app, site, tmp_path: Path) -> None:
    src, _url = site
    app = make_app("latex", srcdir=src, confoverrides={"palette_cache_dir": str(tmp_path / "cache")})
    app.build()
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    [(base, suffix)] = re.findall(r"\\sphinxincludegraphics\{\{(_images/palette/[^}]+)\}(\.jpg)\}", tex)
    assert (Path(app.outdir) / (base + suffix)).is_file()
