"""The palette cache in object storage (``s3://bucket/prefix``, ``gs://``, ``az://``...), through fsspec.

Imported only when the cache location is such a URL (the ``fsspec`` extra; ``s3fs`` for ``s3://``).
Credentials and the endpoint come from where the file system's library looks for them: for S3 the usual
``AWS_*`` variables (``AWS_ENDPOINT_URL`` for a non-AWS server), or fsspec's configuration
(``FSSPEC_S3_ENDPOINT_URL``, ``~/.config/fsspec/``).

An object store makes a written object visible whole or not at all, so an entry is written with one PUT and
no temporary object. Reading an entry does not refresh its time (that would cost a write per cache hit), so
an entry's time is when it was last written: trimming removes the least recently *written* entries first.
When the store cannot be reached three times in a row it is left alone for the rest of the run: reads are
misses and writes raise `CacheError` with the reason, which the build reports once.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from .cache_store import KINDS, CacheError, StoredEntry

__all__ = ["ObjectStore"]

#: Failures in a row after which the store is not tried again in this run.
_GIVE_UP_AFTER = 3
# Where file systems keep an object's time in their listings (S3, Azure, Google Cloud, local, memory).
_TIME_FIELDS = ("LastModified", "last_modified", "updated", "mtime", "created")


class ObjectStore:
    """Entries as objects ``<prefix>/<kind>/<name>`` of the fsspec file system of ``url``."""

    refreshed_by_reads = False

    def __init__(self, url: str) -> None:
        self.location = url.rstrip("/")
        self._fs: Any = None
        self._root = ""
        self._lock = threading.Lock()
        self._failures = 0
        self._last_failure = ""

    def _file_system(self) -> tuple[Any, str]:
        with self._lock:
            if self._failures >= _GIVE_UP_AFTER:
                raise CacheError(self._last_failure)
            if self._fs is None:
                try:
                    from fsspec.core import url_to_fs
                except ImportError:
                    raise CacheError(
                        f"the palette cache {self.location} needs fsspec "
                        "(pip install 'sphinx-palette[fsspec]')"
                    ) from None
                try:
                    self._fs, root = url_to_fs(self.location)
                except (ImportError, ValueError) as exc:
                    self._failures = _GIVE_UP_AFTER
                    self._last_failure = f"the palette cache {self.location} cannot be used: {exc}"
                    raise CacheError(self._last_failure) from None
                if {"http", "https"} & set(_protocols(self._fs)):
                    self._failures = _GIVE_UP_AFTER
                    self._last_failure = (
                        f"the palette cache {self.location} cannot be written over http(s): "
                        "give a directory or an object store (s3://, gs://, az://...)"
                    )
                    raise CacheError(self._last_failure)
                self._root = root.rstrip("/")
            return self._fs, self._root

    def _failed(self, exc: BaseException) -> CacheError:
        with self._lock:
            self._failures += 1
            self._last_failure = f"the palette cache {self.location} cannot be used: {exc}"
            return CacheError(self._last_failure)

    def _succeeded(self) -> None:
        with self._lock:
            if self._failures < _GIVE_UP_AFTER:
                self._failures = 0

    def read(self, kind: str, name: str, limit: int | None = None) -> bytes | None:
        """The object's bytes (at most ``limit + 1`` fetched), or ``None``."""
        try:
            fs, root = self._file_system()
        except CacheError:
            return None
        try:
            if limit is None:
                data = fs.cat_file(f"{root}/{kind}/{name}")
            else:
                data = fs.cat_file(f"{root}/{kind}/{name}", start=0, end=limit + 1)
        except (FileNotFoundError, IsADirectoryError):
            self._succeeded()
            return None
        except Exception as exc:  # a cache read that fails for any reason is a miss
            self._failed(exc)
            return None
        self._succeeded()
        if not isinstance(data, bytes) or (limit is not None and len(data) > limit):
            return None
        return data

    def write(self, kind: str, name: str, data: bytes) -> None:
        """One PUT of the whole object: readers see the old object or the new one."""
        fs, root = self._file_system()
        try:
            fs.pipe_file(f"{root}/{kind}/{name}", data)
        except Exception as exc:  # the caller reports any failure to store, once
            raise self._failed(exc) from None
        self._succeeded()

    def touch(self, kind: str, name: str) -> None:
        """Nothing: an object's time is when it was written (a refresh would be a write per hit)."""

    def delete(self, kind: str, name: str) -> bool:
        """Remove the object; False when it was not there or cannot be removed."""
        try:
            fs, root = self._file_system()
            fs.rm_file(f"{root}/{kind}/{name}")
        except (CacheError, FileNotFoundError):
            return False
        except Exception as exc:  # trimming goes on with the other entries
            self._failed(exc)
            return False
        self._succeeded()
        return True

    def entries(self) -> list[StoredEntry]:
        """Every object directly under ``<prefix>/<kind>/``, with its size and time of writing.

        Raises `CacheError` when the store cannot be listed (``cache info`` says so; a build's trim too).
        """
        fs, root = self._file_system()
        found = []
        for kind in KINDS:
            folder = f"{root}/{kind}/"
            # Other processes write here too: never answer from this process's listing cache.
            fs.invalidate_cache(folder.rstrip("/"))
            try:
                listing = fs.find(folder, detail=True)
            except FileNotFoundError:
                continue
            except Exception as exc:  # said once by the caller
                raise self._failed(exc) from None
            for path, info in listing.items():
                name = path[len(folder) :] if path.startswith(folder) else ""
                if not name or "/" in name or info.get("type") == "directory":
                    continue
                found.append(StoredEntry(kind, name, int(info.get("size") or 0), _time_of(info)))
        self._succeeded()
        return found

    def sweep(self, older_than: float) -> tuple[int, int]:
        """Nothing to sweep: a killed writer leaves no partial object behind."""
        return 0, 0


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _time_of(info: dict) -> float:
    """Seconds since the epoch of an object's time in a listing (0 when the listing has none)."""
    for field in _TIME_FIELDS:
        value = info.get(field)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return 0.0
