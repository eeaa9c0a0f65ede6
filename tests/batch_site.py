"""A IIIF site on a local server for the batch tests: nested 3.0 collections, a paged 2.1 collection,
broken manifests and a slow host. Every manifest paints a small PNG whose colour depends on its number."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.httpserver import LocalHTTPServer, Response, json_response
from tests.remote_helpers import png

PALETTE = [(220, 20, 30), (20, 160, 40), (20, 40, 200), (240, 200, 20), (120, 40, 160), (30, 200, 200)]


def colour_of(number: int) -> tuple[int, int, int]:
    """The main colour of image ``number`` (a few distinct images, so the cache is shared)."""
    return PALETTE[number % len(PALETTE)]


@dataclass
class IIIFSite:
    """The documents of a site, served by ``server``; ``manifests`` lists every good manifest URL."""

    server: LocalHTTPServer
    manifests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def image(self, number: int) -> str:
        path = f"/images/{number}.png"
        self.server.route(
            path, Response(headers={"Content-Type": "image/png"}, body=png([colour_of(number)]))
        )
        return self.url(path)

    def manifest3(self, number: int, canvases: int = 1) -> str:
        path = f"/m3/{number}.json"
        items = []
        for canvas in range(1, canvases + 1):
            image = self.image(number + 1000 * (canvas - 1))
            items.append(
                {
                    "id": self.url(f"/m3/{number}/canvas/{canvas}"),
                    "type": "Canvas",
                    "label": {"en": [f"page {canvas}"]},
                    "width": 64,
                    "height": 64,
                    "items": [
                        {
                            "id": self.url(f"/m3/{number}/page/{canvas}"),
                            "type": "AnnotationPage",
                            "items": [
                                {
                                    "id": self.url(f"/m3/{number}/anno/{canvas}"),
                                    "type": "Annotation",
                                    "motivation": "painting",
                                    "body": {"id": image, "type": "Image", "format": "image/png"},
                                    "target": self.url(f"/m3/{number}/canvas/{canvas}"),
                                }
                            ],
                        }
                    ],
                }
            )
        document = {
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": self.url(path),
            "type": "Manifest",
            "label": {"en": [f"Item {number}"]},
            "items": items,
        }
        self.server.route(path, json_response(document))
        self.manifests.append(self.url(path))
        return self.url(path)

    def manifest2(self, number: int) -> str:
        path = f"/m2/{number}.json"
        image = self.image(number)
        document = {
            "@context": "http://iiif.io/api/presentation/2/context.json",
            "@id": self.url(path),
            "@type": "sc:Manifest",
            "label": f"Object {number}",
            "sequences": [
                {
                    "@type": "sc:Sequence",
                    "canvases": [
                        {
                            "@id": self.url(f"/m2/{number}/c1"),
                            "@type": "sc:Canvas",
                            "width": 64,
                            "height": 64,
                            "images": [
                                {
                                    "@type": "oa:Annotation",
                                    "motivation": "sc:painting",
                                    "resource": {"@id": image, "@type": "dctypes:Image"},
                                    "on": self.url(f"/m2/{number}/c1"),
                                }
                            ],
                        }
                    ],
                }
            ],
        }
        self.server.route(path, json_response(document))
        self.manifests.append(self.url(path))
        return self.url(path)

    def nested3(self, branches: int = 3, leaves: int = 2, per_leaf: int = 50) -> str:
        """A 3.0 collection of ``branches`` collections of ``leaves`` collections of manifests; the first
        branch is embedded, the others referenced."""
        number = 0
        top_items = []
        for branch in range(branches):
            leaf_refs = []
            for leaf in range(leaves):
                manifests = []
                for _ in range(per_leaf):
                    manifests.append(
                        {
                            "id": self.manifest3(number),
                            "type": "Manifest",
                            "label": {"en": [f"Item {number}"]},
                        }
                    )
                    number += 1
                leaf_path = f"/c3/{branch}/{leaf}.json"
                self.server.route(leaf_path, json_response(_collection3(self.url(leaf_path), manifests)))
                leaf_refs.append({"id": self.url(leaf_path), "type": "Collection", "label": {"en": ["leaf"]}})
            branch_path = f"/c3/{branch}.json"
            branch_doc = _collection3(self.url(branch_path), leaf_refs)
            if branch == 0:
                top_items.append(branch_doc)  # embedded, members and all
            else:
                self.server.route(branch_path, json_response(branch_doc))
                top_items.append({"id": self.url(branch_path), "type": "Collection"})
        # A cycle: the top collection lists itself; it is walked once.
        top_items.append({"id": self.url("/c3/top.json"), "type": "Collection"})
        self.server.route("/c3/top.json", json_response(_collection3(self.url("/c3/top.json"), top_items)))
        return self.url("/c3/top.json")

    def paged2(self, total: int = 200, per_page: int = 50) -> str:
        """A 2.1 collection of ``total`` manifests in pages of ``per_page`` (first / next)."""
        pages = (total + per_page - 1) // per_page
        for page in range(pages):
            manifests = [
                {"@id": self.manifest2(n), "@type": "sc:Manifest", "label": f"Object {n}"}
                for n in range(page * per_page, min(total, (page + 1) * per_page))
            ]
            document = {
                "@context": "http://iiif.io/api/presentation/2/context.json",
                "@id": self.url(f"/c2/page{page}.json"),
                "@type": "sc:Collection",
                "within": self.url("/c2/top.json"),
                "manifests": manifests,
            }
            if page + 1 < pages:
                document["next"] = self.url(f"/c2/page{page + 1}.json")
            self.server.route(f"/c2/page{page}.json", json_response(document))
        top = {
            "@context": "http://iiif.io/api/presentation/2/context.json",
            "@id": self.url("/c2/top.json"),
            "@type": "sc:Collection",
            "label": "Paged",
            "total": total,
            "first": self.url("/c2/page0.json"),
        }
        self.server.route("/c2/top.json", json_response(top))
        return self.url("/c2/top.json")

    def broken(self) -> str:
        """A 3.0 collection of two good manifests, a 404, invalid JSON, a manifest without canvases, and a
        sub-collection that is missing."""
        good = [self.manifest3(9000), self.manifest3(9001)]
        self.server.route(
            "/bad/invalid.json", Response(headers={"Content-Type": "application/json"}, body=b"{oops")
        )
        empty = {
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": self.url("/bad/empty.json"),
            "type": "Manifest",
            "items": [],
        }
        self.server.route("/bad/empty.json", json_response(empty))
        items = [{"id": url, "type": "Manifest"} for url in good]
        items += [
            {"id": self.url(path), "type": "Manifest"}
            for path in ("/bad/missing.json", "/bad/invalid.json", "/bad/empty.json")
        ]
        items.append({"id": self.url("/bad/gone-collection.json"), "type": "Collection"})
        self.server.route("/bad/top.json", json_response(_collection3(self.url("/bad/top.json"), items)))
        return self.url("/bad/top.json")


def _collection3(url: str, items: list) -> dict:
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": url,
        "type": "Collection",
        "label": {"en": ["collection"]},
        "items": items,
    }
