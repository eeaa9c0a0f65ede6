"""Object storage and other fsspec file systems (``s3://bucket/masters/*.tif``): optional, through fsspec.

Only this module imports fsspec (the ``fsspec`` extra, with ``s3fs`` for ``s3://``), and only when an
object-storage URL is used.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["StorageError", "is_object_url", "list_objects", "read_object"]

#: Suffixes a directory walk (local or in object storage) takes to be images.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".webp", ".gif", ".bmp", ".jp2", ".j2k", ".avif",
     ".pbm", ".pgm", ".ppm", ".pnm", ".exr", ".hdr"}
)  # fmt: skip
_GLOB = frozenset("*?[")


class StorageError(Exception):
    """An object cannot be listed or read; the message names it."""


def is_object_url(text: str) -> bool:
    """True for a URL of an fsspec file system other than http(s) and plain files (``s3://``, ``gs://``...)."""
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    return len(scheme) > 1 and scheme not in ("http", "https", "file")


def has_glob(text: str) -> bool:
    """True when ``text`` is a pattern (``*``, ``?`` or ``[``) rather than one name."""
    return any(char in _GLOB for char in text)


def _file_system(url: str) -> tuple[Any, str]:
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise StorageError(
            f"{url}: reading object storage needs fsspec (pip install 'sphinx-palette[fsspec]')"
        ) from None
    try:
        return url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise StorageError(f"{url}: {exc}") from None


def list_objects(url: str) -> list[str]:
    """The URLs ``url`` names, sorted: the matches of a pattern, the images under a folder, or itself."""
    fs, path = _file_system(url)
    try:
        if has_glob(path):
            found = [p for p in fs.glob(path) if not fs.isdir(p)]
        elif fs.isdir(path):
            found = [p for p in fs.find(path) if _suffix(p) in IMAGE_SUFFIXES]
        else:
            return [url]
    except OSError as exc:
        raise StorageError(f"{url}: {exc}") from None
    return sorted(fs.unstrip_protocol(p) for p in found)


def read_object(url: str, max_bytes: int) -> bytes:
    """The bytes of the object at ``url``; `StorageError` when missing, unreadable or over ``max_bytes``."""
    fs, path = _file_system(url)
    try:
        size = fs.size(path)
        if size is not None and size > max_bytes:
            raise StorageError(f"{url} is {size} bytes, over the limit of {max_bytes}")
        with fs.open(path, "rb") as handle:
            data: bytes = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise StorageError(f"{url}: no such object") from None
    except OSError as exc:
        raise StorageError(f"{url}: {exc}") from None
    if len(data) > max_bytes:
        raise StorageError(f"{url} is over the limit of {max_bytes} bytes")
    return data


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
