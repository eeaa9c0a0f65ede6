"""Issue 15's memory limits, each as a real build: the decode budget as a setting, a gzip body that inflates
to 2 GiB, and four 99-megapixel 16-bit RGBA PNGs decoded at once.

Builds run ``python -m sphinx`` in a subprocess; `run_sampled` sums the resident memory of its whole process
tree (the build and its palette workers) every few milliseconds and keeps the peak.
"""

from __future__ import annotations

import contextlib
import io
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from PIL import Image

from sphinx_palette.engine.decode_limits import DEFAULT_DECODE_BYTES
from tests.httpserver import Response
from tests.mkdocs_helpers import Project, warnings_of

MIB = 2**20


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float


def run_sampled(command: list[str], cwd: Path | None = None, timeout: float = 600) -> Run:
    """Run ``command``; its output and the peak of the summed RSS of its process tree, in MB."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not done.is_set():
            total = 0
            try:
                for member in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += member.memory_info().rss
            except psutil.Error:
                break
            peak = max(peak, total / 1e6)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        done.set()
        sampler.join()
    return Run(process.returncode, stdout, stderr, peak)


def sphinx_project(root: Path, body: str, **conf: object) -> Path:
    source = root / "src"
    source.mkdir(parents=True, exist_ok=True)
    settings = {"extensions": ["sphinx_palette"], "palette_cache_dir": str(root / "cache"), **conf}
    (source / "conf.py").write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()), encoding="utf-8")
    (source / "index.rst").write_text(f"Title\n=====\n\n{body}\n", encoding="utf-8")
    return source


def sphinx_build(source: Path, *arguments: str) -> Run:
    out = source.parent / "out"
    command = [sys.executable, "-m", "sphinx", "--no-color", "-q", "-E", "-b", "html", *arguments]
    return run_sampled([*command, str(source), str(out)])


def big_gif(side: int = 3000) -> bytes:
    """A one-colour GIF of ``side``² pixels: a small file, decoded whole (9 MP need ~100 MiB)."""
    out = io.BytesIO()
    Image.new("P", (side, side), 3).save(out, "GIF")
    return out.getvalue()


# --- palette_decode_budget -------------------------------------------------------------------------


def test_decode_budget_setting_on_the_command_line(tmp_path):
    source = sphinx_project(tmp_path, ".. palette:: big.gif\n   :colors: 1\n")
    (source / "big.gif").write_bytes(big_gif())
    small = sphinx_build(source, "-D", f"palette_decode_budget={16 * MIB}")
    assert small.returncode == 0, small.stderr
    (line,) = small.stderr.splitlines()
    assert "index.rst:4: WARNING: big.gif: decoding the 3000×3000 image would take about" in line
    assert "of memory, over the decode budget of 16 MiB [palette.image]" in line
    default = sphinx_build(source, "-W")
    assert default.returncode == 0, default.stderr
    bad = sphinx_build(source, "-D", "palette_decode_budget=10")
    assert bad.stderr.splitlines() == [
        "WARNING: palette_decode_budget = 10 is not valid (expected bytes, at least 16 MiB (16777216)); "
        f"using the default {DEFAULT_DECODE_BYTES} [palette.config]"
    ]


def test_decode_budget_option_of_the_mkdocs_plugin(tmp_path):
    project = Project.copy("basic", tmp_path / "site", decode_budget=16 * MIB)
    (project.root / "docs" / "img" / "big.gif").write_bytes(big_gif())
    project.write("items/warm.md", "# Big\n\n```{palette} ../img/big.gif\n:colors: 1\n```\n")
    done = project.build()
    assert done.returncode == 0, done.stderr
    budget = [w for w in warnings_of(done.stderr) if "decode budget" in w]
    assert len(budget) == 1 and "over the decode budget of 16 MiB" in budget[0], done.stderr


# --- a gzip body that inflates to 2 GiB ---------------------------------------------------------------


def gzip_of_zeros(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (a multiple of 16 MiB; about 2 MB for 2 GiB), made in a second.

    After a full flush deflate starts afresh, so one block of zeros compresses to the same bytes every
    time: it is compressed once and repeated, then closed by an empty final block and the gzip trailer.
    """
    block = bytes(16 * MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    trailer = b"\x03\x00" + struct.pack("<II", crc, size & 0xFFFFFFFF)  # final empty fixed block
    return first + again * (size // len(block) - 1) + trailer


@pytest.mark.slow
def test_gzip_body_that_inflates_to_2_gib(tmp_path, http_server):
    body = gzip_of_zeros(2 * 1024 * MIB)
    headers = {"Content-Type": "image/png", "Content-Encoding": "gzip"}
    http_server.route("/bomb.png", Response(body=body, headers=headers))
    url = http_server.url("/bomb.png")
    source = sphinx_project(tmp_path, f".. palette:: {url}\n", palette_max_bytes=4 * 1024 * MIB)
    done = sphinx_build(source)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, done.stderr
    assert "not an image (its first 16 MiB are in no image format" in warnings[0], warnings
    assert "[palette.fetch]" in warnings[0]
    for internal in ("cv::", "Assertion", "error:", "(-215", "imdecode", "vips", "Traceback"):
        assert internal not in done.stderr
    # Nothing but images (and palettes) is kept: no blob of the body.
    sizes = [path.stat().st_size for path in (tmp_path / "cache").rglob("*") if path.is_file()]
    assert max(sizes, default=0) < MIB
    # The body is not read to its end, let alone held twice or copied to a worker.
    assert done.peak_mb < 400, done.peak_mb  # 106 MB measured; the body alone would be 2,147 MB


# --- four 99-megapixel 16-bit RGBA PNGs at once ---------------------------------------------------------


def png_16_bit_rgba(path: Path, width: int, height: int, colour: tuple[int, int, int]) -> None:
    """A ``width``×``height`` 16-bit RGBA PNG of one colour, streamed: one row compressed ``height`` times."""
    row = b"\0" + struct.pack(">4H", *(c * 257 for c in colour), 65535) * width
    compressor = zlib.compressobj(1)
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        _chunk(out, b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0))
        for _ in range(height):
            if data := compressor.compress(row):
                _chunk(out, b"IDAT", data)
        _chunk(out, b"IDAT", compressor.flush())
        _chunk(out, b"IEND", b"")


def _chunk(out: io.BufferedWriter, kind: bytes, data: bytes) -> None:
    out.write(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))


@pytest.mark.slow
def test_four_99_megapixel_16_bit_pngs_at_once_stay_within_the_budget(tmp_path):
    colours = [(200, 30, 40), (30, 160, 60), (30, 50, 200), (230, 200, 40)]
    body = ""
    source = tmp_path / "src"
    source.mkdir()
    for index, colour in enumerate(colours):
        png_16_bit_rgba(source / f"master{index}.png", 10_000, 9_900, colour)
        body += f".. palette:: master{index}.png\n   :colors: 1\n\n"
    budget = 256 * MIB
    sphinx_project(tmp_path, body, palette_workers=4, palette_decode_budget=budget)
    done = sphinx_build(source, "-W", "-j", "4")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    for colour in colours:
        assert "#{:02x}{:02x}{:02x}".format(*colour) in html
    # Four decodes at once, each within the budget; the builds' own processes come on top (about 150 MB
    # each for Sphinx and a palette worker). Decoding whole would take 792 MB of pixels per image.
    assert done.peak_mb < 4 * budget / 1e6, done.peak_mb
