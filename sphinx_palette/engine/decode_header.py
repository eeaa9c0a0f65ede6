"""What an image's first bytes say, without decoding it: its size, and whether it is an image at all.

Used before anything is decoded (the pixel limit and the decode budget are checked from the size), by the
fetcher (a large body that is no image is not downloaded further) and in messages about non-images.
"""

from __future__ import annotations

import io
import re
import struct

import imagesize

_JPEG_MAGIC = b"\xff\xd8\xff"


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Read ``(width, height)`` from the image header without decoding, or ``None`` if unknown."""
    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception:  # imagesize reports most failures as -1, but a hostile header may raise
        width = height = -1
    if width <= 0 or height <= 0:
        # Formats OpenCV reads but imagesize does not: without this their size would only be known (and
        # the pixel limit enforced) after decoding.
        found = _other_header_dimensions(data)
        if found is None or min(found) <= 0:
            return None
        width, height = found
    return int(width), int(height)


_PAM_SIZE = re.compile(rb"^(WIDTH|HEIGHT)[ \t]+(\d+)", re.MULTILINE)
_PFM_SIZE = re.compile(rb"^P[Ff]\s+(\d+)\s+(\d+)\s")
_RADIANCE_SIZE = re.compile(rb"\n\n([-+])([XY]) (\d+) ([-+])([XY]) (\d+)\s")


def _other_header_dimensions(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of PAM, PFM, Radiance HDR, Sun raster and raw JPEG 2000 codestream headers."""
    head = data[:4096]
    if head.startswith(b"P7\n"):
        fields = {name: int(value) for name, value in _PAM_SIZE.findall(head)}
        if b"WIDTH" in fields and b"HEIGHT" in fields:
            return fields[b"WIDTH"], fields[b"HEIGHT"]
    elif match := _PFM_SIZE.match(head):
        return int(match[1]), int(match[2])
    elif head.startswith((b"#?RADIANCE", b"#?RGBE")):
        if match := _RADIANCE_SIZE.search(head):
            first, second = int(match[3]), int(match[6])
            # The resolution line names the slow (row) axis first; "-Y h +X w" is the usual layout.
            return (second, first) if match[2] == b"Y" else (first, second)
    elif head.startswith(b"\x59\xa6\x6a\x95") and len(head) >= 12:
        return struct.unpack(">II", head[4:12])
    elif head.startswith(b"\xff\x4f\xff\x51") and len(head) >= 24:
        # SIZ marker: image extent minus image offset, as the decoder allocates it.
        xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", head[8:24])
        return xsiz - xosiz, ysiz - yosiz
    return None


def looks_like_image(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts as a format this module decodes."""
    from .decode_jp2 import is_jpeg2000  # it imports numpy and Pillow, which a cached palette never needs
    from .decode_vips import vips_format  # libvips loads only when bytes are looked at, never on import

    if vips_format(head) is not None or is_jpeg2000(head):
        return True
    if head[:1] == b"P" and head[1:2] in (b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"f", b"F"):
        return head[2:3] in (b" ", b"\t", b"\r", b"\n")  # PNM, PAM, PFM
    return head.startswith((b"BM", b"#?RADIANCE", b"#?RGBE", b"\x59\xa6\x6a\x95"))


def describe_content(data: bytes) -> str:
    """Say in a few words what some bytes look like, for error messages about non-images."""
    head = data[:512].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "the data is an HTML page, not an image"
    if head.startswith((b"{", b"[")):
        return "the data is JSON, not an image"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:2048].lower()):
        return "SVG vector images are not supported; use a raster image"
    if head.startswith(b"%pdf"):
        return "the data is a PDF document, not an image"
    if not head:
        return f"{len(data)} bytes of white space"
    for name, test in _SIGNATURES:
        if test(data):
            return f"a {name} file that could not be decoded, probably truncated or damaged"
    # Never the bytes themselves: a message can end up on a published page.
    return f"unrecognised format, {len(data)} bytes"


_SIGNATURES = (
    ("JPEG", lambda d: d.startswith(_JPEG_MAGIC)),
    ("PNG", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ("GIF", lambda d: d.startswith((b"GIF87a", b"GIF89a"))),
    ("WebP", lambda d: d.startswith(b"RIFF") and d[8:12] == b"WEBP"),
    ("TIFF", lambda d: d.startswith((b"II*\x00", b"MM\x00*"))),
    ("JPEG 2000", lambda d: d.startswith((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51"))),
    ("AVIF", lambda d: d[4:8] == b"ftyp" and d[8:12] in (b"avif", b"avis")),
    ("HEIF", lambda d: d[4:8] == b"ftyp" and d[8:12] in (b"heic", b"heix", b"mif1", b"msf1")),
    ("BMP", lambda d: d.startswith(b"BM")),
    ("Radiance HDR", lambda d: d.startswith((b"#?RADIANCE", b"#?RGBE"))),
    ("Sun raster", lambda d: d.startswith(b"\x59\xa6\x6a\x95")),
    ("PNM", looks_like_image),  # what is left of the formats OpenCV reads: PNM, PAM, PFM
)
