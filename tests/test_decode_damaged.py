"""Decoding bad input: damaged and non-image bytes, fuzzing, quiet native libraries, forked children.

Every failure is one `PaletteError` in words; nothing libpng, libjpeg or OpenCV prints reaches the output.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from sphinx_palette import PaletteError, extract_palette
from sphinx_palette.engine.decode import describe_content
from tests.sphinx_helpers import run_sphinx
from tests.test_decode import codec_works, cv_encode, pil_encode, three_colours

# --- damaged and non-image input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
        (b"\xef\xbb\xbf  <html lang='en'>", "HTML page"),
        (b'{"error": "not found"}', "JSON"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"%PDF-1.7\n", "PDF"),
        (b"hello, world" * 10, "unrecognised format, 120 bytes"),
    ],
)
def test_not_an_image(data, message):
    with pytest.raises(PaletteError, match=message):
        extract_palette(data)


@pytest.mark.parametrize(
    ("ext", "name"), [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WebP"), (".tiff", "TIFF")]
)
def test_truncated_files_say_what_they_were(ext, name):
    rng = np.random.default_rng(0)
    data = cv_encode(ext, rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    with pytest.raises(PaletteError, match=f"a {name} file that could not be decoded, probably truncated"):
        extract_palette(data[: len(data) // 2])


def test_describe_content_of_other_signatures():
    assert "GIF" in describe_content(b"GIF89a\x01\x00")
    assert "AVIF" in describe_content(b"\x00\x00\x00\x1cftypavif")
    assert "white space" in describe_content(b"  \n ")


def test_one_by_one_png():
    palette = extract_palette(cv_encode(".png", np.array([[[12, 34, 56]]], np.uint8)), 5)
    assert palette.hexes == ("#0c2238",)
    assert palette.swatches[0].share == 1.0


# --- fuzzing --------------------------------------------------------------------------------------------


def _seed_images() -> list[bytes]:
    rgb = three_colours(24, 32)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[:5, :5, 3] = 0
    images = [cv_encode(ext, rgb) for ext in (".jpg", ".png", ".webp", ".tiff", ".bmp")]
    images.append(cv_encode(".png", rgba))
    images.append(pil_encode(Image.fromarray(rgb), "GIF"))
    return images


SEED_IMAGES = _seed_images()


def _extract_or_palette_error(data: bytes) -> None:
    try:
        palette = extract_palette(data, 4, max_pixels=2_000_000)
    except PaletteError as exc:
        assert str(exc)
    else:
        assert 1 <= len(palette) <= 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes(data):
    _extract_or_palette_error(data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A WebP whose damaged bitstream shrinks on load to another size than its header says (found by this test).
@example(index=2, edits=[(1424, 2)], cut=None, extra="flip")
@given(
    st.sampled_from(range(len(SEED_IMAGES))),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, 10_000) | st.none(),
    st.sampled_from(["", "", "flip", "insert"]),
)
def test_fuzz_mutated_images(index, edits, cut, extra):
    data = bytearray(SEED_IMAGES[index])
    for position, value in edits:
        if extra == "insert":
            data.insert(position % (len(data) + 1), value)
        else:
            data[position % len(data)] = (
                value if extra != "flip" else data[position % len(data)] ^ (1 << value % 8)
            )
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _extract_or_palette_error(bytes(data))


# --- quiet native libraries -----------------------------------------------------------------------------


def damaged_samples() -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    noisy = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    samples = {ext: cv_encode(ext, noisy) for ext in (".png", ".jpg", ".tiff", ".webp", ".bmp")}
    if codec_works(".jp2"):
        samples[".jp2"] = cv_encode(".jp2", noisy)
    return {ext: data[: len(data) // 2] for ext, data in samples.items()}


def test_damaged_files_print_nothing_even_with_root_logging(tmp_path):
    """libpng's "PNG input buffer is incomplete", libjpeg's and OpenCV's warnings never reach stderr."""
    for ext, data in damaged_samples().items():
        (tmp_path / f"broken{ext}").write_bytes(data)
    script = (
        "import logging, pathlib, sys\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from sphinx_palette import PaletteError, extract_palette\n"
        "for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):\n"
        "    try:\n"
        "        extract_palette(path)\n"
        "    except PaletteError as exc:\n"
        "        print(path.name, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == len(damaged_samples())


def test_a_damaged_png_is_one_warning_of_a_real_build(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text("extensions = ['sphinx_palette']\n")
    (source / "index.rst").write_text("Title\n=====\n\n.. palette:: broken.png\n")
    (source / "broken.png").write_bytes(damaged_samples()[".png"])
    env = {**os.environ, "SPHINX_PALETTE_CACHE": str(tmp_path / "cache")}
    done = run_sphinx(source, tmp_path / "out", env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "broken.png" in lines[0] and "PNG file that could not be decoded" in lines[0]
    assert "[palette." in lines[0]


def test_decoding_still_works_in_a_forked_child():
    """libvips' worker threads do not survive fork(); decoding never starts them, so a child can decode."""
    data = cv_encode(".png", three_colours(300, 400))
    expected = extract_palette(data, 3).hexes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        import signal

        signal.alarm(20)
        os.write(write, ",".join(extract_palette(data, 3).hexes).encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert tuple(os.read(read, 1000).decode().split(",")) == expected
    os.close(read)
