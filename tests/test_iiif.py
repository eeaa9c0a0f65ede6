"""sphinx_palette.remote.iiif: recognising requests and documents, manifests, labels and credits.

The derivative chosen per compliance level is tested in test_iiif_image_api.py.

Fixtures follow the Image API 2.1 / 3.0 and Presentation API 2.1 / 3.0 specifications.
"""

from __future__ import annotations

import json

import pytest

from sphinx_palette.engine.region import parse_region
from sphinx_palette.remote.fetch import FetchSettings, fetch
from sphinx_palette.remote.iiif import (
    IIIFError,
    is_image_request,
    looks_like_json,
    resolve,
)
from tests.httpserver import json_response
from tests.iiif_helpers import BASE, SIZES, info2, info3, no_fetch

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
