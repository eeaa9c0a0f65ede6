"""Where the palette cache keeps its entries: a local directory, or object storage through fsspec.

`PaletteCache` (`cache.py`) decides what goes in the cache and checks everything read back; a store only
keeps named byte strings. An entry is named by its kind (``palettes``, ``blobs``, ``remote``, ...) and a file
name, and a store can read one, write one whole and atomically, delete one, mark one as just used, and
list them with their sizes and times of last use.

* `LocalStore`: a directory on disk (also ``file://`` URLs). Writes go to a temporary file in the same
  folder moved into place with `os.replace`; reads refuse links, directories and special files; a read
  refreshes the file's modification time, so trimming removes the least recently *used* entries first.
* `cache_fsspec.ObjectStore`: an object store URL (``s3://bucket/prefix``, ``gs://``, ``az://``...),
  imported only when such a URL is given. An object store makes a written object visible whole or not at
  all, so there is no temporary file; reading does not refresh an object's time (that would cost a write
  per cache hit), so there the time of an entry is when it was last written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

__all__ = ["CacheError", "CacheStore", "LocalStore", "StoredEntry", "is_store_url", "open_store"]

#: The folders of the cache, one per kind of entry (derivatives: scaled copies of images written into sites;
#: files: the hashes of local image files by their status, see `file_memo`).
KINDS = ("palettes", "blobs", "remote", "derivatives", "files")

#: Temporary files older than this are leftovers of a killed writer.
STALE_TEMPORARY = 3600.0
_TEMPORARY_PREFIX = ".tmp-"
#: How much more `_read_to_end` asks for at a time once a file turns out longer than its status said.
_READ_MORE = 64 * 1024
# Errors that mean "the cache cannot be written here at all", worth one warning; anything else is repaired.
_UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT)


class CacheError(OSError):
    """The cache cannot be written; the build goes on without storing."""


class StoredEntry(NamedTuple):
    """One entry of a store: its kind, its name, its size in bytes and its time of last use (epoch s)."""

    kind: str
    name: str
    size: int
    used: float


class CacheStore(Protocol):
    """What `PaletteCache` needs of a place to keep entries. Reads never raise."""

    #: The path or URL, as shown to people.
    location: str
    #: True when `touch` refreshes an entry's time (else the time is when the entry was last written).
    refreshed_by_reads: bool

    def read(self, kind: str, name: str, limit: int | None = None) -> bytes | None:
        """The entry's bytes; ``None`` when absent, unreadable, not a plain entry or over ``limit``."""
        ...

    def write(self, kind: str, name: str, data: bytes) -> None:
        """Store the entry whole and atomically; `CacheError` when the store cannot be written."""
        ...

    def touch(self, kind: str, name: str) -> None:
        """Mark the entry as just used (a valid entry was read), where the store keeps such times."""
        ...

    def delete(self, kind: str, name: str) -> bool:
        """Remove the entry; True when something was removed."""
        ...

    def entries(self) -> list[StoredEntry]:
        """Every entry of every kind (leftovers of killed writers and anything not ours left out)."""
        ...

    def sweep(self, older_than: float) -> tuple[int, int]:
        """Remove leftovers of killed writers older than ``older_than`` s; ``(files, bytes)`` removed."""
        ...


def is_store_url(location: str | os.PathLike[str]) -> bool:
    """True for an object-storage URL (``s3://...``), False for paths and ``file://`` URLs."""
    text = os.fspath(location)
    if not isinstance(text, str) or "://" not in text:
        return False
    scheme = text.split("://", 1)[0].lower()
    return len(scheme) > 1 and scheme != "file"


def open_store(location: str | os.PathLike[str]) -> CacheStore:
    """The store for a cache path, ``file://`` URL or object-storage URL (fsspec is imported only then)."""
    text = os.fspath(location)
    if is_store_url(text):
        from .cache_fsspec import ObjectStore

        return ObjectStore(str(text))
    if isinstance(text, str) and text.lower().startswith("file://"):
        text = unquote(urlsplit(text).path)
    return LocalStore(Path(text))


class LocalStore:
    """Entries as files under ``directory/<kind>/<name>``, written atomically (temporary file + rename)."""

    refreshed_by_reads = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.location = str(directory)

    def read(self, kind: str, name: str, limit: int | None = None) -> bytes | None:
        """The bytes of a regular file (not a link, directory, FIFO or device), or ``None``."""
        opened = _open_regular(self._path(kind, name))
        if opened is None:
            return None
        fd, info = opened
        try:
            if limit is not None and info.st_size > limit:
                return None
            data = _read_to_end(fd, info.st_size, limit)
        except OSError:
            return None
        finally:
            os.close(fd)
        return None if limit is not None and len(data) > limit else data

    def head(self, kind: str, name: str, size: int) -> bytes | None:
        """The first ``size`` bytes (or fewer) of a regular file, or ``None``, as `read` would find it."""
        opened = _open_regular(self._path(kind, name))
        if opened is None:
            return None
        try:
            return os.read(opened[0], size)
        except OSError:
            return None
        finally:
            os.close(opened[0])

    def touch(self, kind: str, name: str) -> None:
        """Mark the entry as just used."""
        # The modification time is the last use: trimming removes the least recently used entries first.
        with contextlib.suppress(OSError, NotImplementedError):
            os.utime(self._path(kind, name), follow_symlinks=False)

    def _path(self, kind: str, name: str) -> str:
        # A string, not a Path: entries are read several times a palette, and joining Paths costs more.
        return os.path.join(self.location, kind, name)

    def write(self, kind: str, name: str, data: bytes) -> None:
        """Write atomically; damage in the way (a directory where a file belongs...) is repaired once."""
        path = self.directory / kind / name
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

    def delete(self, kind: str, name: str) -> bool:
        """Remove the entry (a file, link or directory in its place)."""
        return _remove(self.directory / kind / name)

    def entries(self) -> list[StoredEntry]:
        """Every entry, temporary files left out."""
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
                        size = info.st_size if stat.S_ISREG(info.st_mode) else 0
                        found.append(StoredEntry(kind, item.name, size, info.st_mtime))
            except OSError:
                continue
        return found

    def sweep(self, older_than: float) -> tuple[int, int]:
        """Remove temporary files of killed writers older than ``older_than`` seconds."""
        now, files, freed = time.time(), 0, 0
        for kind in KINDS:
            folder = self.directory / kind
            try:
                names = [n for n in os.listdir(folder) if n.startswith(_TEMPORARY_PREFIX)]
            except OSError:
                continue
            for name in names:
                try:
                    info = os.lstat(folder / name)
                except OSError:
                    continue
                if now - info.st_mtime > older_than and _remove(folder / name):
                    files += 1
                    freed += info.st_size
        return files, freed


def _read_to_end(fd: int, size: int, limit: int | None) -> bytes:
    """The bytes of the open file ``fd`` of ``size`` bytes as its status gave it (more if it grew), reading no
    further than ``limit`` + 1 bytes. One read of exactly that size: asking for the limit at once would
    allocate, and fault in, a buffer of the limit's size for every small entry."""
    chunks = []
    left = None if limit is None else limit + 1
    want = size + 1  # one byte more than the size: a file that grew since is seen to
    while left is None or left > 0:
        asked = want if left is None else min(want, left)
        chunk = os.read(fd, asked)
        chunks.append(chunk)
        if left is not None:
            left -= len(chunk)
        if len(chunk) < asked:  # a regular file reads short only at its end
            break
        want = _READ_MORE
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _open_regular(path: str | Path) -> tuple[int, os.stat_result] | None:
    """A read-only descriptor of ``path`` and its status, when it is a regular file (not a link, directory,
    FIFO or device); the caller closes it. ``None`` otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return fd, info


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
