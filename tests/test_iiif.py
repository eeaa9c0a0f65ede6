"""sphinx_palette.remote.iiif: derivative choice per compliance level, manifests, labels and credits.

Fixtures follow the Image API 2.1 / 3.0 and Presentation API 2.1 / 3.0 specifications.
"""

from __future__ import annotations

import json

import pytest

from sphinx_palette.engine.region import parse_region
from sphinx_palette.remote.fetch import FetchSettings, fetch
from sphinx_palette.remote.iiif import (
    IIIFError,
    choose_size,
    is_image_request,
    looks_like_json,
    resolve,
)
from tests.httpserver import json_response

BASE = "https://iiif.example.org/iiif"
SIZES = [
    {"width": 250, "height": 188},
    {"width": 500, "height": 375},
    {"width": 1000, "height": 750},
    {"width": 2000, "height": 1500},
]


def info2(level: int, *, sizes=None, width=4000, height=3000, extra=None, name="img") -> dict:
    """An Image API 2.1 info.json."""
    profile: list = [f"http://iiif.io/api/image/2/level{level}.json"]
    if extra:
        profile.append(extra)
    info = {
        "@context": "http://iiif.io/api/image/2/context.json",
        "@id": f"{BASE}/2/{name}",
        "protocol": "http://iiif.io/api/image",
        "width": width,
        "height": height,
        "profile": profile,
    }
    if sizes:
        info["sizes"] = sizes
    return info


def info3(level: int, *, sizes=None, width=4000, height=3000, name="img", **extra) -> dict:
    """An Image API 3.0 info.json."""
    info = {
        "@context": "http://iiif.io/api/image/3/context.json",
        "id": f"{BASE}/3/{name}",
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": f"level{level}",
        "width": width,
        "height": height,
        **extra,
    }
    if sizes:
        info["sizes"] = sizes
    return info


def no_fetch(url: str) -> object:
    raise AssertionError(f"unexpected fetch of {url}")


def image_url(info: dict, region: str | None = None, target: int = 512) -> tuple[str, bool]:
    request = resolve(
        "https://x/info.json",
        info,
        region=parse_region(region) if region else None,
        target=target,
        get_json=no_fetch,
    )
    return request.image_url, request.region_done


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


# --- recognisers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/iiif/a/full/max/0/default.jpg", True),
        ("https://x.org/iiif/a/full/full/0/default.jpg", True),
        ("https://x.org/iiif/a/pct:10,10,50,50/!512,512/90/gray.png", True),
        ("https://x.org/iiif/a/0,0,10,10/%5E512,/!0/color.webp", True),
        ("https://x.org/iiif/a/info.json", False),
        ("https://x.org/images/photo.jpg", False),
        ("/full/max/0/default.jpg", False),
    ],
)
def test_is_image_request(url, expected):
    assert is_image_request(url) is expected


def test_looks_like_json():
    assert looks_like_json(b"{}", "application/ld+json;profile=x")
    assert looks_like_json(b'\xef\xbb\xbf {"id": 1}', "text/plain")
    assert looks_like_json(b"[1]", None)
    assert not looks_like_json(b"\xff\xd8\xff", "image/jpeg")
    assert not looks_like_json(b"{", "image/png")


def test_unknown_documents_are_refused():
    with pytest.raises(IIIFError, match="not a IIIF image service or manifest"):
        resolve("https://x/a.json", {"hello": "world"}, get_json=no_fetch)
    with pytest.raises(IIIFError, match="collection"):
        resolve("https://x/c.json", {"type": "Collection", "items": []}, get_json=no_fetch)
    with pytest.raises(IIIFError):
        resolve("https://x/a.json", [1, 2], get_json=no_fetch)


# --- Presentation API -------------------------------------------------------------------------


def manifest21(infos: list[dict]) -> dict:
    """A Presentation 2.1 manifest with one canvas per image service."""
    canvases = []
    for n, info in enumerate(infos, start=1):
        service = {
            "@context": "http://iiif.io/api/image/2/context.json",
            "@id": info["@id"],
            "profile": "http://iiif.io/api/image/2/level1.json",
        }
        canvases.append(
            {
                "@id": f"https://x/c{n}",
                "@type": "sc:Canvas",
                "label": f"p. {n}",
                "width": info["width"],
                "height": info["height"],
                "images": [
                    {
                        "@type": "oa:Annotation",
                        "motivation": "sc:painting",
                        "on": f"https://x/c{n}",
                        "resource": {
                            "@id": info["@id"] + "/full/full/0/default.jpg",
                            "@type": "dctypes:Image",
                            # Canvas 2 lists its service, the others give the object.
                            "service": [service] if n == 2 else service,
                        },
                    }
                ],
            }
        )
    return {
        "@context": "http://iiif.io/api/presentation/2/context.json",
        "@id": "https://x/manifest21.json",
        "@type": "sc:Manifest",
        "label": [
            {"@value": "Le livre", "@language": "fr"},
            {"@value": "The <i>book</i>", "@language": "en"},
        ],
        "attribution": "Provided by <a href='https://lib.example'>Example Library</a> &amp; friends",
        "sequences": [{"@type": "sc:Sequence", "canvases": canvases}],
    }


def canvas3(n: int, body: dict) -> dict:
    return {
        "id": f"https://x/canvas/{n}",
        "type": "Canvas",
        "width": 4000,
        "height": 3000,
        "items": [
            {
                "id": f"https://x/page/{n}",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"https://x/anno/{n}",
                        "type": "Annotation",
                        "motivation": "painting",
                        "target": f"https://x/canvas/{n}",
                        "body": body,
                    }
                ],
            }
        ],
    }


def image_body(info: dict, *, service_as_list: bool = False, with_service: bool = True) -> dict:
    body = {"id": info["id"] + "/full/max/0/default.jpg", "type": "Image", "format": "image/jpeg"}
    if with_service:
        service = {"id": info["id"], "type": "ImageService3", "profile": "level2"}
        body["service"] = [service] if service_as_list else service
    return body


def manifest30(infos: list[dict]) -> dict:
    """A Presentation 3.0 manifest: a plain body, a Choice, a listed service, no service."""
    bodies = [
        image_body(infos[0]),
        {"type": "Choice", "items": [image_body(infos[1]), image_body(infos[0])]},
        image_body(infos[2], service_as_list=True),
        image_body(infos[3], with_service=False),
    ]
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": "https://x/manifest30.json",
        "type": "Manifest",
        "label": {"fr": ["Le livre"], "en": ["The book", "Volume 2"]},
        "requiredStatement": {
            "label": {"en": ["Attribution"]},
            "value": {"none": ["<span>Bibliothèque &eacute;tude</span>", "CC BY 4.0"]},
        },
        "items": [canvas3(n, body) for n, body in enumerate(bodies, start=1)],
    }


def fake_get_json(infos: list[dict]):
    by_url = {(i.get("id") or i["@id"]) + "/info.json": i for i in infos}
    fetched: list[str] = []

    def get_json(url: str) -> object:
        fetched.append(url)
        return by_url[url]

    return get_json, fetched


INFOS2 = [info2(1, name=f"p{n}") for n in (1, 2, 3)]
INFOS3 = [info3(2, name=f"p{n}") for n in (1, 2, 3, 4)]


@pytest.mark.parametrize(("canvas", "name"), [(1, "p1"), (2, "p2"), (3, "p3")])
def test_manifest_21_canvases(canvas, name):
    get_json, fetched = fake_get_json(INFOS2)
    request = resolve("https://x/m.json", manifest21(INFOS2), canvas=canvas, get_json=get_json)
    assert request.image_url == f"{BASE}/2/{name}/full/512,/0/default.jpg"
    assert request.region_done
    assert request.manifest_url == "https://x/m.json"
    assert request.label == "The book"
    assert request.credit == "Provided by Example Library & friends"
    assert fetched == [f"{BASE}/2/{name}/info.json"]


def test_manifest_30_canvases_choice_and_service_list():
    get_json, _ = fake_get_json(INFOS3)
    document = manifest30(INFOS3)
    urls = [resolve("https://x/m3.json", document, canvas=n, get_json=get_json).image_url for n in (1, 2, 3)]
    # Canvas 2 is a Choice: its first item (p2) wins.
    assert urls == [f"{BASE}/3/p{n}/full/512,/0/default.jpg" for n in (1, 2, 3)]


def test_manifest_30_body_without_service():
    get_json, fetched = fake_get_json(INFOS3)
    request = resolve(
        "https://x/m3.json",
        manifest30(INFOS3),
        canvas=4,
        region=parse_region("pct:0,0,50,50"),
        get_json=get_json,
    )
    assert request.image_url == f"{BASE}/3/p4/full/max/0/default.jpg"
    assert not request.region_done
    assert request.crop == parse_region("pct:0,0,50,50")
    assert fetched == []


def test_manifest_30_region_through_service():
    get_json, _ = fake_get_json(INFOS3)
    request = resolve(
        "https://x/m3.json",
        manifest30(INFOS3),
        canvas=3,
        region=parse_region("pct:10,10,50,50"),
        get_json=get_json,
    )
    assert request.image_url == f"{BASE}/3/p3/pct:10,10,50,50/512,/0/default.jpg"
    assert request.region_done


def test_manifest_30_label_and_required_statement():
    get_json, _ = fake_get_json(INFOS3)
    request = resolve("https://x/m3.json", manifest30(INFOS3), get_json=get_json)
    assert request.label == "The book; Volume 2"
    assert request.credit == "Bibliothèque étude; CC BY 4.0"


def test_label_language_fallbacks():
    get_json, _ = fake_get_json(INFOS3)
    document = manifest30(INFOS3)
    document["label"] = {"de": ["Das Buch"], "none": ["MS 42"]}
    assert resolve("u", document, get_json=get_json).label == "MS 42"
    document["label"] = {"de": ["Das Buch"], "fr": ["Le livre"]}
    assert resolve("u", document, get_json=get_json).label == "Das Buch"
    del document["label"], document["requiredStatement"]
    request = resolve("u", document, get_json=get_json)
    assert (request.label, request.credit) == (None, None)


@pytest.mark.parametrize("canvas", [5, 0])
def test_missing_canvas_is_a_clear_error(canvas):
    get_json, _ = fake_get_json(INFOS3)
    with pytest.raises(IIIFError) as info:
        resolve("https://x/m3.json", manifest30(INFOS3), canvas=canvas, get_json=get_json)
    if canvas == 5:
        assert str(info.value) == "manifest has 4 canvases; :canvas: 5 does not exist"


def test_missing_canvas_singular():
    get_json, _ = fake_get_json(INFOS2)
    document = manifest21(INFOS2[:1])
    with pytest.raises(IIIFError, match="manifest has 1 canvas; :canvas: 2 does not exist"):
        resolve("https://x/m.json", document, canvas=2, get_json=get_json)


def test_manifest_through_local_server(http_server):
    base = http_server.url("/iiif")
    info = info3(1, name="leaf", sizes=SIZES)
    info["id"] = f"{base}/leaf"
    manifest = manifest30([info, info, info, info])
    http_server.route("/iiif/leaf/info.json", json_response(info))
    http_server.route("/manifest.json", json_response(manifest))
    settings = FetchSettings(timeout=5)

    def get_json(url: str) -> object:
        return json.loads(fetch(url, settings).content or b"")

    url = http_server.url("/manifest.json")
    document = get_json(url)
    request = resolve(url, document, canvas=3, get_json=get_json)
    assert request.image_url == f"{base}/leaf/full/1000,750/0/default.jpg"
    assert [r.path for r in http_server.requests] == ["/manifest.json", "/iiif/leaf/info.json"]
