"""From what the user names to the images of a batch: one `Target` per image, each once.

A source is a IIIF collection (3.0 nested, 2.1 paged), a manifest (its first or all of its canvases), an
image service, an image URL, a local file, a directory (its images, recursively), a glob pattern, an
object-storage URL or pattern (fsspec), or ``@list.txt`` / ``@list.csv`` / ``list.csv`` naming any of these.
Walking is lazy: targets come out while collections are still being read. A source that cannot be walked
gives a `Target` with an ``error``, never an exception.
"""

from __future__ import annotations

import csv
import glob
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..remote.collections import canvas_labels, is_collection, is_manifest, walk
from ..remote.iiif import IIIFError, is_image_request
from ..remote.urls import is_url, redact_url
from .storage import IMAGE_SUFFIXES, StorageError, has_glob, is_object_url, list_objects
from .targets import Target

__all__ = ["CANVAS_CHOICES", "SourceWalker"]

CANVAS_CHOICES = ("first", "all")
#: Manifests fetched at once to list their canvases (``--canvases all``), in order.
_MANIFEST_CHUNK = 64


@dataclass
class SourceWalker:
    """Expands sources into targets.

    ``get_json(url)`` fetches a IIIF document or raises `iiif.IIIFError` (the batch passes its palette
    service's, so walking shares the cache, limits and host gate). ``canvases`` is ``"first"`` or
    ``"all"``; ``column`` names the CSV column of sources (default: ``source`` if present, else the first);
    ``fetch_workers`` manifests are read at once when all canvases are wanted.
    """

    get_json: Callable[[str], object]
    canvases: str = "first"
    column: str | None = None
    fetch_workers: int = 8

    def targets(self, sources: Iterable[str]) -> Iterator[Target]:
        """Every target of ``sources``, in order, each key once."""
        seen: set[str] = set()
        for source in sources:
            for target in self._expand(source.strip(), Path.cwd(), depth=0):
                if target.key not in seen:
                    seen.add(target.key)
                    yield target

    def _expand(self, source: str, base: Path, depth: int) -> Iterator[Target]:
        if not source:
            return
        if source.startswith("@"):
            yield from self._listed(_local(source[1:], base), depth)
        elif source.lower().startswith("file://"):
            yield from self._local(unquote(urlsplit(source).path), base, depth)
        elif is_object_url(source):
            yield from self._objects(source)
        elif is_url(source):
            yield from self._url(source)
        else:
            yield from self._local(source, base, depth)

    # --- lists ---

    def _listed(self, path: Path, depth: int) -> Iterator[Target]:
        if depth > 8:
            yield Target(str(path), None, error=f"{path}: lists nested more than 8 deep")
            return
        try:
            entries = list(self._entries(path))
        except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
            yield Target(str(path), None, error=f"cannot read the list {path}: {exc}")
            return
        for entry in entries:
            yield from self._expand(entry, path.parent, depth + 1)

    def _entries(self, path: Path) -> Iterator[str]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            if path.suffix.lower() == ".csv":
                reader = csv.DictReader(handle)
                fields = reader.fieldnames or []
                column = self.column or ("source" if "source" in fields else (fields[:1] or [""])[0])
                if column not in fields:
                    raise ValueError(f"no column {column!r} (the columns are {', '.join(fields)})")
                for row in reader:
                    yield (row.get(column) or "").strip()
            else:
                for line in handle:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        yield line

    # --- local files ---

    def _local(self, source: str, base: Path, depth: int) -> Iterator[Target]:
        path = _local(source, base)
        if path.suffix.lower() == ".csv" and path.is_file():
            yield from self._listed(path, depth)
        elif has_glob(source):
            matches = sorted(p for p in glob.glob(str(path), recursive=True) if os.path.isfile(p))
            if not matches:
                yield Target(source, None, error=f"no file matches {source}")
            for match in matches:
                yield Target(match, match)
        elif path.is_dir():
            found = sorted(
                str(p) for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
            )
            if not found:
                yield Target(str(path), None, error=f"no images under the directory {path}")
            for name in found:
                yield Target(name, name)
        else:
            # A missing file becomes the service's "image file not found" row, as in a build.
            yield Target(str(path), str(path))

    def _objects(self, url: str) -> Iterator[Target]:
        try:
            found = list_objects(url)
        except StorageError as exc:
            yield Target(url, None, error=str(exc))
            return
        if not found:
            yield Target(url, None, error=f"nothing matches {url}")
        for name in found:
            yield Target(name, name)

    # --- URLs and IIIF ---

    def _url(self, url: str) -> Iterator[Target]:
        shown = redact_url(url)
        if is_image_request(url) or PurePosixPath(urlsplit(url).path).suffix.lower() in IMAGE_SUFFIXES:
            yield Target(shown, url)
            return
        try:
            document = self.get_json(url)
        except IIIFError:
            # An image, or a failure the palette service reports (once) in the row.
            yield Target(shown, url)
            return
        if is_collection(document):
            yield from self._manifests(walk(url, self.get_json, document=document))
        elif is_manifest(document) and self.canvases == "all":
            assert isinstance(document, dict)
            yield from _canvases(url, document, None, None)
        elif is_manifest(document):
            yield Target(shown, url, canvas=1, manifest=shown)
        else:
            yield Target(shown, url)

    def _manifests(self, items: Iterable) -> Iterator[Target]:
        if self.canvases == "first":
            for item in items:
                yield _manifest_target(item.manifest, item.collection, item.label, item.error)
            return
        with ThreadPoolExecutor(max(1, self.fetch_workers), thread_name_prefix="palette-walk") as pool:
            chunk: list = []
            for item in items:
                chunk.append(item)
                if len(chunk) >= _MANIFEST_CHUNK:
                    yield from self._all_canvases(pool, chunk)
                    chunk = []
            yield from self._all_canvases(pool, chunk)

    def _all_canvases(self, pool: ThreadPoolExecutor, items: list) -> Iterator[Target]:
        documents = pool.map(lambda i: _fetched(self.get_json, i.manifest), items)
        for item, (document, error) in zip(items, documents, strict=True):
            if (
                item.manifest is None
                or error is not None
                or not (isinstance(document, dict) and is_manifest(document))
            ):
                problem = item.error or error or f"{redact_url(item.manifest)} is not a IIIF manifest"
                yield _manifest_target(item.manifest, item.collection, item.label, problem)
            else:
                yield from _canvases(item.manifest, document, item.collection, item.label)


def _local(source: str, base: Path) -> Path:
    """``source`` as a path; a relative one in a list is relative to the list's folder."""
    path = Path(os.path.expanduser(source))
    return path if path.is_absolute() or base == Path.cwd() else base / path


def _fetched(get_json: Callable[[str], object], url: str | None) -> tuple[object, str | None]:
    if url is None:
        return None, None
    try:
        return get_json(url), None
    except IIIFError as exc:
        return None, str(exc)


def _manifest_target(manifest: str | None, collection: str, label: str | None, error: str | None) -> Target:
    if manifest is None:
        # A collection (or page) that could not be read: its row says so.
        return Target(redact_url(collection), None, collection=None, error=error)
    shown = redact_url(manifest)
    canvas = 1 if error is None else None
    return Target(shown, manifest, canvas, shown, redact_url(collection), label, error)


def _canvases(url: str, document: dict, collection: str | None, label: str | None) -> Iterator[Target]:
    shown = redact_url(url)
    within = collection and redact_url(collection)
    labels = canvas_labels(document)
    if not labels:
        yield Target(shown, url, None, shown, within, label, error=f"{shown}: the manifest has no canvases")
    for number, canvas_label in enumerate(labels, start=1):
        yield Target(shown, url, number, shown, within, canvas_label or label)
