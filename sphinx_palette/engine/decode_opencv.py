"""The formats OpenCV decodes for the engine, whole: BMP, PNM/PAM, PFM, Radiance HDR and Sun raster.

Imported only when such an image is decoded. The pixel limit and the decode budget are checked from the
header first; OpenCV's log is silenced while it decodes, and its exceptions never reach a message.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import cv2
import numpy as np

from .decode_header import describe_content, image_dimensions
from .decode_limits import check_budget, check_pixel_limit, opencv_bytes_per_pixel
from .errors import PaletteError


def decode_with_opencv(data: bytes, max_pixels: int, max_bytes: int) -> np.ndarray:
    """The pixels of ``data`` as OpenCV decodes them (grey, BGR or BGRA, any depth), within the limits."""
    dimensions = image_dimensions(data)
    if dimensions is not None:
        check_pixel_limit(*dimensions, max_pixels)
        check_budget(*dimensions, dimensions[0] * dimensions[1] * opencv_bytes_per_pixel(data), max_bytes)
    try:
        with _opencv_quiet():
            pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        raise PaletteError(f"not a readable image ({describe_content(data)})") from None
    if pixels is None or pixels.size == 0:
        raise PaletteError(f"not a readable image ({describe_content(data)})")
    if dimensions is None:
        check_pixel_limit(pixels.shape[1], pixels.shape[0], max_pixels)
    return pixels


_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_level = 0


@contextlib.contextmanager
def _opencv_quiet() -> Iterator[None]:
    """Silence OpenCV's log while it decodes: a damaged file is reported once, as our `PaletteError`."""
    global _quiet_depth, _saved_level
    with _quiet_lock:
        if _quiet_depth == 0:
            _saved_level = cv2.utils.logging.getLogLevel()
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                cv2.utils.logging.setLogLevel(_saved_level)
