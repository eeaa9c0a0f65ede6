"""The on-disk cache: palettes keyed by image content, remote bytes and their HTTP validators.

Layout under the cache directory::

    palettes/<key>.json   one palette; key = sha256(image bytes + extraction parameters + engine version)
    blobs/<sha256>        bytes fetched from the network (images, IIIF documents), by content
    remote/<sha256(url)>.json   what we know of a URL: ETag, Last-Modified, when checked, which blob

Every write goes to a temporary file in the same directory and is moved into place with `os.replace`, so a
reader (another ``-j`` worker, a build killed half-way) sees the old entry or the new one, never half of one.
Any entry that cannot be read or parsed is a miss. Nothing here knows about Sphinx.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ..engine import ENGINE_VERSION, Palette
from .urls import redact_url

#: Bumped when the layout or the entries' format changes; old entries are then simply not found.
CACHE_FORMAT = "1"


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


@dataclass(frozen=True)
class RemoteRecord:
    """What the cache knows of one URL: its validators, when it was last checked, and its bytes' hash."""

    url: str
    blob: str
    checked_at: float
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


class CacheError(OSError):
    """The cache directory cannot be written; the build goes on without storing."""


class PaletteCache:
    """A content-addressed store of palettes and remote bytes under ``directory``.

    Reads never raise: a missing, unreadable or corrupt entry is ``None``. Writes raise `CacheError`
    when the directory is not writable, so the caller can warn once and carry on.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    # palettes
    def get_palette(self, key: str) -> Palette | None:
        """The stored palette for ``key``, or ``None`` when absent or unreadable."""
        data = self._read_json(self.directory / "palettes" / f"{key}.json")
        if data is None or data.get("key") != key or not isinstance(data.get("palette"), dict):
            return None
        try:
            return Palette.from_dict(data["palette"])
        except (KeyError, TypeError, ValueError):
            return None

    def put_palette(self, key: str, palette: Palette) -> None:
        """Store ``palette`` under ``key`` atomically."""
        payload = {"key": key, "palette": palette.to_dict()}
        self._write(self.directory / "palettes" / f"{key}.json", _dump(payload))

    # remote bytes
    def get_blob(self, digest: str) -> bytes | None:
        """Bytes stored under their sha256 ``digest``; ``None`` if absent or if they do not match it."""
        if not _is_digest(digest):
            return None
        try:
            data = (self.directory / "blobs" / digest).read_bytes()
        except OSError:
            return None
        return data if content_hash(data) == digest else None

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
        data = self._read_json(self._remote_path(url))
        # The file holds the URL without credentials; the file name hashes the URL as written.
        if data is None or data.get("url") != redact_url(url):
            return None
        try:
            record = RemoteRecord(**{**data, "url": url})
        except TypeError:
            return None
        optional = (record.etag, record.last_modified, record.content_type)
        if (
            not _is_digest(record.blob)
            or isinstance(record.checked_at, bool)
            or not isinstance(record.checked_at, int | float)
            or not all(value is None or isinstance(value, str) for value in optional)
        ):
            return None
        return record

    def put_remote(self, record: RemoteRecord) -> None:
        """Store the record of a URL atomically (credentials in the URL are not written to disk)."""
        payload = asdict(record)
        payload["url"] = redact_url(record.url)
        self._write(self._remote_path(record.url), _dump(payload))

    def _remote_path(self, url: str) -> Path:
        return self.directory / "remote" / f"{hashlib.sha256(url.encode()).hexdigest()}.json"

    @staticmethod
    def _read_json(path: Path) -> dict | None:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
            try:
                # mkstemp makes files only the owner can read; a cache shared by a team or CI must not be.
                os.fchmod(fd, 0o644)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise CacheError(
                f"cannot write to the palette cache {path.parent}: {exc.strerror or exc}"
            ) from exc


def _is_digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _dump(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, indent=1).encode()
