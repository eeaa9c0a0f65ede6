"""The on-disk cache: palettes keyed by image content, remote bytes and their HTTP validators.

Layout under the cache directory::

    palettes/<key>.json   one palette; key = sha256(image bytes + extraction parameters + engine version)
    blobs/<sha256>        bytes fetched from the network (images, IIIF documents), by content
    remote/<sha256(url)>.json   what we know of a URL: ETag, Last-Modified, when checked, which blob

Trust nothing read back: every entry is checked (`records`) and anything unreadable, malformed, forged,
from another engine version, a directory, a symlink or a special file is a miss, overwritten by the next
write. Every write goes to a temporary file in the same directory and is moved into place with `os.replace`,
so a reader (another build, a ``-j`` worker, a build killed half-way) sees the old entry or the new one,
never half of one; a directory or file squatting where an entry or folder belongs is removed first.

The cache stays bounded: when a URL's bytes change, the blob of the old bytes is removed, and `trim` / `prune`
drop the least recently used entries (reads refresh an entry's modification time). Nothing here knows
about Sphinx.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from ..engine import ENGINE_VERSION, Palette
from ..engine.decode import image_dimensions
from .records import RemoteRecord, is_digest, palette_from_record, remote_from_record
from .urls import redact_url

__all__ = [
    "CACHE_FORMAT",
    "KINDS",
    "CacheError",
    "PaletteCache",
    "RemoteRecord",
    "content_hash",
    "is_cacheable",
    "palette_key",
]

#: Bumped when the layout or the entries' format changes; old entries are then simply not found.
CACHE_FORMAT = "2"

#: The folders of the cache, one per kind of entry.
KINDS = ("palettes", "blobs", "remote")

#: Largest JSON entry read back (real ones are a few kilobytes); anything bigger is not ours.
_MAX_RECORD_BYTES = 1 << 20
#: Temporary files older than this are leftovers of a killed writer.
_STALE_TEMPORARY = 3600.0
_TEMPORARY_PREFIX = ".tmp-"
# Errors that mean "the cache cannot be written here at all", worth one warning; anything else is repaired.
_UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT)


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


class CacheError(OSError):
    """The cache directory cannot be written; the build goes on without storing."""


class PaletteCache:
    """A content-addressed store of palettes and remote bytes under ``directory``.

    Reads never raise: a missing, unreadable or invalid entry is ``None``. Writes raise `CacheError` only
    when the directory cannot be written (permissions, read-only, full disk), so the caller can warn once
    and carry on; damage in the cache (a directory or file where an entry belongs) is repaired silently.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    # palettes
    def get_palette(self, key: str) -> Palette | None:
        """The stored palette for ``key``, or ``None`` when absent or not a valid record of this engine."""
        path = self.directory / "palettes" / f"{key}.json"
        data = _read_json(path)
        if data is None or data.get("key") != key or data.get("engine") != ENGINE_VERSION:
            return None
        palette = palette_from_record(data.get("palette"))
        if palette is not None:
            _touch(path)
        return palette

    def put_palette(self, key: str, palette: Palette) -> None:
        """Store ``palette`` under ``key`` atomically."""
        payload = {"key": key, "engine": ENGINE_VERSION, "palette": palette.to_record()}
        self._write(self.directory / "palettes" / f"{key}.json", _dump(payload))

    # remote bytes
    def get_blob(self, digest: str) -> bytes | None:
        """Bytes stored under their sha256 ``digest``; ``None`` if absent or if they do not match it."""
        if not is_digest(digest):
            return None
        path = self.directory / "blobs" / digest
        data = _read_file(path)
        if data is None or content_hash(data) != digest:
            return None
        _touch(path)
        return data

    def put_blob(self, data: bytes) -> str:
        """Store ``data`` by content and return its sha256."""
        digest = content_hash(data)
        # An existing blob is kept only when its bytes are right: a damaged one is replaced.
        if self.get_blob(digest) is None:
            self._write(self.directory / "blobs" / digest, data)
        return digest

    # what we know of URLs
    def get_remote(self, url: str) -> RemoteRecord | None:
        """The record of ``url``, or ``None`` when absent, unreadable or not well formed."""
        record = remote_from_record(_read_json(self._remote_path(url)), url)
        if record is not None:
            _touch(self._remote_path(url))
        return record

    def put_remote(self, record: RemoteRecord) -> None:
        """Store the record of a URL atomically (credentials in the URL are not written to disk).

        When the URL's bytes changed, the blob of the old bytes is removed: a URL keeps one blob, however
        often it changes. (Another URL that served the very same bytes fetches them again when next used.)
        """
        previous = remote_from_record(_read_json(self._remote_path(record.url)), record.url)
        payload = asdict(record)
        payload["url"] = redact_url(record.url)
        self._write(self._remote_path(record.url), _dump(payload))
        if previous is not None and previous.blob != record.blob:
            _remove(self.directory / "blobs" / previous.blob)

    def _remote_path(self, url: str) -> Path:
        return self.directory / "remote" / f"{hashlib.sha256(url.encode()).hexdigest()}.json"

    # size
    def entries(self) -> list[tuple[str, Path, os.stat_result]]:
        """Every entry as ``(kind, path, stat)``, temporary files and anything not ours left out."""
        found = []
        for kind in KINDS:
            try:
                with os.scandir(self.directory / kind) as listing:
                    for item in listing:
                        if item.name.startswith(_TEMPORARY_PREFIX):
                            continue
                        try:
                            info = item.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        found.append((kind, Path(item.path), info))
            except OSError:
                continue
        return found

    def trim(self, max_bytes: int | None = None, *, older_than: float | None = None) -> tuple[int, int]:
        """Remove entries unused for ``older_than`` seconds, then the least recently used ones until the
        cache holds at most ``max_bytes``; also leftovers of killed writers. Returns ``(files, bytes)``
        removed. Safe while builds use the cache: a removed entry is a miss for them.
        """
        now = time.time()
        removed = [0, 0]

        def drop(path: Path, size: int) -> None:
            if _remove(path):
                removed[0] += 1
                removed[1] += size

        for path, info in self._temporaries():
            if now - info.st_mtime > _STALE_TEMPORARY:
                drop(path, info.st_size)
        # Oldest first; ties by path, so that two trims of the same cache agree.
        entries = sorted(self.entries(), key=lambda e: (e[2].st_mtime, str(e[1])))
        total = sum(_size(info) for _, _, info in entries)
        for _kind, path, info in entries:
            stale = older_than is not None and now - info.st_mtime > older_than
            if not stale and (max_bytes is None or total <= max_bytes):
                continue
            drop(path, _size(info))
            total -= _size(info)
        return removed[0], removed[1]

    def _temporaries(self) -> list[tuple[Path, os.stat_result]]:
        found = []
        for kind in KINDS:
            folder = self.directory / kind
            try:
                names = [n for n in os.listdir(folder) if n.startswith(_TEMPORARY_PREFIX)]
            except OSError:
                continue
            for name in names:
                try:
                    found.append((folder / name, os.lstat(folder / name)))
                except OSError:
                    continue
        return found

    def _write(self, path: Path, data: bytes) -> None:
        try:
            _write_atomically(path, data)
        except OSError as exc:
            if exc.errno in _UNWRITABLE:
                raise CacheError(
                    f"cannot write to the palette cache {path.parent}: {exc.strerror or exc}"
                ) from exc
            # Something squats where the entry or its folder belongs: clear it and try once more.
            _clear_way(self.directory, path)
            try:
                _write_atomically(path, data)
            except OSError as again:
                if again.errno in _UNWRITABLE or not self.directory.is_dir():
                    raise CacheError(
                        f"cannot write to the palette cache {path.parent}: {again.strerror or again}"
                    ) from again
                # Still in the way (another build is repairing it too): skip this entry, it is only a cache.


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMPORARY_PREFIX, suffix=path.suffix)
    try:
        # mkstemp makes files only the owner can read; a cache shared by a team or CI must not be.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _clear_way(root: Path, path: Path) -> None:
    """Remove what stands where ``path`` or its folders should be: a directory, a file, a dangling link."""
    folder = path.parent
    # A file (or a link to one) where the kind's folder belongs.
    if folder != root and (folder.is_symlink() or (folder.exists() and not folder.is_dir())):
        _remove(folder)
    if path.is_symlink() or path.is_file():
        return
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _remove(path: Path) -> bool:
    """Delete a file, link or directory tree; True when something was removed."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        return False
    return True


def _read_file(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of a regular file (not a link, directory, FIFO or device), or ``None``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (limit is not None and info.st_size > limit):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read() if limit is None else handle.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _read_json(path: Path) -> dict | None:
    data = _read_file(path, _MAX_RECORD_BYTES)
    if data is None or len(data) > _MAX_RECORD_BYTES:
        return None
    try:
        # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
        value = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _touch(path: Path) -> None:
    # The modification time is the last use: trimming removes the least recently used entries first.
    with contextlib.suppress(OSError, NotImplementedError):
        os.utime(path, follow_symlinks=False)


def _size(info: os.stat_result) -> int:
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _dump(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, indent=1, allow_nan=False).encode()
