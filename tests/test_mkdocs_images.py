"""Scaled images in MkDocs sites, through real ``mkdocs build`` runs: browse-index thumbnails (local and
remote images) and copies of remote ``:show-image:`` images (``remote_images: copy | link``), as in Sphinx.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import imagesize
import numpy as np
import pytest

from tests.httpserver import Response
from tests.mkdocs_helpers import Project
from tests.remote_helpers import png

pytest.importorskip("mkdocs")

THUMB = re.compile(
    r'<img class="palette-index-thumb" src="([^"]+)" width="(\d+)" height="(\d+)" '
    r'alt="" loading="lazy" decoding="async"/>'
)
MEDIA = re.compile(r'<div class="palette-media"><img src="([^"]+)"( width="(\d+)" height="(\d+)")? alt=')


def gradient(width: int, height: int) -> bytes:
    """A PNG whose colours change across and down: a photograph's worth of detail to scale."""
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    pixels = np.dstack(
        [np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width)), (x + y) / 2]
    )
    ok, encoded = cv2.imencode(".png", pixels.astype(np.uint8))
    assert ok
    return encoded.tobytes()


@pytest.fixture
def project(tmp_path, http_server) -> Project:
    """The basic project with a 900×600 local image and a 1599×1600 remote one, each on an item page."""
    project = Project.copy("basic", tmp_path / "site-src")
    (project.root / "docs" / "img" / "big.png").write_bytes(gradient(900, 600))
    http_server.route(
        "/plate.png",
        Response(headers={"Content-Type": "image/png"}, body=png([(20, 40, 200), (240, 200, 40)], size=1600)),
    )
    project.write("items/big.md", "# Big\n\n```{palette} ../img/big.png\n:colors: 3\n:show-image:\n```\n")
    project.write(
        "items/plate.md",
        f"# Plate\n\n```{{palette}} {http_server.url('/plate.png')}\n:colors: 2\n:show-image:\n```\n",
    )
    return project


def site_file(project: Project, page: str, src: str) -> Path:
    """The file an address on ``page`` (``browse/index.html``) points at."""
    return (project.root / "site" / page).parent.joinpath(src).resolve()


def test_index_thumbnails_are_small_sized_lazy_and_reused(project, http_server):
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    browse = project.html("browse/index.html")
    thumbs = {
        site_file(project, "browse/index.html", src): (int(w), int(h)) for src, w, h in THUMB.findall(browse)
    }
    # warm.png, big.png and the remote plate, each listed once per hue family it belongs to.
    assert len(thumbs) == 3, browse
    for path, size in thumbs.items():
        assert path.parent == (project.root / "site" / "assets" / "images" / "palette").resolve()
        assert path.suffix == ".jpg" and path.stat().st_size < 20_000
        assert imagesize.get(path) == size
    assert sorted(thumbs.values()) == [(40, 24), (240, 160), (240, 240)]  # never enlarged; aspect kept
    assert "img/big.png" not in browse and http_server.url("/plate.png") not in browse
    # A rebuild into an emptied site decodes nothing again: the same files, from the palette cache (a
    # rewritten entry would be a new file, written atomically: another inode; reads only touch its time).
    stored = Path(f"{project.root}-cache", "derivatives")
    cached = {p.name: p.stat().st_ino for p in stored.iterdir()}
    assert {p.name for p in thumbs} <= set(cached)
    written = {p: p.read_bytes() for p in thumbs}
    again = project.build(strict=True)
    assert again.returncode == 0, again.stderr
    assert project.html("browse/index.html") == browse
    assert {p: p.read_bytes() for p in thumbs} == written
    assert {p.name: p.stat().st_ino for p in stored.iterdir()} == cached


def test_remote_show_image_is_a_bounded_copy_unless_linked(project, http_server):
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    page = project.html("items/plate/index.html")
    src, _, width, height = MEDIA.findall(page)[0]
    copy = site_file(project, "items/plate/index.html", src)
    assert src.startswith("../../assets/images/palette/") and copy.is_file()
    assert (int(width), int(height)) == imagesize.get(copy)
    assert max(int(width), int(height)) == 1200  # the 1600-pixel original, bounded
    assert http_server.url("/plate.png") not in page
    # A local image is shown from the site as before.
    assert MEDIA.findall(project.html("items/big/index.html"))[0][0] == "../../img/big.png"

    project.configure(remote_images="link")
    linked = project.build(strict=True)
    assert linked.returncode == 0, linked.stderr
    page = project.html("items/plate/index.html")
    assert MEDIA.findall(page)[0][:2] == (http_server.url("/plate.png"), "")
    assert not list((project.root / "site" / "assets" / "images" / "palette").glob("*-1200.jpg"))

    project.configure(remote_images="copies")
    refused = project.build()
    assert refused.returncode != 0 and "remote_images" in refused.stderr and "copy or link" in refused.stderr
