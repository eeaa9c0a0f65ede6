"""The palette cache: palettes keyed by image content, remote bytes and their HTTP validators.

Layout under the cache directory, or under an object-storage prefix (``s3://bucket/prefix``)::

    palettes/<key>.json   one palette; key = sha256(image bytes + extraction parameters + engine version)
    blobs/<sha256>        bytes fetched from the network (images, IIIF documents), by content
    remote/<sha256(url)>.json   what we know of a URL: ETag, Last-Modified, when checked, which blob
    files/<sha256(path)>.json   a local image file's hash and pixel size, by its status (`file_memo`)

Where the entries live is a `cache_store.CacheStore`: a local directory (`cache_store.LocalStore`) or, for
a URL, an object store through fsspec (`cache_fsspec.ObjectStore`, imported only then). Either way a reader
(another build, a ``-j`` worker, a Dask worker, a build killed half-way) sees the old entry or the new one,
never half of one.

Trust nothing read back: every entry is checked (`records`) and anything unreadable, malformed, forged,
from another engine version, a directory, a symlink or a special file is a miss, overwritten by the next
write; a directory or file squatting where an entry or folder belongs is removed first.

The cache stays bounded: when a URL's bytes change, the blob of the old bytes is removed, and `trim` / `prune`
drop the least recently used entries (on disk reads refresh an entry's time; in object storage an entry's
time is when it was written). Nothing here knows about Sphinx.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from dataclasses import asdict
from pathlib import Path

from ..engine import ENGINE_VERSION, Palette
from ..engine.decode_header import image_dimensions
from .cache_store import KINDS, STALE_TEMPORARY, CacheError, CacheStore, LocalStore, StoredEntry, open_store
from .file_memo import REMEMBERS_FILES, ImageFacts, facts_from_record, memo_name, record_of
from .records import RemoteRecord, is_digest, palette_from_record, remote_from_record
from .urls import redact_url

__all__ = [
    "CACHE_FORMAT",
    "KINDS",
    "CacheError",
    "PaletteCache",
    "RemoteRecord",
    "StoredEntry",
    "content_hash",
    "is_cacheable",
    "palette_key",
]

#: Bumped when the layout or the entries' format changes; old entries are then simply not found.
CACHE_FORMAT = "2"

#: Largest JSON entry read back (real ones are a few kilobytes); anything bigger is not ours.
_MAX_RECORD_BYTES = 1 << 20


def content_hash(data: bytes) -> str:
    """The sha256 hex digest that names image bytes in the cache."""
    return hashlib.sha256(data).hexdigest()


def palette_key(image_hash: str, parameters: dict[str, object]) -> str:
    """Cache key of a palette: the image's hash, the extraction parameters and the engine version."""
    material = json.dumps(
        {"image": image_hash, "parameters": parameters, "engine": ENGINE_VERSION, "format": CACHE_FORMAT},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def is_cacheable(data: bytes) -> bool:
    """True for bytes the blob store takes: an image (its header gives a size) or a JSON document.

    Error pages, HTML, text and anything else a server sends instead of an image are never stored.
    """
    if image_dimensions(data) is not None:
        return True
    if data.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


class PaletteCache:
    """A content-addressed store of palettes and remote bytes at ``location``.

    ``location`` is a directory (a path or a ``file://`` URL) or an object-storage URL such as
    ``s3://bucket/prefix`` (needs the ``fsspec`` extra). Reads never raise: a missing, unreadable or invalid
    entry is ``None``. Writes raise `CacheError` only when the cache cannot be written (permissions,
    read-only, full disk, an unreachable store), so the caller can warn once and carry on; damage in the
    cache (a directory or file where an entry belongs) is repaired silently.
    """

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self.store: CacheStore = open_store(location)

    @property
    def location(self) -> str:
        """The directory or URL, as shown to people."""
        return self.store.location

    @property
    def on_disk(self) -> bool:
        """True for a cache in a directory of this machine (not in object storage)."""
        return isinstance(self.store, LocalStore)

    @property
    def directory(self) -> Path:
        """The cache directory of a cache on disk (`TypeError` for one in object storage)."""
        if not isinstance(self.store, LocalStore):
            raise TypeError(f"the palette cache {self.location} is not a local directory")
        return self.store.directory

    # palettes
    def get_palette(self, key: str) -> Palette | None:
        """The stored palette for ``key``, or ``None`` when absent or not a valid record of this engine."""
        name = f"{key}.json"
        data = self._read_json("palettes", name)
        if data is None or data.get("key") != key or data.get("engine") != ENGINE_VERSION:
            return None
        palette = palette_from_record(data.get("palette"))
        if palette is not None:
            self.store.touch("palettes", name)
        return palette

    def put_palette(self, key: str, palette: Palette) -> None:
        """Store ``palette`` under ``key`` atomically."""
        payload = {"key": key, "engine": ENGINE_VERSION, "palette": palette.to_record()}
        self.store.write("palettes", f"{key}.json", _dump(payload))

    # remote bytes
    def get_blob(self, digest: str) -> bytes | None:
        """Bytes stored under their sha256 ``digest``; ``None`` if absent or if they do not match it."""
        if not is_digest(digest):
            return None
        data = self.store.read("blobs", digest)
        if data is None or content_hash(data) != digest:
            return None
        self.store.touch("blobs", digest)
        return data

    def blob_head(self, digest: str, size: int) -> bytes | None:
        """The first ``size`` bytes of the blob ``digest`` in a cache on disk (unchecked against its hash:
        for its header, not for computing from), marked as used; ``None`` if absent or in object storage."""
        if not is_digest(digest) or not isinstance(self.store, LocalStore):
            return None
        head = self.store.head("blobs", digest, size)
        if head:
            self.store.touch("blobs", digest)
        return head or None

    def put_blob(self, data: bytes) -> str:
        """Store ``data`` by content and return its sha256."""
        digest = content_hash(data)
        # An existing blob is kept only when its bytes are right: a damaged one is replaced.
        if self.get_blob(digest) is None:
            self.store.write("blobs", digest, data)
        return digest

    # scaled copies of images (see sphinx_palette.derivatives)
    def get_derivative(self, name: str) -> bytes | None:
        """The derived image stored as ``name`` (``<sha256 prefix>-<side>.jpg``), or ``None``."""
        if not _DERIVATIVE_NAME.fullmatch(name):
            return None
        data = self.store.read("derivatives", name, _MAX_DERIVATIVE_BYTES)
        if data is not None:
            self.store.touch("derivatives", name)
        return data

    def put_derivative(self, name: str, data: bytes) -> None:
        """Store a derived image as ``name``, atomically."""
        if not _DERIVATIVE_NAME.fullmatch(name):
            raise ValueError(f"not a derivative name: {name!r}")
        self.store.write("derivatives", name, data)

    # what we know of URLs
    def get_remote(self, url: str) -> RemoteRecord | None:
        """The record of ``url``, or ``None`` when absent, unreadable or not well formed."""
        name = _remote_name(url)
        record = remote_from_record(self._read_json("remote", name), url)
        if record is not None:
            self.store.touch("remote", name)
        return record

    def put_remote(self, record: RemoteRecord) -> None:
        """Store the record of a URL atomically (credentials in the URL are not written to disk).

        When the URL's bytes changed, the blob of the old bytes is removed: a URL keeps one blob, however
        often it changes. (Another URL that served the very same bytes fetches them again when next used.)
        """
        name = _remote_name(record.url)
        previous = remote_from_record(self._read_json("remote", name), record.url)
        payload = asdict(record)
        payload["url"] = redact_url(record.url)
        self.store.write("remote", name, _dump(payload))
        if previous is not None and previous.blob != record.blob:
            self.store.delete("blobs", previous.blob)

    # what is known of local image files (see `file_memo`)
    def file_facts(self, path: str | os.PathLike[str]) -> ImageFacts | None:
        """The hash and pixel size of the local file at ``path`` as last read, if its status (size, times,
        inode, device) is still the one it was read with; ``None`` otherwise, and for a cache in object
        storage and on Windows (see `file_memo`)."""
        if not self._remembers_files():
            return None
        where = os.path.abspath(path)
        try:
            info = os.stat(where)
        except OSError:
            return None
        name = memo_name(where)
        facts = facts_from_record(self._read_json("files", name), where, info)
        if facts is not None:
            self.store.touch("files", name)
        return facts

    def remember_file(
        self, path: str | os.PathLike[str], before: os.stat_result, after: os.stat_result, facts: ImageFacts
    ) -> None:
        """Remember ``facts`` of the file at ``path``, read between the stats ``before`` and ``after``,
        unless it changed meanwhile or too recently (`file_memo.record_of`); only in a local directory.

        Never raises: remembering only saves reading the file next time, and a cache that can be read but
        not written (a shared one mounted read-only, say) must not make a warm build warn.
        """
        if not self._remembers_files():
            return
        where = os.path.abspath(path)
        record = record_of(where, before, after, facts)
        if record is not None:
            with contextlib.suppress(CacheError):
                self.store.write("files", memo_name(where), _dump(record))

    def _remembers_files(self) -> bool:
        # In object storage, fetching an entry would cost about as much as reading the image.
        return REMEMBERS_FILES and self.on_disk

    # size
    def entries(self) -> list[StoredEntry]:
        """Every entry as ``(kind, name, size, used)``, temporary files and anything not ours left out.

        Raises `CacheError` when an object store cannot be listed.
        """
        return self.store.entries()

    def trim(self, max_bytes: int | None = None, *, older_than: float | None = None) -> tuple[int, int]:
        """Remove entries unused for ``older_than`` seconds, then the least recently used ones until the
        cache holds at most ``max_bytes``; also leftovers of killed writers. Returns ``(files, bytes)``
        removed. Safe while builds use the cache: a removed entry is a miss for them. In object storage
        "used" means written (see `cache_fsspec`). Raises `CacheError` when the store cannot be listed.
        """
        now = time.time()
        files, freed = self.store.sweep(STALE_TEMPORARY)
        # Oldest first; ties by kind and name, so that two trims of the same cache agree.
        entries = sorted(self.store.entries(), key=lambda e: (e.used, e.kind, e.name))
        total = sum(entry.size for entry in entries)
        for entry in entries:
            stale = older_than is not None and now - entry.used > older_than
            if not stale and (max_bytes is None or total <= max_bytes):
                continue
            if self.store.delete(entry.kind, entry.name):
                files += 1
                freed += entry.size
            total -= entry.size
        return files, freed

    def _read_json(self, kind: str, name: str) -> dict | None:
        data = self.store.read(kind, name, _MAX_RECORD_BYTES)
        if data is None or len(data) > _MAX_RECORD_BYTES:
            return None
        try:
            # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
            value = json.loads(data, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None


_DERIVATIVE_NAME = re.compile(r"[0-9a-f]{20}-[0-9]{1,5}\.jpg")
# A derived JPEG is at most a few hundred KB; anything far larger in its place is not ours.
_MAX_DERIVATIVE_BYTES = 16 * 1024 * 1024


def _remote_name(url: str) -> str:
    return f"{hashlib.sha256(url.encode()).hexdigest()}.json"


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _dump(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, indent=1, allow_nan=False).encode()
