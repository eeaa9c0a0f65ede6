"""Colour management: tagged images give the palette of the same image converted to sRGB by LittleCMS first.

The reference conversion is Pillow's ImageCms (its own LittleCMS build), independent of the libvips path the
engine takes. RGB profiles are written by ``tests/icc.py``; the CMYK profile is the one libvips ships (read
from pyvips-binary, so nothing is downloaded).
"""

from __future__ import annotations

import importlib.util
import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import pyvips
from PIL import Image, ImageCms, ImageOps, Jpeg2KImagePlugin

from sphinx_palette import extract_palette
from sphinx_palette.engine import decode_jp2
from sphinx_palette.engine.colour_tags import heif_nclx_tag, jp2_icc_profile
from sphinx_palette.engine.extract import DECODE_PIXELS
from tests.icc import SPACES, rgb_profile, rgb_profile_of

_spec = importlib.util.spec_from_file_location("metrics", Path(__file__).parents[1] / "benchmarks/metrics.py")
assert _spec and _spec.loader
metrics = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(metrics)
_bench_spec = importlib.util.spec_from_file_location(
    "decode_bench", Path(__file__).parents[1] / "benchmarks/decode.py"
)
assert _bench_spec and _bench_spec.loader
decode_bench = importlib.util.module_from_spec(_bench_spec)
_bench_spec.loader.exec_module(decode_bench)

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
COLOURS = [(201, 80, 61), (60, 160, 90), (70, 90, 179), (230, 200, 60), (40, 35, 30), (240, 240, 235)]


def cmyk_profile() -> bytes:
    """libvips' built-in CMYK profile, as it attaches it to an image converted to CMYK."""
    image = pyvips.Image.black(2, 2, bands=3).copy(interpretation="srgb").icc_transform("cmyk")
    return bytes(image.get("icc-profile-data"))


def blocks(width: int = 240, height: int = 160, seed: int = 3) -> np.ndarray:
    """Six colour fields with a little noise: a photo-like image with a clear six-colour palette."""
    rng = np.random.default_rng(seed)
    rgb = np.zeros((height, width, 3), np.uint8)
    for index, colour in enumerate(COLOURS):
        x0 = (index % 3) * width // 3
        y0 = (index // 3) * height // 2
        rgb[y0 : y0 + height // 2, x0 : x0 + width // 3] = colour
    noise = rng.integers(-4, 5, rgb.shape, dtype=np.int16)
    return np.clip(rgb.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def save(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def reference_palette(data: bytes, profile: bytes, colors: int = 6):
    """Pillow decodes the file, LittleCMS converts it to sRGB, then the engine clusters the array."""
    image = Image.open(io.BytesIO(data))
    image.load()
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    converted = ImageCms.profileToProfile(
        image, source, SRGB, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode="RGB"
    )
    assert converted is not None
    return extract_palette(np.asarray(converted), colors)


def assert_within_delta_e(palette, reference, limit: float = 2.0) -> None:
    ours = metrics.srgb8_to_lab(np.array([s.rgb for s in palette], np.uint8))
    theirs = metrics.srgb8_to_lab(np.array([s.rgb for s in reference], np.uint8))
    distances = metrics.delta_e_2000(ours[:, None, :], theirs[None, :, :])
    assert distances.min(axis=1).max() <= limit, (palette.hexes, reference.hexes)
    assert distances.min(axis=0).max() <= limit, (palette.hexes, reference.hexes)


def tagged(space: str, fmt: str, **options: object) -> tuple[bytes, bytes]:
    profile = rgb_profile(space)
    return save(Image.fromarray(blocks()), fmt, icc_profile=profile, **options), profile


@pytest.mark.parametrize(
    ("space", "fmt", "options"),
    [
        ("adobe-rgb", "JPEG", {"quality": 95}),
        ("adobe-rgb", "PNG", {}),
        ("adobe-rgb", "WEBP", {"lossless": True}),
        ("display-p3", "PNG", {}),
        ("prophoto", "TIFF", {}),
        ("prophoto", "TIFF", {"compression": "tiff_lzw"}),
    ],
)
def test_rgb_profiles_match_littlecms(space, fmt, options):
    data, profile = tagged(space, fmt, **options)
    palette = extract_palette(data, 6)
    assert_within_delta_e(palette, reference_palette(data, profile))
    # And the profile made a difference: the raw numbers are not the answer.
    untagged = extract_palette(blocks(), 6)
    if space != "display-p3":
        with pytest.raises(AssertionError):
            assert_within_delta_e(palette, untagged)


def test_adobe_rgb_value_from_the_issue():
    """#c9503d in Adobe RGB is #e74f39 in sRGB (LittleCMS), not the raw numbers."""
    image = Image.new("RGB", (16, 16), (0xC9, 0x50, 0x3D))
    for fmt in ("JPEG", "PNG"):
        data = save(image, fmt, icc_profile=rgb_profile("adobe-rgb"), quality=100)
        (swatch,) = extract_palette(data, 3).swatches
        assert max(abs(a - b) for a, b in zip(swatch.rgb, (0xE7, 0x4F, 0x39), strict=True)) <= 1


def test_sixteen_bit_tiff_with_profile():
    rgb16 = blocks().astype(np.uint16) * 257
    data = cv2.imencode(".tiff", rgb16[:, :, ::-1])[1].tobytes()
    image = pyvips.Image.new_from_buffer(data, "").copy(interpretation="rgb16")
    image.set_type(pyvips.GValue.blob_type, "icc-profile-data", rgb_profile("prophoto"))
    tagged_data = image.tiffsave_buffer()
    eight_bit = save(Image.fromarray(blocks()), "TIFF", icc_profile=rgb_profile("prophoto"))
    assert_within_delta_e(
        extract_palette(tagged_data, 6), reference_palette(eight_bit, rgb_profile("prophoto"))
    )


def cmyk_image() -> Image.Image:
    """The six colours as CMYK through the CMYK profile, as a prepress scan would hold them."""
    source = Image.fromarray(blocks())
    converted = ImageCms.profileToProfile(
        source,
        SRGB,
        ImageCms.ImageCmsProfile(io.BytesIO(cmyk_profile())),
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        outputMode="CMYK",
    )
    assert converted is not None
    return converted


@pytest.mark.parametrize(
    ("fmt", "options"), [("JPEG", {"quality": 95}), ("TIFF", {}), ("TIFF", {"compression": "tiff_lzw"})]
)
def test_cmyk_with_profile_matches_littlecms(fmt, options):
    profile = cmyk_profile()
    data = save(cmyk_image(), fmt, icc_profile=profile, **options)
    if fmt == "JPEG":
        assert b"Adobe" in data[:4096]  # Pillow writes Adobe's inverted CMYK
    palette = extract_palette(data, 6)
    assert_within_delta_e(palette, reference_palette(data, profile))
    # The colours come back close to the sRGB ones the CMYK was made from.
    assert_within_delta_e(palette, extract_palette(blocks(), 6), limit=6.0)


def test_cmyk_without_profile_uses_a_standard_cmyk_profile():
    data = save(cmyk_image(), "JPEG", quality=95)
    palette = extract_palette(data, 6)
    assert_within_delta_e(palette, reference_palette(data, cmyk_profile()))


def test_broken_profile_is_ignored_like_browsers_do():
    data = save(Image.fromarray(blocks()), "PNG", icc_profile=b"not a profile" * 20)
    assert extract_palette(data, 6).hexes == extract_palette(blocks(), 6).hexes


def test_untagged_images_stay_srgb():
    for fmt in ("PNG", "TIFF", "WEBP"):
        options = {"lossless": True} if fmt == "WEBP" else {}
        data = save(Image.fromarray(blocks()), fmt, **options)
        assert extract_palette(data, 6).hexes == extract_palette(blocks(), 6).hexes


# --- PNG colour chunks ------------------------------------------------------------------------------------


def png_with_chunks(rgb: np.ndarray, *chunks: tuple[bytes, bytes], icc: bytes | None = None) -> bytes:
    """A PNG of ``rgb`` with extra chunks placed right after IHDR (before any image data)."""
    data = save(Image.fromarray(rgb), "PNG", **({"icc_profile": icc} if icc else {}))
    extra = b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in chunks
    )
    return data[:33] + extra + data[33:]


def test_gama_one_is_linear_light():
    rgb = np.full((8, 8, 3), 128, np.uint8)
    data = png_with_chunks(rgb, (b"gAMA", struct.pack(">I", 100_000)))
    # 128/255 linear is sRGB 188.
    assert extract_palette(data, 3).hexes == ("#bcbcbc",)


def test_srgb_chunk_and_plain_gama_of_srgb_change_nothing():
    rgb = blocks()
    expected = extract_palette(rgb, 6).hexes
    assert extract_palette(png_with_chunks(rgb, (b"sRGB", b"\x00")), 6).hexes == expected
    assert extract_palette(png_with_chunks(rgb, (b"gAMA", struct.pack(">I", 45455))), 6).hexes == expected
    # sRGB outranks a gAMA that says otherwise.
    both = png_with_chunks(rgb, (b"sRGB", b"\x00"), (b"gAMA", struct.pack(">I", 100_000)))
    assert extract_palette(both, 6).hexes == expected


def test_chrm_and_gama_of_adobe_rgb_match_the_adobe_profile():
    white, red, green, blue = (0.3127, 0.3290), (0.64, 0.33), (0.21, 0.71), (0.15, 0.06)
    chrm = struct.pack(">8I", *(round(v * 100_000) for point in (white, red, green, blue) for v in point))
    data = png_with_chunks(
        blocks(), (b"gAMA", struct.pack(">I", round(100_000 * 256 / 563))), (b"cHRM", chrm)
    )
    reference = reference_palette(save(Image.fromarray(blocks()), "PNG"), rgb_profile("adobe-rgb"))
    assert_within_delta_e(extract_palette(data, 6), reference)


def test_cicp_display_p3_matches_the_p3_profile():
    data = png_with_chunks(blocks(), (b"cICP", bytes([12, 13, 0, 1])))
    reference = reference_palette(save(Image.fromarray(blocks()), "PNG"), rgb_profile("display-p3"))
    assert_within_delta_e(extract_palette(data, 6), reference)


def test_cicp_outranks_iccp():
    data = png_with_chunks(blocks(), (b"cICP", bytes([1, 13, 0, 1])), icc=rgb_profile("prophoto"))
    assert extract_palette(data, 6).hexes == extract_palette(blocks(), 6).hexes


def test_cicp_pq_white_is_white():
    # PQ code 0.58 is about 203 cd/m², the reference white of BT.2408.
    data = png_with_chunks(np.full((4, 4, 3), round(0.5806 * 255), np.uint8), (b"cICP", bytes([9, 16, 0, 1])))
    assert min(extract_palette(data, 1).swatches[0].rgb) >= 250


# --- JPEG 2000 colr box ---------------------------------------------------------------------------------


def jp2_with_profile(rgb: np.ndarray, profile: bytes) -> bytes:
    """OpenCV's JP2 with its enumerated ``colr`` box replaced by an ICC one (method 2)."""
    data = cv2.imencode(".jp2", rgb[:, :, ::-1])[1].tobytes()
    start = data.index(b"jp2h") - 4
    (header_length,) = struct.unpack(">I", data[start : start + 4])
    colr = data.index(b"colr", start) - 4
    (colr_length,) = struct.unpack(">I", data[colr : colr + 4])
    body = b"\x02\x00\x00" + profile
    new_colr = struct.pack(">I", len(body) + 8) + b"colr" + body
    header = data[start + 8 : colr] + new_colr + data[colr + colr_length : start + header_length]
    return (
        data[:start] + struct.pack(">I", len(header) + 8) + b"jp2h" + header + data[start + header_length :]
    )


def test_jpeg_2000_icc_profile():
    profile = rgb_profile("adobe-rgb")
    data = jp2_with_profile(blocks(), profile)
    assert jp2_icc_profile(data) == profile
    reference = reference_palette(save(Image.fromarray(blocks()), "PNG"), profile)
    assert_within_delta_e(extract_palette(data, 6), reference)


def test_jpeg_2000_master_profile_applies_at_a_reduced_level():
    profile = rgb_profile("adobe-rgb")
    data = decode_bench.tiled_jpeg2000(blocks(1024, 1024), 12, 12, profile=profile)  # 12288×12288
    header = decode_jp2.read_header(data)
    assert header is not None
    level = decode_jp2.choose_reduce(header, header.width * header.height, DECODE_PIXELS, 1 << 30)
    assert level == 5
    # The reference: OpenJPEG's pixels of that level (Pillow), converted by LittleCMS.
    reduced = Jpeg2KImagePlugin.Jpeg2KImageFile(io.BytesIO(data))
    reduced.reduce = level
    reduced.load()
    converted = ImageCms.profileToProfile(
        reduced, ImageCms.ImageCmsProfile(io.BytesIO(profile)), SRGB, outputMode="RGB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
    )  # fmt: skip
    assert converted is not None
    palette = extract_palette(data, 6)
    assert_within_delta_e(palette, extract_palette(np.asarray(converted), 6))
    with pytest.raises(AssertionError):  # the profile made a difference
        assert_within_delta_e(palette, extract_palette(np.asarray(reduced.convert("RGB")), 6))


def test_cmyk_jpeg_2000_with_and_without_a_profile():
    profile = cmyk_profile()
    enumerated = save(cmyk_image(), "JPEG2000")  # Pillow writes colr: enumerated CMYK, no profile
    assert_within_delta_e(extract_palette(enumerated, 6), reference_palette(enumerated, profile))
    # Four bands whose colr box holds a CMYK profile: ink, not RGB and alpha.
    inks = np.asarray(cmyk_image())
    tagged = decode_bench.tiled_jpeg2000(np.pad(inks, ((0, 96), (0, 16), (0, 0)), mode="edge"), 1, 1, profile)
    expected = reference_palette(save(Image.fromarray(inks, "CMYK"), "TIFF"), profile)
    assert_within_delta_e(extract_palette(tagged, 6), expected)


# --- HEIF/AVIF nclx colour (no ICC profile) ---------------------------------------------------------------


def avif_with_nclx(rgb: np.ndarray, primaries: int, transfer: int) -> bytes:
    """Pillow's AVIF (libavif writes an sRGB ``nclx`` property) with other primaries and transfer."""
    data = bytearray(save(Image.fromarray(rgb), "AVIF", quality=100, subsampling="4:4:4"))
    start = data.index(b"colrnclx") + 8
    data[start : start + 4] = struct.pack(">HH", primaries, transfer)
    return bytes(data)


@pytest.mark.parametrize(
    ("primaries", "transfer", "space"), [(12, 13, "display-p3"), (9, 13, None), (9, 1, "bt2020")]
)
def test_avif_nclx_colour_matches_littlecms(primaries, transfer, space):
    data = avif_with_nclx(blocks(), primaries, transfer)
    assert heif_nclx_tag(data) is not None
    # space None: BT.2020 primaries with the sRGB curve.
    profile = rgb_profile(space) if space else rgb_profile_of(*SPACES["bt2020"][:2], "srgb")
    # The reference: Pillow's decoding of the same AVIF (the codec's own loss included), then LittleCMS.
    assert_within_delta_e(extract_palette(data, 6), reference_palette(data, profile))
    with pytest.raises(AssertionError):  # the raw numbers are not the answer
        assert_within_delta_e(extract_palette(data, 6), extract_palette(blocks(), 6))


def test_avif_nclx_of_srgb_and_an_icc_profile_change_nothing():
    srgb = avif_with_nclx(blocks(), 1, 13)
    assert heif_nclx_tag(srgb) is None
    with_profile = save(Image.fromarray(blocks()), "AVIF", quality=100, icc_profile=rgb_profile("adobe-rgb"))
    assert b"colrprof" in with_profile
    assert heif_nclx_tag(with_profile) is None
    reference = reference_palette(with_profile, rgb_profile("adobe-rgb"))
    assert_within_delta_e(extract_palette(with_profile, 6), reference)


# --- EXIF orientation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_and_region(orientation, fmt):
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:20, :30], rgb[:20, 30:], rgb[20:, :30], rgb[20:, 30:] = (
        (250, 0, 0),
        (0, 250, 0),
        (0, 0, 250),
        (250, 250, 0),
    )
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = save(Image.fromarray(rgb), fmt, exif=exif, quality=100)
    shown = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data)).convert("RGB")))
    height, width = shown.shape[:2]
    for region in ("0,0,10,10", f"{width - 10},{height - 10},10,10", f"0,{height - 10},10,10"):
        x, y, w, h = map(int, region.split(","))
        expected = shown[y : y + h, x : x + w].reshape(-1, 3).mean(axis=0)
        (swatch,) = extract_palette(data, 1, region=region).swatches
        assert np.abs(np.array(swatch.rgb) - expected).max() <= 12, (orientation, region)
