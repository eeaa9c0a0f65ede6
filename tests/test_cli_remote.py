"""``sphinx-palette extract`` takes what the directive takes: URLs, IIIF, manifests, offline, cache."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sphinx_palette import cli
from sphinx_palette.engine.names import describe
from tests.httpserver import LocalHTTPServer, Response, json_response
from tests.remote_helpers import png

RED, BLUE, GREEN = (200, 30, 30), (20, 60, 200), (30, 160, 60)


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("SPHINX_PALETTE_OFFLINE", raising=False)
    return tmp_path / "xdg-cache" / "sphinx-palette"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def manifest(base: str) -> dict:
    """A Presentation 3 manifest of two canvases painted with plain PNGs (red first, blue second)."""
    canvases = []
    for number, name in ((1, "red.png"), (2, "blue.png")):
        canvas = f"{base}/canvas/{number}"
        body = {"id": f"{base}/{name}", "type": "Image", "format": "image/png", "width": 64, "height": 64}
        annotation = {
            "id": f"{canvas}/a",
            "type": "Annotation",
            "motivation": "painting",
            "target": canvas,
            "body": body,
        }
        page = {"id": f"{canvas}/p", "type": "AnnotationPage", "items": [annotation]}
        canvases.append({"id": canvas, "type": "Canvas", "width": 64, "height": 64, "items": [page]})
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"{base}/manifest.json",
        "type": "Manifest",
        "label": {"en": ["Two flags"]},
        "items": canvases,
    }


@pytest.fixture
def server(http_server: LocalHTTPServer) -> LocalHTTPServer:
    base = http_server.url("").rstrip("/")
    for name, colour in (("red.png", RED), ("blue.png", BLUE)):
        http_server.route(
            f"/{name}", Response(headers={"Content-Type": "image/png"}, body=png([colour, GREEN]))
        )
    http_server.route("/manifest.json", json_response(manifest(base)))
    return http_server


def test_extract_url_json_with_names(capsys, server, user_cache):
    status, out, err = run(capsys, "extract", server.url("/red.png"), "-n", "2", "-f", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["name"] == "red" and data["source"] == server.url("/red.png")
    assert data["swatches"][0]["hex"] == "#c81e1e"
    assert data["swatches"][0]["name"] == describe(RED).name
    assert data["swatches"][0]["family"] == "red"
    # Cached in the user cache directory by default (XDG_CACHE_HOME here).
    assert any(p.is_file() for p in user_cache.rglob("*"))


def test_extract_manifest_canvas_2(capsys, server):
    status, out, err = run(capsys, "extract", server.url("/manifest.json"), "--canvas", "2", "-n", "2")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[1].split()[0] == "#143cc8"  # the blue of the second canvas
    assert f"{describe(BLUE).name} (blue)" in lines[1]
    assert [r.path for r in server.requests] == ["/manifest.json", "/blue.png"]


def test_offline_uses_the_cache_and_never_the_network(capsys, server, tmp_path):
    cache = tmp_path / "my-cache"
    url = server.url("/red.png")
    assert run(capsys, "extract", url, "--cache-dir", str(cache), "-f", "json")[0] == 0
    requests_before = len(server.requests)
    status, out, _ = run(capsys, "extract", url, "--cache-dir", str(cache), "--offline", "-f", "json")
    assert status == 0 and json.loads(out)["swatches"][0]["hex"] == "#c81e1e"
    assert len(server.requests) == requests_before
    # Not cached anywhere: offline is an error naming the URL, and nothing is fetched.
    status, out, err = run(capsys, "extract", server.url("/blue.png"), "--offline", "--no-cache")
    assert status == 1 and out == ""
    assert err.startswith("sphinx-palette: error: ") and "/blue.png" in err
    assert len(server.requests) == requests_before


def test_same_byte_limit_as_the_directive(capsys, server):
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    body = cv2.imencode(".png", noise)[1].tobytes()
    assert len(body) > 4096
    server.route("/noise.png", Response(headers={"Content-Type": "image/png"}, body=body))
    status, _, err = run(capsys, "extract", server.url("/noise.png"), "--max-bytes", "4096", "--no-cache")
    assert status == 1
    assert "/noise.png" in err and "4096" in err.replace(",", "").replace("\u202f", "")


def test_http_error_names_the_url(capsys, server):
    server.route("/gone.png", Response(status=404))
    status, _, err = run(capsys, "extract", server.url("/gone.png"), "--no-cache")
    assert status == 1 and "/gone.png" in err and "404" in err


def test_canvas_on_a_local_file_is_a_warning(capsys, tmp_path):
    path = tmp_path / "red.png"
    path.write_bytes(png([RED, GREEN]))
    status, out, err = run(capsys, "extract", str(path), "--canvas", "2")
    assert status == 0 and "#c81e1e" in out
    warning = "--canvas applies to IIIF manifests only; ignored for a local image"
    assert err == f"sphinx-palette: warning: {warning}\n"
