"""sphinx_palette.remote.iiif_image_api: the derivative asked of an image service, per compliance level.

Fixtures follow the Image API 2.1 / 3.0 specifications.
"""

from __future__ import annotations

import pytest

from sphinx_palette.engine.region import parse_region
from sphinx_palette.remote.iiif import resolve
from sphinx_palette.remote.iiif_image_api import IIIFError, choose_size
from tests.iiif_helpers import BASE, SIZES, image_url, info2, info3, no_fetch

# --- Image API: full region -------------------------------------------------------------------

FULL_CASES = [
    # version, level, with sizes, expected path after the service id
    (2, 0, False, "/full/full/0/default.jpg"),
    (2, 0, True, "/full/1000,750/0/default.jpg"),
    (2, 1, False, "/full/512,/0/default.jpg"),
    (2, 1, True, "/full/1000,750/0/default.jpg"),
    (2, 2, False, "/full/512,/0/default.jpg"),
    (2, 2, True, "/full/1000,750/0/default.jpg"),
    (3, 0, False, "/full/max/0/default.jpg"),
    (3, 0, True, "/full/1000,750/0/default.jpg"),
    (3, 1, False, "/full/512,/0/default.jpg"),
    (3, 1, True, "/full/1000,750/0/default.jpg"),
    (3, 2, False, "/full/512,/0/default.jpg"),
    (3, 2, True, "/full/1000,750/0/default.jpg"),
]


@pytest.mark.parametrize(("version", "level", "with_sizes", "expected"), FULL_CASES)
def test_full_region_derivative(version, level, with_sizes, expected):
    make = info2 if version == 2 else info3
    info = make(level, sizes=SIZES if with_sizes else None)
    url, done = image_url(info)
    assert url == f"{BASE}/{version}/img{expected}"
    assert done


PCT_CASES = [
    # A pct region of a 4000×3000 image is 2000×1500 px at (400, 300).
    (2, 0, False, "/full/full/0/default.jpg", False),
    (2, 0, True, "/full/1000,750/0/default.jpg", False),
    (2, 1, False, "/400,300,2000,1500/512,/0/default.jpg", True),
    (2, 1, True, "/400,300,2000,1500/512,/0/default.jpg", True),
    (2, 2, False, "/pct:10,10,50,50/512,/0/default.jpg", True),
    (3, 0, False, "/full/max/0/default.jpg", False),
    (3, 0, True, "/full/1000,750/0/default.jpg", False),
    (3, 1, False, "/400,300,2000,1500/512,/0/default.jpg", True),
    (3, 2, True, "/pct:10,10,50,50/512,/0/default.jpg", True),
]


@pytest.mark.parametrize(("version", "level", "with_sizes", "expected", "done"), PCT_CASES)
def test_pct_region_derivative(version, level, with_sizes, expected, done):
    make = info2 if version == 2 else info3
    info = make(level, sizes=SIZES if with_sizes else None)
    request = resolve("https://x/info.json", info, region=parse_region("pct:10,10,50,50"), get_json=no_fetch)
    assert request.image_url == f"{BASE}/{version}/img{expected}"
    assert request.region_done is done
    assert request.crop == (None if done else parse_region("pct:10,10,50,50"))


def test_pixel_region_cropped_locally_becomes_percent():
    # The engine crops a scaled-down derivative, where full-resolution pixels no longer apply.
    request = resolve(
        "https://x/info.json",
        info3(0, sizes=SIZES),
        region=parse_region("400,300,2000,1500"),
        get_json=no_fetch,
    )
    assert not request.region_done
    assert request.crop == parse_region("pct:10,10,50,50")


def test_small_region_is_requested_at_its_own_size():
    assert image_url(info2(2), "0,0,100,80") == (f"{BASE}/2/img/0,0,100,80/full/0/default.jpg", True)
    assert image_url(info3(2), "0,0,100,80") == (f"{BASE}/3/img/0,0,100,80/max/0/default.jpg", True)


def test_square_region_served_where_supported():
    assert image_url(info3(1))[0].startswith(f"{BASE}/3/img/full/")
    assert image_url(info3(1), "square") == (f"{BASE}/3/img/square/512,/0/default.jpg", True)
    # Image API 2.1 has no square at level 2: it becomes a pixel region.
    assert image_url(info2(2), "square") == (f"{BASE}/2/img/500,0,3000,3000/512,/0/default.jpg", True)


def test_region_outside_image_is_an_error():
    with pytest.raises(IIIFError, match="outside"):
        image_url(info3(2), "5000,0,10,10")


@pytest.mark.parametrize("version", [2, 3])
def test_small_image_is_never_upscaled(version):
    make = info2 if version == 2 else info3
    keyword = "full" if version == 2 else "max"
    for level in (0, 1, 2):
        url, _ = image_url(make(level, width=300, height=200))
        assert url == f"{BASE}/{version}/img/full/{keyword}/0/default.jpg"
    small_sizes = [{"width": 150, "height": 100}, {"width": 300, "height": 200}]
    url, _ = image_url(make(0, width=300, height=200, sizes=small_sizes))
    assert url == f"{BASE}/{version}/img/full/300,200/0/default.jpg"
    assert "^" not in choose_size(make(2, width=300, height=200), (300, 200), 4096)


def test_portrait_long_side_reaches_target():
    size = choose_size(info2(1, width=3000, height=4000), (3000, 4000), 512)
    assert size == "384,"


def test_sizes_too_small_fall_back_to_computed_size_at_level_1():
    thumbs = [{"width": 100, "height": 75}]
    assert choose_size(info3(1, sizes=thumbs), (4000, 3000), 512) == "512,"
    assert choose_size(info3(0, sizes=thumbs), (4000, 3000), 512) == "100,75"


def test_sizes_do_not_apply_to_a_region():
    assert choose_size(info3(0, sizes=SIZES), (2000, 1500), 512) == "max"


def test_extra_features_allow_confined_size():
    info = info3(0, extraFeatures=["regionByPx", "sizeByConfinedWh"])
    assert image_url(info) == (f"{BASE}/3/img/full/!512,384/0/default.jpg", True)
    assert image_url(info, "pct:10,10,50,50") == (
        f"{BASE}/3/img/400,300,2000,1500/!512,384/0/default.jpg",
        True,
    )


def test_v2_profile_supports_and_formats():
    extra = {"supports": ["sizeByConfinedWh"], "formats": ["png", "gif"]}
    assert image_url(info2(0, extra=extra))[0] == f"{BASE}/2/img/full/!512,384/0/default.jpg"
    # Above level 0, a profile listing formats without jpg is taken at its word.
    assert image_url(info2(1, extra=extra))[0] == f"{BASE}/2/img/full/512,/0/default.png"


def test_size_limits_are_respected():
    assert choose_size(info3(2, maxWidth=400), (4000, 3000), 512) == "400,"
    # maxHeight defaults to maxWidth: a portrait image is bounded by its height.
    assert choose_size(info3(2, width=3000, height=4000, maxWidth=400), (3000, 4000), 512) == "300,"
    assert choose_size(info3(2, maxArea=100_000), (4000, 3000), 512) == "365,"
    extra = {"maxWidth": 256}
    assert choose_size(info2(1, extra=extra), (4000, 3000), 512) == "256,"
