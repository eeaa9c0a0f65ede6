"""IIIF region syntax: parsing, boxes in pixels and the canonical string form."""

import pytest

from sphinx_palette.engine.region import Region, parse_region


@pytest.mark.parametrize(
    ("text", "kind", "values"),
    [
        ("full", "full", (0, 0, 0, 0)),
        ("square", "square", (0, 0, 0, 0)),
        (" full ", "full", (0, 0, 0, 0)),
        ("10,20,30,40", "pixels", (10, 20, 30, 40)),
        ("pct:10,20,30.5,40", "percent", (10, 20, 30.5, 40)),
    ],
)
def test_parse(text, kind, values):
    region = parse_region(text)
    assert region.kind == kind
    assert region.values == values


@pytest.mark.parametrize(
    ("text", "size", "box"),
    [
        ("full", (400, 300), (0, 0, 400, 300)),
        ("square", (400, 300), (50, 0, 300, 300)),
        ("square", (300, 401), (0, 50, 300, 300)),
        ("10,20,30,40", (400, 300), (10, 20, 30, 40)),
        ("350,250,100,100", (400, 300), (350, 250, 50, 50)),  # clipped to the image
        ("pct:0,0,50,50", (400, 300), (0, 0, 200, 150)),
        ("pct:10,10,80,80", (400, 300), (40, 30, 320, 240)),
        ("pct:0,0,0.1,0.1", (400, 300), (0, 0, 1, 1)),  # outward rounding keeps one pixel
        ("pct:50,50,100,100", (10, 10), (5, 5, 5, 5)),
    ],
)
def test_box(text, size, box):
    assert parse_region(text).box(*size) == box


@pytest.mark.parametrize("text", ["full", "square", "10,20,30,40", "pct:10,20,30.5,40", "pct:0,0,100,100"])
def test_str_round_trips(text):
    assert str(parse_region(text)) == text
    assert parse_region(str(parse_region(text))) == parse_region(text)


def test_full_percentage_is_full():
    assert parse_region("pct:0,0,100,100").is_full
    assert parse_region("full").is_full
    assert not parse_region("square").is_full
    assert not parse_region("0,0,10,10").is_full


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not IIIF region syntax"),
        ("nonsense", "not IIIF region syntax"),
        ("1,2,3", "not IIIF region syntax"),
        ("-1,0,10,10", "not IIIF region syntax"),
        ("pct:1,2,3", "not IIIF region syntax"),
        ("10,10,0,5", "zero width or height"),
        ("pct:0,0,50,0", "zero width or height"),
        ("pct:100,0,10,10", "starts outside"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_region(text)


def test_region_outside_the_image_is_an_error():
    with pytest.raises(ValueError, match="outside"):
        parse_region("500,0,10,10").box(400, 300)
    with pytest.raises(ValueError, match="outside"):
        Region("pixels", (0, 300, 10, 10)).box(400, 300)
