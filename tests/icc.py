"""ICC profiles written in test code (matrix/TRC, version 2), so tests never download one.

`rgb_profile` writes the classic display-profile layout LittleCMS and every viewer read: D50-adapted colorants
(Bradford), a white point, and one tone curve per channel (a pure power or the sRGB curve).
"""

from __future__ import annotations

import struct

import numpy as np

D50 = (0.9642, 1.0, 0.8249)
D65 = (0.3127, 0.3290)
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])

#: name → (primaries, white, curve); curve is a gamma or "srgb".
SPACES = {
    "adobe-rgb": (((0.64, 0.33), (0.21, 0.71), (0.15, 0.06)), D65, 563 / 256),
    "display-p3": (((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), D65, "srgb"),
    "prophoto": (((0.7347, 0.2653), (0.1596, 0.8404), (0.0366, 0.0001)), (0.3457, 0.3585), 1.8),
    "bt2020": (((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), D65, "bt709"),
}


def _xyz(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _colorants(primaries, white) -> np.ndarray:
    columns = np.stack([_xyz(*p) for p in primaries], axis=1)
    matrix = columns * np.linalg.solve(columns, _xyz(*white))
    source, target = _BRADFORD @ _xyz(*white), _BRADFORD @ np.array(D50)
    adapt = np.linalg.inv(_BRADFORD) @ np.diag(target / source) @ _BRADFORD
    return adapt @ matrix


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(values) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in values)


def _curve_tag(curve) -> bytes:
    if curve == "srgb":  # parametric curve type 3: the sRGB transfer function
        parameters = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
        return b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(_s15(p) for p in parameters)
    if curve == "bt709":  # the inverse of BT.709's camera curve, as BT.2020 uses it
        parameters = (1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081)
        return b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(_s15(p) for p in parameters)
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(curve * 256)) + b"\0\0"


def _desc_tag(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(4 + 4 + 2 + 1 + 67)


def rgb_profile(name: str) -> bytes:
    """A matrix/TRC RGB display profile of one of `SPACES`."""
    return rgb_profile_of(*SPACES[name], name=name)


def rgb_profile_of(primaries, white, curve, name: str = "custom") -> bytes:
    """A matrix/TRC RGB display profile of the given primaries, white point and tone curve."""
    colorants = _colorants(primaries, white)
    tags = [
        (b"desc", _desc_tag(name)),
        (b"wtpt", _xyz_tag(D50)),
        (b"rXYZ", _xyz_tag(colorants[:, 0])),
        (b"gXYZ", _xyz_tag(colorants[:, 1])),
        (b"bXYZ", _xyz_tag(colorants[:, 2])),
        (b"rTRC", _curve_tag(curve)),
        (b"gTRC", _curve_tag(curve)),
        (b"bTRC", _curve_tag(curve)),
        (b"cprt", b"text\0\0\0\0public domain\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(24)
        + struct.pack(">I", 0)
        + b"".join(_s15(v) for v in D50)
        + bytes(48)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body
