"""Decode benchmark: the OpenCV path the engine used to take against the libvips and OpenJPEG paths it takes.

For each case an image is generated once (in bounded memory, by libvips; JPEG 2000 by repeating one
encoded tile, `tiled_jpeg2000`) under ``--workdir``; then each path
decodes it in a fresh process, so peak RSS (``ru_maxrss``, which includes the interpreter and the imported
libraries) belongs to that path alone. Times are the fastest of ``--repeat`` decodes in that process.

* ``opencv``: what the engine did before libvips: the file's bytes to `cv2.imdecode` (JPEGs at the same
  reduced DCT scale, with ``IMREAD_REDUCED_COLOR_N``; other formats whole, ``IMREAD_UNCHANGED``), then
  normalised to 8-bit RGB and sampled on the same kind of grid.
  JPEG 2000 was decoded that way, whole, up to 100 megapixels.
* ``engine``: `sphinx_palette.engine.decode.decode_image` as `extract_palette` calls it (``work_pixels``),
  plus, separately, the whole `extract_palette` (decode + clustering).

Usage::

    python benchmarks/decode.py --workdir /tmp/decode-bench [--cases jpeg24 png500 jp2_503 ...]
"""

from __future__ import annotations

import argparse
import json
import resource
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CASES = {
    # name: (format, width, height, description)
    "jpeg24": ("jpg", 6000, 4000, "24 MP photo-like JPEG, quality 90"),
    "png100x16": ("png", 10000, 9999, "99.99 MP 16-bit RGBA PNG"),
    "png500": ("png", 25000, 20000, "500 MP 8-bit RGB PNG"),
    "tiff500": ("tif", 25000, 20000, "500 MP 8-bit RGB TIFF, deflate, strips"),
    "jp2_94": ("jp2", 10240, 9216, "94 MP JPEG 2000, lossless, 1024×1024 tiles, 5 levels"),
    "jp2_503": ("jp2", 24576, 20480, "503 MP JPEG 2000, lossless, 1024×1024 tiles, 5 levels"),
}
MODES = ["read", "opencv", "engine", "palette"]


def generate(case: str, directory: Path) -> Path:
    """Write the case's image (once) with libvips, which streams it: no full frame is ever in memory."""
    import pyvips

    fmt, width, height, _ = CASES[case]
    path = directory / f"{case}.{fmt}"
    if path.exists():
        return path
    if fmt == "jp2":
        tile = 1024
        path.write_bytes(tiled_jpeg2000(_tile_pattern(tile), width // tile, height // tile))
        return path
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    # Gradients across the frame plus a band pattern: compressible, yet every row differs.
    red = x * (255.0 / width)
    green = y * (255.0 / height)
    blue = ((x + y) / 37 % 64) * 2 + 60
    image = red.bandjoin([green, blue])
    if case == "jpeg24":
        image = (image + pyvips.Image.gaussnoise(width, height, sigma=6)).cast("uchar")
        image.copy(interpretation="srgb").jpegsave(str(path), Q=90)
    elif case == "png100x16":
        alpha = pyvips.Image.black(width, height) + 65535
        image = (image * 257).bandjoin(alpha).cast("ushort").copy(interpretation="rgb16")
        image.pngsave(str(path), compression=6)
    elif fmt == "png":
        image.cast("uchar").copy(interpretation="srgb").pngsave(str(path), compression=6)
    else:
        image.cast("uchar").copy(interpretation="srgb").tiffsave(str(path), compression="deflate")
    return path


def _tile_pattern(size: int) -> np.ndarray:
    """A tile of gradients and bands, like the other cases' frames."""
    import numpy as np

    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    rgb = np.stack([x * 255 / size, y * 255 / size, ((x + y) / 37 % 64) * 2 + 60], axis=2)
    return rgb.astype(np.uint8)


def tiled_jpeg2000(
    tile: np.ndarray, columns: int, rows: int, profile: bytes | None = None, levels: int = 5
) -> bytes:
    """A JP2 file of ``columns`` × ``rows`` copies of the ``tile`` array, in seconds whatever its size.

    The tile's side must be a power of two of at least 64: code blocks are anchored to the whole image's
    grid, so only then is every tile coded alike.

    OpenJPEG (Pillow) encodes the tile once, losslessly, with ``levels`` decomposition levels; its tile-part
    is then repeated under each tile index of a codestream whose SIZ marker gives the whole extent.
    ``profile`` goes into the ``colr`` box (method 2), as colour-managed masters carry it.
    """
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(tile).save(out, "JPEG2000", irreversible=False, num_resolutions=levels + 1, no_jp2=True)
    single = out.getvalue()
    first_tile = single.index(b"\xff\x90")  # SOT: the main header ends here
    main = bytearray(single[:first_tile])
    height, width = tile.shape[0] * rows, tile.shape[1] * columns
    struct.pack_into(">II", main, 8, width, height)  # SIZ: Xsiz, Ysiz
    part = single[first_tile : single.rindex(b"\xff\xd9")]
    parts = [part[:4] + struct.pack(">H", index) + part[6:] for index in range(columns * rows)]
    codestream = bytes(main) + b"".join(parts) + b"\xff\xd9"
    bands = tile.shape[2] if tile.ndim == 3 else 1
    enumerated = 16 if bands >= 3 else 17  # sRGB or greyscale
    colour = b"\x02\x00\x00" + profile if profile else b"\x01\x00\x00" + struct.pack(">I", enumerated)
    header = _box(b"ihdr", struct.pack(">IIHBBBB", height, width, bands, 7, 7, 0, 0)) + _box(b"colr", colour)
    return (
        b"\x00\x00\x00\x0cjP  \r\n\x87\n"
        + _box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ")
        + _box(b"jp2h", header)
        + _box(b"jp2c", codestream)
    )


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def measure(mode: str, path: Path, repeat: int) -> dict[str, object]:
    """Decode ``path`` ``repeat`` times with ``mode``; the fastest time and this process's peak RSS."""
    import numpy as np

    from sphinx_palette.engine.extract import DECODE_PIXELS, WORK_PIXELS, extract_palette

    times = []
    shape: tuple[int, ...] = ()
    for _ in range(repeat):
        started = time.perf_counter()
        data = path.read_bytes()
        if mode == "opencv":
            shape = _opencv_decode(data, DECODE_PIXELS, WORK_PIXELS)
        elif mode == "engine":
            from sphinx_palette.engine.decode import decode_image

            shape = decode_image(data, work_pixels=DECODE_PIXELS).rgb.shape
        elif mode == "palette":
            shape = (len(extract_palette(data, 5)),)
        # "read": the imports and reading the file, the floor of every peak
        times.append(time.perf_counter() - started)
        del data
    return {"seconds": min(times), "peak_rss_mb": round(_peak_mb()), "shape": list(np.array(shape).tolist())}


def _peak_mb() -> float:
    """This process's peak RSS: ``VmHWM``, as Linux keeps ``ru_maxrss`` of the parent across exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _opencv_decode(data: bytes, decode_pixels: int, work_pixels: int) -> tuple[int, ...]:
    import math

    import cv2
    import imagesize
    import numpy as np

    from sphinx_palette.engine.decode import _to_rgb8, image_dimensions

    width, height = imagesize.get(data)
    size = image_dimensions(data) or (0, 0)
    if data.startswith(b"\x00\x00\x00\x0cjP  ") and size[0] * size[1] > 100_000_000:
        # The OpenCV path refused JPEG 2000 over 100 MP; decoding it whole would take gigabytes.
        raise SystemExit("refused: over the 100-megapixel limit of the OpenCV path")
    flags = cv2.IMREAD_UNCHANGED
    if data.startswith(b"\xff\xd8\xff"):
        scale = 1
        while scale < 8 and width * height / (2 * scale) ** 2 >= decode_pixels / 2:
            scale *= 2
        flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4}.get(
            scale, cv2.IMREAD_REDUCED_COLOR_8
        )
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    rgb, _ = _to_rgb8(pixels)
    del pixels
    step = max(1, math.ceil(math.sqrt(rgb.shape[0] * rgb.shape[1] / work_pixels)))
    return tuple(np.ascontiguousarray(rgb[step // 2 :: step, step // 2 :: step]).shape)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sphinx-palette-decode-bench"))
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=MODES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]), args.repeat)))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    print("| case | file | path | best time (s) | peak RSS (MB) | sampled shape |")
    print("|---|---|---|---|---|---|")
    for case in args.cases:
        path = generate(case, args.workdir)
        size = f"{path.stat().st_size / 1e6:.1f} MB"
        for mode in args.modes:
            done = subprocess.run(
                [sys.executable, __file__, "--repeat", str(args.repeat), "--measure", mode, str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                reason = (done.stderr.strip().splitlines() or ["failed"])[-1][:80]
                print(f"| {CASES[case][3]} | {size} | {mode} | failed: {reason} | | |")
                continue
            result = json.loads(done.stdout)
            print(
                f"| {CASES[case][3]} | {size} | {mode} | {result['seconds']:.3f} | {result['peak_rss_mb']} |"
                f" {result['shape']} |"
            )


if __name__ == "__main__":
    main()
