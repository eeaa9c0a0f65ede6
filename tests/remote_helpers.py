"""Helpers for the remote-image tests: small PNGs of known colours and IIIF documents on a local server."""

from __future__ import annotations

import cv2
import numpy as np

from tests.httpserver import RecordedRequest, Response

__all__ = ["Clock", "Origin", "info_json", "png", "top_hex"]


def png(colours: list[tuple[int, int, int]], size: int = 64) -> bytes:
    """A PNG of vertical stripes, one per RGB colour, the first one twice as wide as the others."""
    weights = [2] + [1] * (len(colours) - 1)
    total = sum(weights)
    columns = []
    for colour, weight in zip(colours, weights, strict=True):
        width = max(1, size * weight // total)
        columns.append(np.tile(np.array(colour[::-1], dtype=np.uint8), (size, width, 1)))
    ok, encoded = cv2.imencode(".png", np.concatenate(columns, axis=1))
    assert ok
    return encoded.tobytes()


def top_hex(result) -> str:
    """The hex code of a result's largest swatch."""
    assert result.palette is not None, result.error
    return max(result.palette, key=lambda s: s.share).hex


class Clock:
    """A clock the tests move by hand: ``clock()`` is the time, ``clock.advance(s)`` moves it."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def info_json(base: str, version: int, level: int, *, sizes=None, width=4000, height=3000) -> dict:
    """An Image API 2.1 or 3.0 ``info.json`` for the service at ``base``."""
    if version == 2:
        info: dict = {
            "@context": "http://iiif.io/api/image/2/context.json",
            "@id": base,
            "protocol": "http://iiif.io/api/image",
            "profile": [f"http://iiif.io/api/image/2/level{level}.json"],
        }
    else:
        info = {
            "@context": "http://iiif.io/api/image/3/context.json",
            "id": base,
            "type": "ImageService3",
            "protocol": "http://iiif.io/api/image",
            "profile": f"level{level}",
        }
    info.update(width=width, height=height)
    if sizes:
        info["sizes"] = [{"width": w, "height": h} for w, h in sizes]
    return info


class Origin:
    """An image at a URL with an ETag and Last-Modified, answering conditional requests with 304."""

    def __init__(self, colour, etag='"v1"', modified="Wed, 21 Oct 2015 07:28:00 GMT") -> None:
        self.set(colour, etag, modified)

    def set(self, colour, etag, modified="Thu, 22 Oct 2015 07:28:00 GMT") -> None:
        self.body, self.etag, self.modified = png([colour, (250, 250, 250)]), etag, modified

    def __call__(self, req: RecordedRequest) -> Response:
        if req.headers.get("If-None-Match") == self.etag:
            return Response(status=304, headers={"ETag": self.etag})
        headers = {"Content-Type": "image/png", "ETag": self.etag, "Last-Modified": self.modified}
        return Response(headers=headers, body=self.body)
