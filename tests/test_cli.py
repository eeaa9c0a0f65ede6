"""The sphinx-palette command: extract in every output format, stdin, errors and exit statuses."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from sphinx_palette import cli
from sphinx_palette.engine.names import describe
from tests.test_trust_limits import big_gif

TRUE_COLOUR = "\x1b[48;2;"


@pytest.fixture(autouse=True)
def user_cache(tmp_path, monkeypatch):
    """The user cache directory (platformdirs follows XDG_CACHE_HOME) inside the test's temporary folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("SPHINX_PALETTE_OFFLINE", raising=False)
    return tmp_path / "xdg-cache" / "sphinx-palette"


@pytest.fixture
def image(tmp_path):
    """A PNG of three flat colours, 50/30/20."""
    rgb = np.zeros((10, 100, 3), np.uint8)
    rgb[:, :50] = (200, 30, 30)
    rgb[:, 50:80] = (20, 120, 200)
    rgb[:, 80:] = (250, 220, 90)
    path = tmp_path / "flag.png"
    path.write_bytes(cv2.imencode(".png", rgb[:, :, ::-1])[1].tobytes())
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_text(capsys, image, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    status, out, err = run(capsys, "extract", str(image))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["hex", "rgb", "share", "name"]
    first = describe((200, 30, 30))
    assert lines[1].split() == ["#c81e1e", "200", "30", "30", "50.0%", first.name, f"({first.family})"]
    assert lines[3].split()[:5] == ["#fadc5a", "250", "220", "90", "20.0%"]
    assert TRUE_COLOUR not in out  # captured stdout is not a terminal


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_colour_blocks_only_on_a_terminal_without_no_color(image, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert cli.main(["extract", str(image), "--colors", "3"]) == 0
    assert "\x1b[48;2;200;30;30m  \x1b[0m" in terminal.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert cli.main(["extract", str(image)]) == 0
    assert "\x1b" not in terminal.getvalue()


def test_json(capsys, image):
    status, out, _ = run(capsys, "extract", str(image), "--format", "json", "--colors", "8")
    assert status == 0
    data = json.loads(out)
    assert [s["hex"] for s in data["swatches"]] == ["#c81e1e", "#1478c8", "#fadc5a"]
    assert out.startswith('{\n  "name": "flag",\n  "source": ')
    assert data["swatches"][0]["name"] == describe((200, 30, 30)).name


def test_css(capsys, image):
    status, out, _ = run(capsys, "extract", str(image), "-f", "css", "--sort", "lightness")
    assert status == 0
    assert ":root {" in out and out.rstrip().endswith("}")
    declarations = [line.strip() for line in out.splitlines() if line.strip().startswith("--palette-")]
    names = [describe(rgb).name for rgb in ((200, 30, 30), (20, 120, 200), (250, 220, 90))]
    assert declarations == [
        f"--palette-1: #c81e1e; /* 50.0%, {names[0]} */",
        f"--palette-2: #1478c8; /* 30.0%, {names[1]} */",
        f"--palette-3: #fadc5a; /* 20.0%, {names[2]} */",
    ]


def test_gpl(capsys, image):
    status, out, _ = run(capsys, "extract", str(image), "--format", "gpl")
    assert status == 0
    assert out.splitlines() == [
        "GIMP Palette",
        "Name: flag",
        "Columns: 3",
        "#",
        f"200  30  30\t{describe((200, 30, 30)).name} #c81e1e (50.0%)",
        f" 20 120 200\t{describe((20, 120, 200)).name} #1478c8 (30.0%)",
        f"250 220  90\t{describe((250, 220, 90)).name} #fadc5a (20.0%)",
    ]


def test_region(capsys, image):
    status, out, _ = run(capsys, "extract", str(image), "--region", "pct:80,0,20,100", "-f", "json")
    assert status == 0
    assert [s["hex"] for s in json.loads(out)["swatches"]] == ["#fadc5a"]


def test_stdin(capsys, image, monkeypatch):
    stdin_of(monkeypatch, image.read_bytes())
    status, out, _ = run(capsys, "extract", "-", "-f", "gpl")
    assert status == 0
    assert "Name: stdin" in out and "#c81e1e" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body>404</body></html>", "HTML page"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "PNG"),
    ],
)
def test_bad_file_is_one_line_and_status_1(capsys, tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    status, out, err = run(capsys, "extract", str(path))
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("sphinx-palette: error: ") and message in err
    # The message names the file (issue 14, item 8).
    assert str(path) in err


def test_missing_file(capsys, tmp_path):
    status, _, err = run(capsys, "extract", str(tmp_path / "missing.jpg"))
    assert status == 1
    assert err.startswith("sphinx-palette: error: image file not found") and "missing.jpg" in err


def test_decode_budget_refuses_a_larger_image(capsys, tmp_path):
    path = tmp_path / "big.gif"
    path.write_bytes(big_gif())
    status, out, err = run(capsys, "extract", str(path), "--no-cache", "--decode-budget", str(16 * 2**20))
    assert status == 1 and out == ""
    assert "decoding the 3000×3000 image would take about" in err and "decode budget of 16 MiB" in err


def stdin_of(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin_meets_the_limits_and_region_checks_a_file_meets(capsys, tmp_path, image, monkeypatch):
    stdin_of(monkeypatch, big_gif())
    status, out, err = run(capsys, "extract", "-", "--no-cache", "--decode-budget", str(16 * 2**20))
    assert status == 1 and out == ""
    assert "decode budget of 16 MiB" in err

    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)
    stdin_of(monkeypatch, cv2.imencode(".png", noise)[1].tobytes())
    status, out, err = run(capsys, "extract", "-", "--no-cache", "--max-bytes", "1024")
    assert status == 1 and out == ""
    assert err.strip() == "sphinx-palette: error: standard input holds more than 1,024 bytes (--max-bytes)"

    stdin_of(monkeypatch, image.read_bytes())
    status, out, err = run(capsys, "extract", "-", "--no-cache", "--region", "90,0,50,10", "-f", "json")
    assert status == 0 and [s["hex"] for s in json.loads(out)["swatches"]] == ["#fadc5a"]
    assert "outside" in err


def test_stdin_palettes_are_cached_by_their_bytes(capsys, tmp_path, image, monkeypatch):
    cache = tmp_path / "cache"
    for _ in range(2):
        stdin_of(monkeypatch, image.read_bytes())
        assert run(capsys, "extract", "-", "--cache-dir", str(cache), "-f", "json")[0] == 0
    palettes = [p for p in cache.rglob("*") if p.is_file()]
    assert len(palettes) == 1


def test_version(capsys):
    from sphinx_palette import __version__

    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out == f"sphinx-palette {__version__}\n"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["extract"],
        ["extract", "x.png", "--colors", "0"],
        ["extract", "x.png", "--colors", "300"],
        ["extract", "x.png", "--colors", "five"],
        ["extract", "x.png", "--sort", "x"],
        ["extract", "x.png", "--format", "svg"],
        ["extract", "x.png", "--region", "left"],
        ["extract", "x.png", "--canvas", "0"],
        ["extract", "x.png", "--timeout", "-1"],
        ["extract", "x.png", "--max-bytes", "many"],
        ["extract", "x.png", "--decode-budget", "10"],
        ["extract", "x.png", "--cache-dir", "a", "--no-cache"],
    ],
)
def test_argument_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    assert excinfo.value.code == 2
    assert "usage: sphinx-palette" in capsys.readouterr().err


def test_help_lists_extract(capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--help"])
    assert excinfo.value.code == 0
    assert "extract" in capsys.readouterr().out


def test_real_subprocess(image, tmp_path):
    command = [sys.executable, "-m", "sphinx_palette", "extract"]
    ok = subprocess.run([*command, str(image), "-f", "json"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["swatches"][0]["hex"] == "#c81e1e"

    truncated = tmp_path / "cut.png"
    truncated.write_bytes(image.read_bytes()[:60])
    bad = subprocess.run([*command, "-"], input=truncated.read_bytes(), capture_output=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stdout == b""
    # OpenCV's and libpng's own complaints are kept off stderr: only our line remains.
    assert bad.stderr.decode().splitlines() == [
        "sphinx-palette: error: standard input: not a readable image "
        "(a PNG file that could not be decoded, probably truncated or damaged)"
    ]
