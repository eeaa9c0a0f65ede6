"""IIIF collections: every manifest a Presentation 3.0 or 2.1 collection lists, nested collections included.

Pure logic, like `iiif`: documents are fetched by the ``get_json`` callable the caller supplies (the batch
command passes its palette service's, so collections go through the same cache, limits and host gate as
images). Both versions are read:

* Presentation 3.0: a ``Collection``'s ``items`` are ``Manifest`` and ``Collection`` references (or
  embedded collections with their own ``items``);
* Presentation 2.1: ``collections``, ``manifests`` and ``members`` (typed ``sc:Collection`` /
  ``sc:Manifest``), and paging: ``first`` names the first page, each page names the ``next``.

A collection that cannot be read becomes a `CollectionItem` with an ``error`` instead of ending the walk,
and a collection reached twice (a cycle, or a page listed twice) is walked once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .iiif import IIIFError
from .iiif_documents import canvases_of, id_of, listify, text_of, type_of

__all__ = ["CollectionItem", "canvas_labels", "is_collection", "is_manifest", "walk"]

#: Nested collections followed, at most: deeper ones are reported as errors (a guard against generated loops).
MAX_DEPTH = 32

_COLLECTION_TYPES = ("Collection", "sc:Collection")
_MANIFEST_TYPES = ("Manifest", "sc:Manifest")


@dataclass(frozen=True)
class CollectionItem:
    """A manifest listed by ``collection`` (its innermost collection), or, with ``error``, a collection (or a
    page of one) that could not be read; ``manifest`` is then None."""

    manifest: str | None
    collection: str
    label: str | None = None
    error: str | None = None


def is_collection(document: object) -> bool:
    """True for a IIIF Presentation collection (3.0 ``Collection``, 2.1 ``sc:Collection``)."""
    return isinstance(document, dict) and type_of(document) in _COLLECTION_TYPES


def is_manifest(document: object) -> bool:
    """True for a IIIF Presentation manifest (3.0 ``Manifest``, 2.1 ``sc:Manifest``)."""
    return isinstance(document, dict) and type_of(document) in _MANIFEST_TYPES


def canvas_labels(manifest: dict[str, Any]) -> list[str | None]:
    """The label of each canvas of ``manifest``, in order (None where a canvas has none)."""
    return [
        text_of(canvas.get("label")) if isinstance(canvas, dict) else None for canvas in canvases_of(manifest)
    ]


def walk(url: str, get_json: Callable[[str], object], *, document: object = None) -> Iterator[CollectionItem]:
    """Every manifest of the collection at ``url``, depth first in the order the documents list them.

    ``get_json(url)`` returns a parsed document or raises `iiif.IIIFError` (a failed fetch is reported
    that way too). ``document`` is the collection itself when the caller has already fetched it.
    """
    seen: set[str] = set()
    yield from _walk(url, document, get_json, seen, depth=0)


def _walk(
    url: str, document: object, get_json: Callable[[str], object], seen: set[str], depth: int
) -> Iterator[CollectionItem]:
    if url in seen:
        return
    seen.add(url)
    if depth > MAX_DEPTH:
        yield CollectionItem(None, url, error=f"collections nested more than {MAX_DEPTH} deep; not followed")
        return
    page_url: str | None = url
    while page_url is not None:
        if document is None:
            try:
                document = get_json(page_url)
            except IIIFError as exc:
                yield CollectionItem(None, page_url, error=str(exc))
                return
        if not is_collection(document):
            yield CollectionItem(None, page_url, error=f"{page_url} is not a IIIF collection")
            return
        assert isinstance(document, dict)
        for member in _members(document):
            member_url = id_of(member)
            if member_url is None:
                continue
            if type_of(member) in _MANIFEST_TYPES:
                yield CollectionItem(member_url, url, text_of(member.get("label")))
            elif type_of(member) in _COLLECTION_TYPES:
                # An embedded collection carries its members; a reference has to be fetched.
                embedded = member if _has_members(member) else None
                yield from _walk(member_url, embedded, get_json, seen, depth + 1)
        page_url = _next_page(document, page_url, seen)
        document = None


def _members(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The member references of a collection or page, in document order (3.0 ``items``; 2.1 lists)."""
    listed: list[Any] = []
    for key in ("items", "collections", "manifests", "members"):
        listed.extend(listify(document.get(key)))
    members = []
    for member in listed:
        if isinstance(member, str):
            # 2.1 allows bare URLs in "manifests" / "collections": the list says which they are.
            kind = "sc:Collection" if member in listify(document.get("collections")) else "sc:Manifest"
            members.append({"@id": member, "@type": kind})
        elif isinstance(member, dict):
            members.append(member)
    return members


def _has_members(document: dict[str, Any]) -> bool:
    return any(document.get(key) for key in ("items", "collections", "manifests", "members", "first"))


def _next_page(document: dict[str, Any], current: str, seen: set[str]) -> str | None:
    """The URL of the page after ``document`` (2.1 ``first`` on the collection, ``next`` on a page)."""
    for key in ("first", "next"):
        value = document.get(key)
        target = id_of(value) if isinstance(value, dict) else value if isinstance(value, str) else None
        if target and target != current and target not in seen:
            seen.add(target)
            return target
    return None
