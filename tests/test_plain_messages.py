"""The messages a build shows about bad input: plain words, rounded figures, causes in full, and never the
words of a library (OpenCV, the JSON parser, idna, Python's own exceptions)."""

from __future__ import annotations

import numpy as np
import pytest

from sphinx_palette import PaletteError, extract_palette
from sphinx_palette.engine.decode_limits import check_budget, check_pixel_limit
from sphinx_palette.remote import iiif
from sphinx_palette.remote.fetch_model import size_in_words
from sphinx_palette.remote.urls import url_problem
from tests import pipeline_helpers
from tests.httpserver import Response
from tests.pipeline_helpers import request, service_for

cache_dir = pipeline_helpers.cache_dir


@pytest.mark.parametrize(
    ("width", "height", "limit", "expected"),
    [
        (50_000, 50_000, 2_000_000_000, "2,500 megapixels, over the limit of 2,000 megapixels"),
        (9_990, 10_000, 20_000_000, "99.9 megapixels, over the limit of 20 megapixels"),
        (100, 100, 5_000, "0.01 megapixels, over the limit of 0.005 megapixels"),
    ],
)
def test_megapixels_are_rounded(width, height, limit, expected):
    with pytest.raises(PaletteError) as info:
        check_pixel_limit(width, height, limit)
    assert str(info.value) == f"the image is {width}×{height} = {expected}"


def test_budget_sizes_are_rounded():
    with pytest.raises(PaletteError, match=r"about 7\.2 GiB of memory, over the decode budget of 1 GiB$"):
        check_budget(9000, 9000, int(7.2 * 2**30), 2**30)
    with pytest.raises(PaletteError, match=r"about 20 MiB of memory, over the decode budget of 16 MiB$"):
        check_budget(100, 100, 20 * 2**20 + 12345, 16 * 2**20)


def test_download_sizes_in_words():
    assert [size_in_words(n) for n in (900, 4096, 12_400, 50_000_000, 2 * 1024**3)] == [
        "900 bytes",
        "4.1 kB",
        "12.4 kB",
        "50 MB",
        "2.15 GB",
    ]


def test_region_wholly_outside_the_image_says_so():
    with pytest.raises(PaletteError, match=r"^:region: 500,0,10,10 lies wholly outside the 60×40 image$"):
        extract_palette(np.zeros((40, 60, 3), np.uint8), 2, region="500,0,10,10")


def test_bytes_in_no_known_format_never_reach_opencv():
    with pytest.raises(PaletteError) as info:
        extract_palette(bytes(3_000_000) + b"\x01")
    assert str(info.value) == "not a readable image (unrecognised format, 3000001 bytes)"


def test_broken_json_says_where_not_what_the_parser_said(http_server, cache_dir):
    http_server.route(
        "/manifest.json", Response(headers={"Content-Type": "application/json"}, body=b'{"items": [1, 2,]}')
    )
    url = http_server.url("/manifest.json")
    result = service_for(cache_dir).from_url(url, request(url))
    assert result.subtype == "iiif"
    assert result.error == f"{url} is not valid JSON (the first error is at line 1, column 17)"


def test_a_iiif_document_of_unforeseen_shape_is_described_in_words(http_server, cache_dir, monkeypatch):
    http_server.route("/manifest.json", Response(headers={"Content-Type": "application/json"}, body=b"{}"))

    def unforeseen(*args, **kwargs):
        return {}.get("items").get("first")  # AttributeError: 'NoneType' object has no attribute 'get'

    monkeypatch.setattr(iiif, "resolve", unforeseen)
    url = http_server.url("/manifest.json")
    result = service_for(cache_dir).from_url(url, request(url))
    assert result.error == (
        f"{url} cannot be read as a IIIF document "
        "(its structure is not that of a IIIF manifest or image service)"
    )


def test_international_host_name_problem_without_the_codec_internals():
    problem = url_problem("https://a☃b.example/x.png")
    assert problem == "the host name 'a☃b.example' is not a valid international domain name"
