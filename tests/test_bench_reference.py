"""The benchmark's reference image and its held-out sample photographs (benchmarks/bench.py)."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from tests.icc import rgb_profile

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _bench() -> ModuleType:
    # benchmarks/ is a folder of scripts: bench.py imports its sibling metrics.py by name.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("bench_for_tests", BENCHMARKS / "bench.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


bench = _bench()


def _blocks() -> np.ndarray:
    rgb = np.zeros((32, 48, 3), np.uint8)
    for index, colour in enumerate([(201, 80, 61), (60, 160, 90), (70, 90, 179), (230, 200, 60)]):
        rgb[:, 12 * index : 12 * index + 12] = colour
    return rgb


def _encoded(rgb: np.ndarray, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, fmt, **options)
    return out.getvalue()


def test_the_reference_applies_an_embedded_rgb_profile():
    # OpenCV alone would read Adobe RGB numbers as sRGB; a colour-managed viewer shows them converted.
    rgb = _blocks()
    data = _encoded(rgb, "PNG", icc_profile=rgb_profile("adobe-rgb"))
    expected = ImageCms.applyTransform(
        Image.fromarray(rgb),
        ImageCms.buildTransform(
            ImageCms.ImageCmsProfile(io.BytesIO(rgb_profile("adobe-rgb"))),
            ImageCms.createProfile("sRGB"),
            "RGB",
            "RGB",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        ),
    )
    reference = bench.reference_rgb(data)
    assert np.array_equal(reference, np.asarray(expected))
    assert np.abs(reference.astype(int) - rgb.astype(int)).max() > 20  # #c9503d is #e74f39 in sRGB


def test_the_reference_of_an_untagged_image_is_opencvs_decode():
    data = _encoded(_blocks(), "JPEG", quality=90)
    decoded = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert np.array_equal(bench.reference_rgb(data), decoded)


def test_sample_photos_are_found_in_the_installed_packages(monkeypatch):
    # scikit-learn is a dependency of the engine, so its two photographs are always there.
    pair = ("china.jpg", "flower.jpg")
    monkeypatch.setattr(bench, "SAMPLE_PHOTOS", (("sklearn", "datasets/images", pair),))
    files = bench.sample_photos()
    assert [path.name for path in files] == ["china.jpg", "flower.jpg"]
    assert all(Image.open(path).size == (640, 427) for path in files)


def test_sample_photos_name_what_is_missing(monkeypatch):
    monkeypatch.setattr(bench, "SAMPLE_PHOTOS", (("no_such_package_here", "data", ("x.png",)),))
    with pytest.raises(FileNotFoundError, match=r"pip install -e '\.\[bench\]'"):
        bench.sample_photos()
    monkeypatch.setattr(bench, "SAMPLE_PHOTOS", (("sklearn", "datasets/images", ("nothing.jpg",)),))
    with pytest.raises(FileNotFoundError, match=r"nothing\.jpg is missing"):
        bench.sample_photos()


def test_an_unmanaged_run_scores_against_the_raw_numbers(tmp_path):
    # The rocket case: an Adobe RGB image; the raw reference favours a palette of the raw numbers.
    rgb = _blocks()
    path = tmp_path / "tagged.png"
    path.write_bytes(_encoded(rgb, "PNG", icc_profile=rgb_profile("adobe-rgb")))

    def raw_palette(data: bytes, k: int) -> np.ndarray:
        return np.unique(rgb.reshape(-1, 3), axis=0)

    methods = {bench.BASELINE: raw_palette}
    managed = bench.run([path], [4], 1, methods)[4][bench.BASELINE].delta_e[0]
    unmanaged = bench.run([path], [4], 1, methods, managed=False)[4][bench.BASELINE].delta_e[0]
    assert unmanaged < 1e-3 < managed
