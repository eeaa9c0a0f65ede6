"""Benchmark sphinx-palette against the notebook baseline and other palette extractors.

Every method gets the same encoded bytes and returns a palette ("bytes in, palette out"); the
quality of each palette is the mean CIEDE2000 from every pixel of the full decoded image to its
nearest swatch, and the share of the image's accent hues the palette shows (see ``metrics.py``).
Run ``python benchmarks/bench.py --help``; the README in this folder explains the columns.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
from metrics import ImageColours, recalled

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # Lets a plain checkout run the script without installing the package.
    sys.path.insert(0, str(ROOT))

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".ppm", ".pgm", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
BASELINE = "notebook"

# A method maps (encoded bytes, colour count) to a Kx3 palette, or None when it only decodes.
Method = Callable[[bytes, int], "np.ndarray | None"]


def _decode_bgr(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("OpenCV could not decode the image")
    return image


def reference_rgb(data: bytes) -> np.ndarray:
    """The image every palette is scored against: full size, as a colour-managed viewer shows it.

    OpenCV's decode ignores an embedded ICC profile, so an Adobe RGB photograph's raw numbers would be
    taken for sRGB; an RGB profile is applied here with LittleCMS (Pillow's ``ImageCms``, relative
    colorimetric, as the engine converts). Untagged images, and grey or CMYK profiles, keep OpenCV's decode.
    """
    from PIL import Image, ImageCms

    rgb = cv2.cvtColor(_decode_bgr(data), cv2.COLOR_BGR2RGB)
    try:
        with Image.open(BytesIO(data)) as image:
            icc = image.info.get("icc_profile")
        profile = ImageCms.ImageCmsProfile(BytesIO(icc)) if icc else None
    except (OSError, ValueError):  # not readable by Pillow, or a broken profile: viewers ignore it too
        return rgb
    if profile is None or profile.profile.xcolor_space.strip() != "RGB":
        return rgb
    transform = ImageCms.buildTransform(
        profile,
        ImageCms.createProfile("sRGB"),
        "RGB",
        "RGB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
    )
    return np.asarray(ImageCms.applyTransform(Image.fromarray(rgb), transform))


def method_sphinx_palette(data: bytes, k: int) -> np.ndarray:
    """The project's engine, default emphasis (balanced)."""
    from sphinx_palette import extract_palette

    return np.array([s.rgb for s in extract_palette(data, k).swatches])


def method_coverage(data: bytes, k: int) -> np.ndarray:
    """The project's engine, emphasis="coverage" (the palettes of engine version 5)."""
    from sphinx_palette import extract_palette

    return np.array([s.rgb for s in extract_palette(data, k, emphasis="coverage").swatches])


def method_vivid(data: bytes, k: int) -> np.ndarray:
    """The project's engine, emphasis="vivid"."""
    from sphinx_palette import extract_palette

    return np.array([s.rgb for s in extract_palette(data, k, emphasis="vivid").swatches])


def method_notebook(data: bytes, k: int) -> np.ndarray:
    """The notebook the engine grew from: 300×300 resize, scikit-learn KMeans on raw RGB."""
    from sklearn.cluster import KMeans

    rgb = cv2.cvtColor(_decode_bgr(data), cv2.COLOR_BGR2RGB)
    small = cv2.resize(rgb, (300, 300))
    pixels = small.reshape(-1, 3).astype(float)
    centres = KMeans(n_clusters=k, random_state=0).fit(pixels).cluster_centers_
    return np.clip(np.rint(centres), 0, 255).astype(np.int64)


def method_colorthief(data: bytes, k: int) -> np.ndarray:
    """colorthief's modified median cut (pure Python, Pillow decoding), default quality 10."""
    from colorthief import ColorThief

    return np.array(ColorThief(BytesIO(data)).get_palette(color_count=k))


def method_fast_colorthief(data: bytes, k: int) -> np.ndarray:
    """fast-colorthief (C++ median cut, Pillow decoding), default quality 10."""
    import fast_colorthief

    return np.array(fast_colorthief.get_palette(BytesIO(data), color_count=k))


#: Android's WallpaperColors scales a wallpaper to this many pixels before quantizing it.
MATERIAL_AREA = 112 * 112
MATERIAL_CLUSTERS = 128


def method_material(data: bytes, k: int) -> np.ndarray:
    """Material Color Utilities (materialyoucolor): Celebi quantizer into 128 colours, then ``Score``."""
    from materialyoucolor.quantize import QuantizeCelebi
    from materialyoucolor.score.score import Score, ScoreOptions

    rgb = cv2.cvtColor(_decode_bgr(data), cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    scale = min(1.0, (MATERIAL_AREA / (height * width)) ** 0.5)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    argb = np.concatenate([rgb.reshape(-1, 3), np.full((rgb.shape[0] * rgb.shape[1], 1), 255, np.uint8)], 1)
    counts = QuantizeCelebi(argb.tolist(), MATERIAL_CLUSTERS)
    chosen = Score.score(counts, ScoreOptions(desired=k))
    return np.array([[(c >> 16) & 255, (c >> 8) & 255, c & 255] for c in chosen])


def method_floor(data: bytes, k: int) -> None:
    """Decoding alone: the least any OpenCV-based method can take."""
    _decode_bgr(data)


METHODS: dict[str, Method] = {
    "sphinx-palette": method_sphinx_palette,
    "sp coverage": method_coverage,
    "sp vivid": method_vivid,
    BASELINE: method_notebook,
    "colorthief": method_colorthief,
    "fast-colorthief": method_fast_colorthief,
    "material": method_material,
    "floor": method_floor,
}


@dataclass
class Result:
    """Per-image measurements of one method at one colour count."""

    seconds: list[float] = field(default_factory=list)
    delta_e: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    #: Per image with accents: how many of them the palette recalled, and how many there were.
    recalled: list[int] = field(default_factory=list)
    accents: list[int] = field(default_factory=list)
    #: Accents of every image, in order (0 for none), so that subsets can be taken.
    image_accents: list[int] = field(default_factory=list)

    def recall(self) -> float:
        """Accents recalled over all images divided by all accents (pooled, as issue 9 measured it)."""
        return sum(self.recalled) / sum(self.accents) if sum(self.accents) else float("nan")

    def subset(self, keep: Sequence[bool]) -> Result:
        """The measurements of the images where ``keep`` is true (``keep`` has one flag per image)."""
        with_accents = [flag for flag, n in zip(keep, self.image_accents, strict=True) if n]
        return Result(
            seconds=[x for x, flag in zip(self.seconds, keep, strict=True) if flag],
            delta_e=[x for x, flag in zip(self.delta_e, keep, strict=False) if flag],
            counts=[x for x, flag in zip(self.counts, keep, strict=False) if flag],
            recalled=[x for x, flag in zip(self.recalled, with_accents, strict=False) if flag],
            accents=[x for x, flag in zip(self.accents, with_accents, strict=False) if flag],
            image_accents=[x for x, flag in zip(self.image_accents, keep, strict=True) if flag],
        )


def machine_lines() -> list[str]:
    """Describe the machine and the numeric stack, including BLAS/OpenMP thread pools."""
    import sklearn
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"CPU: {cpu}; {os.cpu_count()} logical cores, {usable} usable",
        f"Python {platform.python_version()} ({platform.system()} {platform.machine()}); "
        f"numpy {np.__version__}; OpenCV {cv2.__version__}; scikit-learn {sklearn.__version__}",
        f"sphinx-palette {_version('sphinx_palette')}; colorthief {_version('colorthief')}; "
        f"fast-colorthief {_version('fast_colorthief')}; materialyoucolor {_version('materialyoucolor')}; "
        f"Pillow {_version('PIL')}",
    ]
    env = {name: os.environ.get(name) for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env_text = ", ".join(f"{k}={v}" for k, v in env.items() if v is not None) or "neither set"
    lines.append(f"OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: {env_text}")
    for pool in threadpool_info():
        extra = ", ".join(
            f"{key} {pool[key]}" for key in ("architecture", "threading_layer") if pool.get(key)
        )
        lines.append(
            f"threadpool: {pool['user_api']} {pool['internal_api']} {pool.get('version')}, "
            f"{pool['num_threads']} threads{', ' + extra if extra else ''} "
            f"({Path(pool['filepath']).parent.name}/{Path(pool['filepath']).name})"
        )
    return lines


def _version(module: str) -> str:
    try:
        mod = __import__(module)
    except ImportError:
        return "not installed"
    return str(getattr(mod, "__version__", "?"))


def sklearn_samples() -> Path:
    """The folder of scikit-learn's sample images (`sklearn.datasets.load_sample_images`)."""
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "images"


#: Colour photographs shipped inside packages of the ``bench`` extra, which nobody tuned the engine on:
#: (package, folder in it, file names). scikit-image's grey images, its drawings and ``motorcycle_right``
#: (nearly the same picture as ``motorcycle_left``) are left out. Licences: ``benchmarks/README.md``.
SAMPLE_PHOTOS = (
    ("sklearn", "datasets/images", ("china.jpg", "flower.jpg")),
    (
        "skimage",
        "data",
        (
            "astronaut.png",
            "chelsea.png",
            "coffee.png",
            "hubble_deep_field.jpg",
            "ihc.png",
            "motorcycle_left.png",
            "retina.jpg",
            "rocket.jpg",
        ),
    ),
    ("matplotlib", "mpl-data/sample_data", ("grace_hopper.jpg",)),
)


def sample_photos() -> list[Path]:
    """The files of `SAMPLE_PHOTOS`, found in the installed packages (not imported: scikit-image and
    matplotlib take a second or more to import, and only their data files are wanted)."""
    import importlib.util

    files = []
    for package, folder, names in SAMPLE_PHOTOS:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"{package} is not installed: pip install -e '.[bench]'")
        root = Path(next(iter(spec.submodule_search_locations))) / folder
        for name in names:
            if not (root / name).is_file():
                raise FileNotFoundError(f"{root / name} is missing (a trimmed install of {package}?)")
            files.append(root / name)
    return files


def list_images(folder: Path, limit: int | None) -> list[Path]:
    """Image files of ``folder``, sorted by name, at most ``limit`` of them."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:limit] if limit else files


def time_method(method: Method, data: bytes, k: int, repeat: int) -> tuple[float, np.ndarray | None]:
    """Best wall time of ``repeat`` runs and the palette of the last one."""
    best = float("inf")
    palette = None
    for _ in range(repeat):
        start = time.perf_counter()
        palette = method(data, k)
        best = min(best, time.perf_counter() - start)
    return best, palette


def run(
    files: Sequence[Path],
    colors: Sequence[int],
    repeat: int,
    methods: dict[str, Method],
    managed: bool = True,
) -> dict[int, dict[str, Result]]:
    """Time every method on every image at every colour count and score its palettes (against the
    colour-managed image, or with ``managed=False`` against OpenCV's decode as it is)."""
    results = {k: {name: Result() for name in methods} for k in colors}
    first = files[0].read_bytes()
    for method in methods.values():
        for k in colors:
            method(first, k)  # warm-up: imports, lazy initialisation, caches of the libraries
    for index, path in enumerate(files, 1):
        data = path.read_bytes()
        # The reference is the full-resolution decode, never one of the methods' downscaled ones.
        reference = ImageColours(
            reference_rgb(data) if managed else cv2.cvtColor(_decode_bgr(data), cv2.COLOR_BGR2RGB)
        )
        for k in colors:
            for name, method in methods.items():
                seconds, palette = time_method(method, data, k, repeat)
                result = results[k][name]
                result.seconds.append(seconds)
                result.image_accents.append(len(reference.accents))
                if palette is not None:
                    result.counts.append(len(palette))
                    result.delta_e.append(reference.mean_delta_e(palette))
                    if len(reference.accents):
                        result.recalled.append(int(recalled(reference.accents, palette).sum()))
                        result.accents.append(len(reference.accents))
        print(f"[{index}/{len(files)}] {path.name}", file=sys.stderr, flush=True)
    return results


def table_rows(results: dict[str, Result]) -> list[list[str]]:
    """Rows of one colour count's table, with ratios to the baseline of the same run."""
    base = results[BASELINE]
    base_ms = statistics.median(base.seconds) * 1000.0
    base_de = statistics.fmean(base.delta_e)
    rows = []
    for name, result in results.items():
        ms = statistics.median(result.seconds) * 1000.0
        row = [name, f"{ms:.1f}", f"{ms / base_ms:.3f}"]
        if result.delta_e:
            de = statistics.fmean(result.delta_e)
            no_worse = sum(a <= b for a, b in zip(result.delta_e, base.delta_e, strict=True))
            lo, hi = min(result.counts), max(result.counts)
            row += [
                f"{de:.3f}",
                f"{de / base_de:.3f}",
                f"{no_worse}/{len(result.delta_e)}",
                f"{result.recall():.2f} ({sum(result.recalled)}/{sum(result.accents)})",
                str(lo) if lo == hi else f"{lo}–{hi}",
            ]
        else:
            row += ["—", "—", "—", "—", "—"]
        rows.append(row)
    return rows


HEADER = [
    "method",
    "median ms",
    "× notebook",
    "mean ΔE00",
    "ΔE ÷ notebook",
    "ΔE ≤ notebook",
    "accent recall",
    "swatches",
]


def format_table(rows: list[list[str]], markdown: bool) -> str:
    """Render rows as a Markdown pipe table or as aligned plain text."""
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |"]
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(HEADER) - 1)) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    fmt = [
        (cell.ljust(w) if i == 0 else cell.rjust(w))
        for row in [HEADER, *rows]
        for i, (cell, w) in enumerate(zip(row, widths, strict=True))
    ]
    n = len(HEADER)
    return "\n".join("  ".join(fmt[i : i + n]) for i in range(0, len(fmt), n))


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", type=Path, help="folder of image files")
    source.add_argument(
        "--sklearn-samples",
        action="store_true",
        help="scikit-learn's two sample photographs (china.jpg, flower.jpg): never used to tune the engine",
    )
    source.add_argument(
        "--sample-photos",
        action="store_true",
        help="11 colour photographs shipped with scikit-learn, scikit-image and matplotlib (bench extra): "
        "the held-out set of issue 9",
    )
    parser.add_argument("--colors", type=int, nargs="+", default=[5, 8], help="palette sizes")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image (min taken)")
    parser.add_argument("--limit", type=int, help="use only the first N images (sorted by name)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown for the docs")
    parser.add_argument(
        "--unmanaged-reference",
        action="store_true",
        help="score against OpenCV's decode as it is, ignoring embedded ICC profiles (as runs before "
        "engine version 11 did)",
    )
    parser.add_argument(
        "--methods", nargs="+", choices=list(METHODS), help=f"methods to run ({BASELINE} is always run)"
    )
    parser.add_argument(
        "--tuned",
        type=Path,
        help="file listing the image names the engine was tuned on: the tables are repeated for the others",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.sklearn_samples:
        args.images = sklearn_samples()
    if args.sample_photos:
        try:
            files = sample_photos()[: args.limit] if args.limit else sample_photos()
        except FileNotFoundError as exc:
            parser.error(str(exc))
        where = "sample photographs of scikit-learn, scikit-image and matplotlib"
    else:
        files = list_images(args.images, args.limit)
        where = str(args.images)
    if not files:
        parser.error(f"no image files in {args.images}")

    heading = "## " if args.markdown else ""
    bullet = "- " if args.markdown else ""
    print(f"{heading}Palette benchmark: {where} ({len(files)} images)\n")
    for line in machine_lines():
        print(bullet + line)
    sizes = sorted({_size(p) for p in files})
    size_text = ", ".join(f"{w}×{h}" for w, h in sizes[:4]) + (" …" if len(sizes) > 4 else "")
    print(f"{bullet}images: {len(files)} files, sizes {size_text}; repeat {args.repeat}")
    print(f"{bullet}command: {' '.join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])])}\n")

    started = time.perf_counter()
    chosen = {
        name: method
        for name, method in METHODS.items()
        if name == BASELINE or name in (args.methods or METHODS)
    }
    results = run(files, args.colors, args.repeat, chosen, managed=not args.unmanaged_reference)
    tuned = set()
    if args.tuned:
        lines = args.tuned.read_text(encoding="utf-8").splitlines()
        tuned = {name for line in lines if not line.startswith("#") for name in line.split()}
    held_out = [path.name not in tuned for path in files]
    for k, per_method in results.items():
        print(f"{'### ' if args.markdown else ''}{k} colours, all {len(files)} images\n")
        print(format_table(table_rows(per_method), args.markdown))
        print()
        if args.tuned and any(held_out):
            subsets = {name: result.subset(held_out) for name, result in per_method.items()}
            heading = f"{k} colours, the {sum(held_out)} images not listed in {args.tuned.name}"
            print(f"{'### ' if args.markdown else ''}{heading}\n")
            print(format_table(table_rows(subsets), args.markdown))
            print()
    print(f"{bullet}wall time of the whole run: {time.perf_counter() - started:.0f} s")
    return 0


def _size(path: Path) -> tuple[int, int]:
    import imagesize

    width, height = imagesize.get(str(path))
    return int(width), int(height)


if __name__ == "__main__":
    raise SystemExit(main())
