"""JPEG 2000: decoded at a reduced resolution level, so masters over 100 megapixels fit the decode budget.

The masters are made by `tiled_jpeg2000` (benchmarks/decode.py): one encoded tile repeated under every tile
index, so a 150-megapixel file takes a fraction of a second to write.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

from sphinx_palette import PaletteError, extract_palette
from sphinx_palette.engine import decode_jp2
from sphinx_palette.engine.decode import decode_image, image_dimensions
from sphinx_palette.engine.region import parse_region

_spec = importlib.util.spec_from_file_location(
    "decode_bench", Path(__file__).parents[1] / "benchmarks/decode.py"
)
assert _spec and _spec.loader
decode_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(decode_bench)

RED, BLUE, YELLOW = (200, 40, 30), (20, 60, 180), (240, 220, 40)


def quarters(size: int = 1024) -> np.ndarray:
    """Left half red, right half blue, bottom 40 % yellow."""
    tile = np.zeros((size, size, 3), np.uint8)
    tile[:, : size // 2], tile[:, size // 2 :] = RED, BLUE
    tile[size * 6 // 10 :] = YELLOW
    return tile


@pytest.fixture
def levels_read(monkeypatch) -> list[int]:
    """The resolution levels the engine asks OpenJPEG for."""
    seen: list[int] = []
    real = decode_jp2.decode_level

    def spy(data: bytes, reduce: int) -> tuple[np.ndarray, bool]:
        seen.append(reduce)
        return real(data, reduce)

    monkeypatch.setattr(decode_jp2, "decode_level", spy)
    return seen


def test_master_over_100_megapixels_is_decoded_at_a_reduced_level(levels_read):
    data = decode_bench.tiled_jpeg2000(quarters(), 12, 12)  # 12288×12288 = 151 MP
    assert image_dimensions(data) == (12288, 12288)
    decoded = decode_image(data, work_pixels=131_072)
    assert (decoded.width, decoded.height) == (12288, 12288)
    assert levels_read == [5]
    assert decoded.rgb.shape[0] * decoded.rgb.shape[1] <= 400_000
    palette = extract_palette(data, 3)
    assert sorted(palette.hexes) == sorted("#{:02x}{:02x}{:02x}".format(*c) for c in (RED, BLUE, YELLOW))
    shares = dict(zip(palette.hexes, (s.share for s in palette), strict=True))
    assert shares["#f0dc28"] == pytest.approx(0.4, abs=0.04)  # the coarse level blurs the edge


def test_the_level_keeps_enough_pixels_of_a_region(levels_read):
    data = decode_bench.tiled_jpeg2000(quarters(), 4, 4)  # 4096×4096
    # The region is one tile's red corner: a coarse level would leave too few of its pixels.
    (swatch,) = extract_palette(data, 1, region="1024,1024,512,512").swatches
    assert swatch.rgb == RED
    assert levels_read[-1] <= 1
    (swatch,) = extract_palette(data, 1, region="pct:0,0,12.5,100").swatches  # the first tile column's red
    assert swatch.hex == "#c8281e"
    whole = decode_image(data, region=parse_region("1536,0,512,512"))
    assert whole.rgb.shape[:2] == (512, 512)
    assert levels_read[-1] == 0
    assert np.all(whole.rgb == BLUE)


def test_a_coarser_level_is_taken_when_the_budget_requires_it(levels_read):
    data = decode_bench.tiled_jpeg2000(quarters(), 4, 4)
    # 4096×4096 at level 1 needs ~84 MB; at level 2, ~21 MB.
    decoded = decode_image(data, work_pixels=4_000_000, max_bytes=30 * 1024**2)
    assert levels_read == [2]
    assert decoded.rgb.shape[:2] == (1024, 1024)


def test_a_master_without_enough_levels_is_refused_from_its_header(levels_read):
    data = decode_bench.tiled_jpeg2000(quarters(256), 8, 8, levels=1)  # 2048×2048, one level
    with pytest.raises(PaletteError, match=r"2048×2048 image would take about 20 MiB of memory"):
        decode_image(data, work_pixels=1_000, max_bytes=10 * 1024**2)
    assert levels_read == []
    assert decode_image(data, work_pixels=1_000).rgb.shape[:2] == (32, 32)  # level 1, then a grid


def test_the_pixel_limit_of_jpeg_2000_only_bounds_time():
    header = decode_jp2.Jp2Header(width=50_000, height=50_000, components=3, levels=5)
    assert decode_jp2.decoding_bytes(header, 5) < 100 * 1024**2
    siz = b"\xff\x4f\xff\x51\x00\x29\x00\x00" + struct.pack(">IIII", 60_000, 50_000, 0, 0) + bytes(20)
    with pytest.raises(PaletteError, match="over the limit of 2,000 megapixels"):
        extract_palette(siz)


@pytest.mark.parametrize("cut", [200, 2000, -40])
def test_a_damaged_master_is_a_palette_error(cut):
    data = decode_bench.tiled_jpeg2000(quarters(256), 2, 2)
    damaged = data[:cut] if cut > 0 else data[:cut] + b"\xff\xd9"
    with pytest.raises(PaletteError, match="JPEG 2000"):
        extract_palette(damaged, 3)


def test_raw_codestream_and_grey():
    data = decode_bench.tiled_jpeg2000(np.full((256, 256), 90, np.uint8), 2, 2)
    codestream = data[data.index(b"jp2c") + 4 :]
    for candidate in (data, codestream):
        (swatch,) = extract_palette(candidate, 1).swatches
        assert swatch.rgb == (90, 90, 90)
