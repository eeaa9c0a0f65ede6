"""What the cache remembers of local image files: their hash and pixel size, by path and file status.

A warm build asks again for the palette of every local image, and finding it in the cache meant reading and
hashing the whole image (the cache is keyed by content). As ``make`` and ccache do, the cache now also keeps,
for each image file read, the hash and pixel size of its bytes with the file's status at the time: size,
modification and status-change times (nanoseconds), inode and device. A later look-up stats the file, and
any difference in one of those means the file is read and hashed again.

A change is never missed:

* **content**: writing a file changes its status-change time (``ctime``), which no program can set back
  (``touch -d``, ``cp -p`` or ``rsync -t`` restore the modification time, not that one). On Windows, where
  ``st_ctime`` is the creation time, a rewrite of the same size that also restores the modification time
  would go unseen, so files are not remembered there (`REMEMBERS_FILES`);
* **replacement**: a file moved or copied into place has another inode or device;
* **changes within the clock's resolution** ("racily clean" files, in git's words): a file written twice in
  the same tick of the file system's clock keeps its times. An entry is therefore written only for a file
  whose modification and status-change times are `RACY_SECONDS` or more in the past when it was read, so
  any later change falls in a later tick. A file changed just before a build is simply read again next time;
* **a file changing while it is read**: it is stat-ed before and after, and nothing is remembered unless
  both agree.

Only a cache in a local directory remembers files: in object storage, fetching the entry would cost about
as much as reading the image. Entries live under ``files/<sha256 of the path>.json`` and are checked when
read back like every other entry (`PaletteCache`: a malformed one is a miss); they are trimmed with the
rest, least recently used first.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from .records import is_digest

__all__ = [
    "RACY_SECONDS",
    "REMEMBERS_FILES",
    "ImageFacts",
    "facts_from_record",
    "file_status",
    "memo_name",
    "record_of",
]

#: A file modified less than this long before it was read is not remembered (see the module's docstring).
#: Two seconds also covers file systems with a coarse clock (FAT keeps modification times to 2 s).
RACY_SECONDS = 2.0

#: Whether files are remembered here: not on Windows, whose ``st_ctime`` is no status-change time.
REMEMBERS_FILES = sys.platform != "win32"

#: The fields of a file's status that must all be the same for an entry to hold.
_STATUS_FIELDS = ("size", "mtime_ns", "ctime_ns", "inode", "device")


@dataclass(frozen=True)
class ImageFacts:
    """What is known of image bytes: their sha256, and the size in pixels if the header gives it."""

    digest: str
    width: int | None = None
    height: int | None = None


def file_status(info: os.stat_result) -> dict[str, int]:
    """The parts of ``os.stat`` output an entry is checked against."""
    return {
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "ctime_ns": info.st_ctime_ns,
        "inode": info.st_ino,
        "device": info.st_dev,
    }


def memo_name(path: str) -> str:
    """The entry name of the file at absolute ``path``."""
    return f"{hashlib.sha256(path.encode('utf-8', 'surrogateescape')).hexdigest()}.json"


def record_of(
    path: str, before: os.stat_result, after: os.stat_result, facts: ImageFacts, now: float | None = None
) -> dict[str, Any] | None:
    """The entry to store for ``path`` read between the stats ``before`` and ``after``, or ``None`` when
    it must not be remembered (it changed while read, or too recently to tell a later change apart)."""
    status = file_status(before)
    if file_status(after) != status:
        return None
    newest = max(before.st_mtime_ns, before.st_ctime_ns)
    clock_ns = time.time_ns() if now is None else int(now * 1e9)
    if clock_ns - newest < RACY_SECONDS * 1e9:
        return None
    return {"path": path, **status, "sha256": facts.digest, "width": facts.width, "height": facts.height}


def facts_from_record(data: Any, path: str, info: os.stat_result) -> ImageFacts | None:
    """The facts of a stored entry for ``path`` whose file now has status ``info``; ``None`` unless the
    entry is well formed, names this path and the file's status is the one it was read with."""
    if not isinstance(data, dict) or data.get("path") != path:
        return None
    if set(data) != {"path", *_STATUS_FIELDS, "sha256", "width", "height"}:
        return None
    if any(type(data[field]) is not int for field in _STATUS_FIELDS):
        return None
    if {field: data[field] for field in _STATUS_FIELDS} != file_status(info):
        return None
    digest, width, height = data["sha256"], data["width"], data["height"]
    if not is_digest(digest):
        return None
    if (width is None) != (height is None):
        return None
    if width is not None and not (type(width) is int and type(height) is int and width > 0 and height > 0):
        return None
    return ImageFacts(digest, width, height)
