"""Small JPEG thumbnails of images, for pages that list many of them (the colour index)."""

from __future__ import annotations

import hashlib

__all__ = ["THUMBNAIL_SIDE", "make_thumbnail", "thumbnail_name"]

#: Long side of a thumbnail in pixels: twice the 120-pixel card of the colour index, for high-density screens.
THUMBNAIL_SIDE = 240
_QUALITY = 80


def thumbnail_name(data: bytes, side: int = THUMBNAIL_SIDE) -> str:
    """A file name that changes when the image or the size does: ``<sha256 prefix>-<side>.jpg``."""
    return f"{hashlib.sha256(data).hexdigest()[:20]}-{side}.jpg"


def make_thumbnail(data: bytes, side: int = THUMBNAIL_SIDE) -> tuple[bytes, int, int] | None:
    """``(jpeg bytes, width, height)`` of the image ``data`` scaled to fit ``side`` × ``side``.

    Never enlarged; EXIF orientation applied; ``None`` when OpenCV cannot decode the bytes.
    """
    import cv2  # only when a thumbnail is made: a build whose thumbnails are cached never loads OpenCV
    import numpy as np  # nor numpy

    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None or pixels.size == 0:
        return None
    height, width = pixels.shape[:2]
    scale = min(1.0, side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if scale < 1.0:
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, _QUALITY])
    if not ok:
        return None
    return encoded.tobytes(), size[0], size[1]
