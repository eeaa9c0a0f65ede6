"""``:region:`` outside a remote or IIIF image warns as for a local image: in Sphinx and MkDocs, with the
document and line, subtype ``palette.option``, on a cold build and on a build that takes the cached palette.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

from sphinx_palette.engine.region import parse_region
from sphinx_palette.remote.compute import region_notices
from sphinx_palette.remote.iiif_image_api import derivative
from tests.httpserver import Response, json_response
from tests.mkdocs_helpers import Project, warnings_of
from tests.remote_helpers import info_json, png
from tests.test_trust_limits import sphinx_build, sphinx_project

RED, BLUE = (220, 20, 30), (20, 40, 200)
OUTSIDE = "reaches outside the {} image; the palette is of the part inside it"


def build(root: Path, rst: str):
    """A fresh ``sphinx-build -E`` of one page; the palette cache stays in ``root`` between builds."""
    done = sphinx_build(sphinx_project(root, rst, palette_timeout=5.0))
    assert done.returncode == 0, done.stderr
    return done


def option_warnings(done) -> list[str]:
    return [line for line in done.stderr.splitlines() if "[palette.option]" in line]


def test_plain_url_region_outside_the_image_warns_on_every_build(http_server, tmp_path):
    http_server.route("/a.png", Response(headers={"Content-Type": "image/png"}, body=png([RED], size=64)))
    url = http_server.url("/a.png")
    rst = f".. palette:: {url}\n   :region: 0,0,100,30\n\n.. palette:: {url}\n   :region: 0,0,64,30\n"
    for _ in ("cold", "from the cache"):
        done = build(tmp_path, rst)
        (warning,) = option_warnings(done)
        assert warning.endswith(
            f"index.rst:4: WARNING: :region: 0,0,100,30 {OUTSIDE.format('64×64')} [palette.option]"
        )
        # The second build takes the image and its palettes from the cache: no request reaches the server.
        assert len(http_server.requests) == 1
    assert "#dc141e" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_iiif_region_is_measured_against_the_full_image(http_server, tmp_path):
    base = http_server.url("/iiif/img")
    info = info_json(base, 3, 1, width=400, height=300)
    http_server.route("/iiif/img/info.json", json_response(info))
    # The server applies the region, clipped to the image (as the Image API says it does).
    for region in ("300,0,200,300", "pct:50,50,60,10"):
        served, done, _ = derivative(info, parse_region(region), 512)
        assert done
        http_server.route(
            urlsplit(served).path, Response(headers={"Content-Type": "image/png"}, body=png([BLUE]))
        )
    rst = (
        f".. palette:: {base}/info.json\n   :region: 300,0,200,300\n\n"
        f".. palette:: {base}/info.json\n   :region: pct:50,50,60,10\n\n"
        f".. palette:: {base}/info.json\n   :region: 0,0,400,300\n"
    )
    done = build(tmp_path, rst)
    assert [w.split("WARNING: ", 1)[1] for w in option_warnings(done)] == [
        f":region: 300,0,200,300 {OUTSIDE.format('400×300')} [palette.option]",
        f":region: pct:50,50,60,10 {OUTSIDE.format('400×300')} [palette.option]",
    ]
    assert [w.split(": WARNING")[0].rsplit(":", 1)[1] for w in option_warnings(done)] == ["4", "7"]


def test_mkdocs_reports_remote_region_outside_with_page_and_line(http_server, tmp_path):
    http_server.route("/a.png", Response(headers={"Content-Type": "image/png"}, body=png([RED], size=64)))
    project = Project.copy("basic", tmp_path / "site")
    url = http_server.url("/a.png")
    project.write("items/warm.md", f"# Remote\n\n```{{palette}} {url}\n:region: pct:90,0,20,100\n```\n")
    done = project.build()
    assert done.returncode == 0, done.stderr
    notices = [w for w in warnings_of(done.stderr) if "reaches outside" in w]
    assert notices == [
        f"items/warm.md:3: :region: pct:90,0,20,100 {OUTSIDE.format('64×64')} [palette.option]"
    ]


def test_region_notices_without_a_size_or_region_are_empty():
    assert region_notices(None, (10, 10)) == []
    assert region_notices(parse_region("0,0,50,50"), None) == []
    assert region_notices(parse_region("square"), (10, 20)) == []
    assert region_notices(parse_region("0,0,10,20"), (10, 20)) == []
    assert region_notices(parse_region("0,0,11,20"), (10, 20))[0][0] == "option"


def test_remote_region_is_measured_on_the_image_as_shown(http_server, tmp_path):
    # Stored 60×40 with EXIF orientation 6 (rotate 90°): shown 40×60, as a :region: refers to it.
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.new("RGB", (60, 40), RED).save(out, "JPEG", exif=exif, quality=95)
    http_server.route("/turned.jpg", Response(headers={"Content-Type": "image/jpeg"}, body=out.getvalue()))
    url = http_server.url("/turned.jpg")
    rst = f".. palette:: {url}\n   :region: 0,0,40,60\n\n.. palette:: {url}\n   :region: 0,0,60,40\n"
    (warning,) = option_warnings(build(tmp_path, rst))
    expected = f":region: 0,0,60,40 {OUTSIDE.format('40×60')} [palette.option]"
    assert warning.endswith(f"index.rst:7: WARNING: {expected}")
