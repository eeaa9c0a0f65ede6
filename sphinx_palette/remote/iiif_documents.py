"""The shape of IIIF Presentation and Image documents: types, ids, canvases, painted images, language maps.

Pure, forgiving readers shared by `iiif` (one manifest to one image) and `collections` (a collection to its
manifests): a value of an unexpected shape reads as absent, never as an exception.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

__all__ = [
    "canvases_of",
    "context_of",
    "credit_of",
    "id_of",
    "image_service_of",
    "is_manifest_document",
    "listify",
    "painted_resource",
    "strings_of",
    "text_of",
    "type_of",
]


def type_of(doc: dict[str, Any]) -> str:
    """The document's ``type`` (3.0) or ``@type`` (2.x); empty when absent."""
    value = doc.get("type", doc.get("@type", ""))
    return value if isinstance(value, str) else ""


def context_of(doc: dict[str, Any]) -> str:
    """The ``@context`` URLs, joined by spaces."""
    value = doc.get("@context", "")
    if isinstance(value, list):
        return " ".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def id_of(doc: dict[str, Any]) -> str | None:
    """The ``id`` (3.0) or ``@id`` (2.x), or None."""
    value = doc.get("id", doc.get("@id"))
    return value if isinstance(value, str) and value else None


def strings_of(value: object) -> list[str]:
    """The strings of a string or a list (anything else: none)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def is_manifest_document(doc: dict[str, Any]) -> bool:
    """True for a 3.0 ``Manifest`` or a 2.1 ``sc:Manifest``."""
    return type_of(doc) in ("sc:Manifest", "Manifest")


def listify(value: object) -> list[Any]:
    """``value`` as a list: None is empty, a single value is a list of one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def canvases_of(manifest: dict[str, Any]) -> list[Any]:
    """The canvases of a manifest, in order: 2.1 ``sequences[0].canvases``, 3.0 ``items``."""
    if "sequences" in manifest:
        sequences = listify(manifest.get("sequences"))
        first = sequences[0] if sequences and isinstance(sequences[0], dict) else {}
        return listify(first.get("canvases"))
    return [item for item in listify(manifest.get("items")) if isinstance(item, dict)]


def painted_resource(canvas: dict[str, Any]) -> dict[str, Any] | None:
    """The image painted on a canvas: 2.1 ``images[].resource`` or 3.0 painting ``body``."""
    for annotation in listify(canvas.get("images")):
        if isinstance(annotation, dict) and isinstance(annotation.get("resource"), dict):
            return _pick_choice(annotation["resource"])
    for page in listify(canvas.get("items")):
        if not isinstance(page, dict):
            continue
        for annotation in listify(page.get("items")):
            if not isinstance(annotation, dict):
                continue
            if annotation.get("motivation", "painting") not in ("painting", "sc:painting"):
                continue
            bodies = [b for b in listify(annotation.get("body")) if isinstance(b, dict)]
            if bodies:
                return _pick_choice(bodies[0])
    return None


def _pick_choice(body: dict[str, Any]) -> dict[str, Any] | None:
    kind = type_of(body)
    if kind == "Choice":
        items = [i for i in listify(body.get("items")) if isinstance(i, dict)]
        return _pick_choice(items[0]) if items else None
    if kind == "oa:Choice":
        default = body.get("default")
        if isinstance(default, dict):
            return _pick_choice(default)
        items = [i for i in listify(body.get("item")) if isinstance(i, dict)]
        return _pick_choice(items[0]) if items else None
    if kind == "SpecificResource" and isinstance(body.get("source"), dict):
        return _pick_choice(body["source"])
    return body


def image_service_of(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The IIIF image service of a painted resource, or None."""
    for service in listify(resource.get("service")):
        if not isinstance(service, dict) or id_of(service) is None:
            continue
        kind = type_of(service)
        profile = " ".join(strings_of(service.get("profile")))
        if (
            kind in ("ImageService1", "ImageService2", "ImageService3")
            or "iiif.io/api/image" in context_of(service)
            or "iiif.io/api/image" in profile
        ):
            return service
    return None


def credit_of(manifest: dict[str, Any]) -> object:
    """The 3.0 ``requiredStatement`` value or the 2.1 ``attribution``, as written."""
    statement = manifest.get("requiredStatement")
    if isinstance(statement, dict):
        return statement.get("value")
    return manifest.get("attribution")


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _plain(value: str) -> str:
    if "<" in value:
        parser = _TextExtractor()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    else:
        value = html.unescape(value)
    return " ".join(value.split())


def _language_values(value: object) -> list[str]:
    """Values in the preferred language: ``en``, then no language, then the first one given."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        if "@value" in value:
            return strings_of(value.get("@value"))
        keys = list(value)
        english = [k for k in keys if k == "en"] + [k for k in keys if k.startswith("en-")]
        for key in [*english, "none", *keys[:1]]:
            if key in value:
                return strings_of(value[key])
        return []
    if isinstance(value, list):
        # Presentation 2.1: strings and {"@value", "@language"} objects side by side.
        tagged: dict[str, list[str]] = {}
        for item in value:
            if isinstance(item, str):
                tagged.setdefault("none", []).append(item)
            elif isinstance(item, dict) and isinstance(item.get("@value"), str):
                language = item.get("@language") or "none"
                tagged.setdefault(str(language), []).append(item["@value"])
        return _language_values(tagged) if tagged else []
    return []


def text_of(value: object) -> str | None:
    """Plain text of a label or a language map (English first), markup removed; None when empty."""
    parts = [_plain(v) for v in _language_values(value)]
    joined = "; ".join(p for p in _unique(parts) if p)
    return joined or None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
