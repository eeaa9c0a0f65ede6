"""The MkDocs plugin through real ``mkdocs build`` runs: palettes, warnings, strict mode, the cache, exports.

Remote sources come from a local server (tests/httpserver.py); nothing here touches the internet.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from sphinx_palette import extract_palette
from tests.httpserver import RecordedRequest, Response, json_response
from tests.mkdocs_helpers import Project, summary_of, warnings_of
from tests.remote_helpers import png

pytest.importorskip("mkdocs")

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "palettes.schema.json"
WARM = Path(__file__).resolve().parent / "mkdocs_projects" / "basic" / "docs" / "img" / "warm.png"


def swatches(html: str) -> list[list[tuple[str, str]]]:
    """``(hex, share)`` of each palette figure of a page, in order."""
    figures = re.findall(r'<figure class="[^"]*\bpalette\b.*?</figure>', html, flags=re.S)
    return [re.findall(r'data-hex="(#[0-9a-f]{6})"[^>]*data-share="([0-9.]+)"', f) for f in figures]


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.copy("basic", tmp_path / "site-src")


def test_build_shows_the_palettes_extract_palette_computes(project):
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    assert summary_of(done.stderr) == (2, 2, 0, 0)
    expected = extract_palette(WARM.read_bytes(), 4, sort="lightness")
    home = project.html("index.html")
    assert swatches(home) == [[(s.hex, f"{s.share:.6f}") for s in expected]]
    assert "Warm <em>blocks</em>" in home
    assert '<p class="palette-credit">\nDrawn with OpenCV</p>' in home
    assert 'class="extra palette palette-widths-share"' in home
    # The fenced ````md example is shown as code, not run.
    assert "not-a-real-image.png" in home
    assert home.count("<figure") == 1
    item = project.html("items/warm/index.html")
    three = extract_palette(WARM.read_bytes(), 3)
    assert [h for h, _ in swatches(item)[0]] == [s.hex for s in three]
    # The image, relative to the page as MkDocs writes image links; downloads written and linked.
    assert 'id="palette-warm"' in item
    assert '<img src="../../img/warm.png"' in item
    assert 'href="../../_palettes/items-warm--palette-warm.gpl"' in item
    gpl = (project.root / "site" / "_palettes" / "items-warm--palette-warm.gpl").read_text()
    assert gpl.startswith("GIMP Palette\n")
    # The stylesheet and script of the Sphinx extension, served as assets.
    assert "assets/sphinx-palette/sphinx-palette.css" in item
    assert (project.root / "site" / "assets" / "sphinx-palette" / "sphinx-palette.js").is_file()


def test_browse_index_and_palettes_json(project):
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    browse = project.html("browse/index.html")
    assert 'class="palette-index"' in browse
    assert 'href="../items/warm/#palette-warm"' in browse
    assert re.search(
        r'<img class="palette-index-thumb" src="\.\./assets/images/palette/[0-9a-f]{20}-240\.jpg" '
        r'width="40" height="24" alt="" loading="lazy" decoding="async"/>',
        browse,
    )
    document = json.loads((project.root / "site" / "_static" / "palettes.json").read_text())
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    assert [p["docname"] for p in document["palettes"]] == ["index", "items/warm"]
    assert document["palettes"][1]["page"] == "items/warm/"
    assert document["project"] == "Palette test project"


def test_rebuild_and_page_edit_compute_nothing(project):
    assert summary_of(project.build().stderr)[1] == 2
    pages = ("index.html", "items/warm/index.html", "browse/index.html")
    cold = [project.html(p) for p in pages]
    again = project.build()
    assert summary_of(again.stderr) == (2, 0, 2, 0)
    assert [project.html(p) for p in pages] == cold  # byte-identical, computed or cached
    page = project.root / "docs" / "index.md"
    page.write_text(page.read_text() + "\nOne more paragraph.\n")
    edited = project.build()
    assert summary_of(edited.stderr) == (2, 0, 2, 0)
    assert "One more paragraph." in project.html("index.html")


def test_missing_image_fails_a_strict_build_and_shows_a_placeholder_otherwise(project):
    project.write("items/broken.md", "# Broken\n\nText.\n\n```{palette} ../img/missing.png\n```\n")
    strict = project.build(strict=True)
    assert strict.returncode != 0
    assert (
        "items/broken.md:5: image file not found: ../img/missing.png (looked for img/missing.png) "
        "[palette.source]" in strict.stderr
    )
    assert "Aborted with 1 warnings in strict mode" in strict.stdout + strict.stderr
    relaxed = project.build()
    assert relaxed.returncode == 0, relaxed.stderr
    assert summary_of(relaxed.stderr)[3] == 1
    html = project.html("items/broken/index.html")
    assert '<div class="palette palette-error" id="palette-items-broken-0" role="note">' in html
    assert "Palette unavailable." in html


BAD_OPTIONS = [
    (":colors: 0", ":colors: must be from 1 to 32, not 0 [palette.option]"),
    (":sort: rainbow", ":sort: must be one of "),
    (":widths: wide", ":widths: must be share or equal, not 'wide' [palette.option]"),
    (":colour: 3", 'unknown option: "colour" [palette.option]'),
    (":caption:", 'the option ":caption:" needs a value [palette.option]'),
]


def test_bad_options_warn_with_the_directives_messages(project):
    """One build, one page per bad option: each warns at its page and line, with Sphinx's message."""
    for number, (options, _) in enumerate(BAD_OPTIONS):
        project.write(f"bad{number}.md", f"# Bad\n\n```{{palette}} img/warm.png\n{options}\n```\n")
    done = project.build(strict=True)
    assert done.returncode != 0
    warnings = warnings_of(done.stderr)
    for number, (_, message) in enumerate(BAD_OPTIONS):
        prefix, _, suffix = message.partition(" [")
        found = next(w for w in warnings if w.startswith(f"bad{number}.md:3: "))
        assert found.startswith(f"bad{number}.md:3: {prefix}"), found
        assert not suffix or found.endswith(f"[{suffix}")
    assert summary_of(done.stderr)[3] == len(BAD_OPTIONS)  # failed, as in the Sphinx extension


def test_paths_outside_docs_dir_are_refused_unless_allowed(project, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "warm.png").write_bytes(WARM.read_bytes())
    project.write(
        "outside.md", "# Outside\n\n```{palette} ../../elsewhere/warm.png\n:region: 0,0,500,500\n```\n"
    )
    refused = project.build(strict=True)
    assert refused.returncode != 0
    assert (
        "outside.md:3: image path ../../elsewhere/warm.png is outside the project, so it is not read"
        in refused.stderr
    )
    assert "[palette.path]" in refused.stderr
    project.configure(allowed_paths=[str(outside)])
    allowed = project.build()
    assert allowed.returncode == 0, allowed.stderr
    assert re.search(r"outside\.md:3: :region: .* reaches outside the \d+×\d+ image", allowed.stderr)
    assert swatches(project.html("outside/index.html"))


def test_bad_plugin_config_stops_the_build(project):
    project.configure(colors=100)
    done = project.build()
    assert done.returncode != 0
    assert "colors" in done.stderr and "an integer from 1 to 32" in done.stderr


def test_remote_images_and_unreachable_urls(project, http_server):
    http_server.route("/red.png", Response(headers={"Content-Type": "image/png"}, body=png([(220, 20, 30)])))
    http_server.route("/gone.png", Response(status=404))
    project.write(
        "remote.md",
        f"# Remote\n\n```{{palette}} {http_server.url('/red.png')}\n:colors: 2\n:show-image:\n```\n\n"
        f"```{{palette}} {http_server.url('/gone.png')}\n```\n",
    )
    strict = project.build(strict=True)
    assert strict.returncode != 0
    assert re.search(r"remote\.md:8: .*404.*\[palette\.fetch\]", strict.stderr), strict.stderr
    relaxed = project.build()
    assert relaxed.returncode == 0
    html = project.html("remote/index.html")
    assert swatches(html)[0][0][0] == "#dc141e"
    assert re.search(r'<img src="\.\./assets/images/palette/[0-9a-f]{20}-1200\.jpg" width="64"', html)
    assert "palette-error" in html


def test_iiif_manifest_label_and_credit(project, http_server):
    image = http_server.url("/plate.png")
    http_server.route(
        "/plate.png", Response(headers={"Content-Type": "image/png"}, body=png([(20, 40, 200)]))
    )
    http_server.route("/manifest.json", json_response(manifest(http_server.url("/manifest.json"), image)))
    project.write(
        "iiif.md",
        f"# IIIF\n\n```{{palette}} {http_server.url('/manifest.json')}\n:colors: 2\n:show-image:\n```\n",
    )
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    html = project.html("iiif/index.html")
    assert swatches(html)[0][0][0] == "#1428c8"
    assert 'aria-label="Colour palette of Blue plate: ' in html
    assert "Test Library" in html and 'class="palette-manifest reference external"' in html
    # The canvas's image is shown from a copy in the site, made from the bytes the build fetched.
    assert re.search(r'<img src="\.\./assets/images/palette/[0-9a-f]{20}-1200\.jpg" width="64"', html)


def test_offline_builds_use_the_cache_and_warn_without_it(project, http_server):
    http_server.route("/red.png", Response(headers={"Content-Type": "image/png"}, body=png([(220, 20, 30)])))
    project.write("remote.md", f"# Remote\n\n```{{palette}} {http_server.url('/red.png')}\n```\n")
    offline = project.build(env={"SPHINX_PALETTE_OFFLINE": "1"})
    assert "remote.md:3: offline build and no cached copy" in offline.stderr
    assert not http_server.requests
    assert project.build(strict=True).returncode == 0
    seen = len(http_server.requests)
    project.configure(offline=True)
    again = project.build(strict=True)
    assert again.returncode == 0, again.stderr
    assert len(http_server.requests) == seen
    assert summary_of(again.stderr)[3] == 0


def test_requests_from_all_pages_are_fetched_concurrently_and_politely(tmp_path, http_server):
    """Six remote images on six pages: one batch, fetched three at a time (per_host), computed in a pool."""
    lock, active, peak = threading.Lock(), [0], [0]
    colours = [(220, 20, 30), (20, 160, 60), (30, 60, 200), (240, 200, 40), (120, 40, 160), (250, 250, 250)]

    def slow(number: int):
        def answer(request: RecordedRequest) -> Response:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.4)
            with lock:
                active[0] -= 1
            return Response(headers={"Content-Type": "image/png"}, body=png([colours[number]]))

        return answer

    project = Project.copy("basic", tmp_path / "site-src", per_host=3, fetch_workers=8, workers=2)
    for number in range(6):
        http_server.route(f"/{number}.png", slow(number))
        project.write(
            f"remote/{number}.md", f"# {number}\n\n```{{palette}} {http_server.url(f'/{number}.png')}\n```\n"
        )
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    assert summary_of(done.stderr) == (8, 8, 0, 0)
    assert peak[0] == 3  # concurrent, and never more than per_host to one host
    for number in range(6):
        assert swatches(project.html(f"remote/{number}/index.html"))[0][0][0] == "#{:02x}{:02x}{:02x}".format(
            *colours[number]
        )


def manifest(manifest_id: str, image: str) -> dict:
    """A IIIF Presentation 3 manifest of one canvas painted with ``image`` (no image service)."""
    canvas = manifest_id + "/canvas/1"
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": manifest_id,
        "type": "Manifest",
        "label": {"en": ["Blue plate"]},
        "requiredStatement": {"label": {"en": ["Attribution"]}, "value": {"en": ["Test Library"]}},
        "items": [
            {
                "id": canvas,
                "type": "Canvas",
                "width": 64,
                "height": 64,
                "items": [
                    {
                        "id": canvas + "/page",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": canvas + "/page/1",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": canvas,
                                "body": {
                                    "id": image,
                                    "type": "Image",
                                    "format": "image/png",
                                    "width": 64,
                                    "height": 64,
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_serve_reloads_and_dirty_builds_compute_nothing(project, tmp_path, caplog):
    """``mkdocs serve`` builds in-process with a fresh configuration on every reload: the cache answers."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    def reload(**options) -> str:
        caplog.clear()
        config = load_config(str(project.root / "mkdocs.yml"), site_dir=str(tmp_path / "served"))
        with caplog.at_level("INFO", logger="mkdocs"):
            build(config, serve_url="http://127.0.0.1:8000/", **options)
        return caplog.text

    assert summary_of(reload())[1:] == (2, 0, 0)
    exported = tmp_path / "served" / "_static" / "palettes.json"
    first = exported.read_text()
    page = project.root / "docs" / "items" / "warm.md"
    page.write_text(page.read_text() + "\nEdited while serving.\n")
    assert summary_of(reload())[1:] == (0, 2, 0)
    # --dirty reads the edited page only: nothing computed, and the site-wide export is left whole.
    page.write_text(page.read_text() + "\nEdited again.\n")
    log = reload(dirty=True)
    assert summary_of(log) == (1, 0, 1, 0)
    assert "palettes.json is not rewritten" in log
    assert exported.read_text() == first


def test_emphasis_option_and_plugin_setting_are_the_engines(project):
    macaws = Path(__file__).resolve().parent.parent / "example_site" / "images" / "macaws.jpg"
    (project.root / "docs" / "img" / "macaws.jpg").write_bytes(macaws.read_bytes())
    project.write(
        "emphasis.md",
        "# Emphasis\n\n```{palette} img/macaws.jpg\n:emphasis: coverage\n```\n\n"
        "```{palette} img/macaws.jpg\n```\n",
    )
    project.configure(emphasis="vivid")
    done = project.build(strict=True)
    assert done.returncode == 0, done.stderr
    option, setting = swatches(project.html("emphasis/index.html"))
    data = macaws.read_bytes()
    assert [h for h, _ in option] == list(extract_palette(data, 5, emphasis="coverage").hexes)
    assert [h for h, _ in setting] == list(extract_palette(data, 5, emphasis="vivid").hexes)
    assert option != setting
    project.configure(emphasis="loud")
    refused = project.build()
    assert refused.returncode != 0 and "emphasis" in refused.stderr
