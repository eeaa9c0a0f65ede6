"""Colour tags that are not ICC profiles: PNG's ``cICP``, ``sRGB``, ``gAMA`` and ``cHRM`` chunks; HEIF/AVIF's
``nclx`` colour property; JPEG 2000's ``colr`` box.

PNG (third edition) ranks them ``cICP`` > ``iCCP`` > ``sRGB`` > ``cHRM``/``gAMA``; ICC profiles themselves are
applied by LittleCMS in ``decode_vips.py``. Here the other tags become a conversion of code values to linear
sRGB light: transfer function, then primaries and white point (Bradford adaptation to D65).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

_D65 = (0.3127, 0.3290)
_SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))

#: ITU-T H.273 colour primaries: code → ((red, green, blue) chromaticities, white point).
_CICP_PRIMARIES: dict[int, tuple[tuple[tuple[float, float], ...], tuple[float, float]]] = {
    1: (_SRGB_PRIMARIES, _D65),
    4: (((0.67, 0.33), (0.21, 0.71), (0.14, 0.08)), (0.310, 0.316)),
    5: (((0.64, 0.33), (0.29, 0.60), (0.15, 0.06)), _D65),
    6: (((0.630, 0.340), (0.310, 0.595), (0.155, 0.070)), _D65),
    7: (((0.630, 0.340), (0.310, 0.595), (0.155, 0.070)), _D65),
    9: (((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), _D65),
    11: (((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), (0.314, 0.351)),
    12: (((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), _D65),
}
#: ITU-T H.273 transfer characteristics this module decodes.
_CICP_TRANSFERS = {
    **dict.fromkeys((1, 6, 14, 15), "bt709"),
    4: "gamma2.2",
    5: "gamma2.8",
    8: "linear",
    13: "srgb",
    16: "pq",
    18: "hlg",
}


@dataclass(frozen=True)
class ColourTag:
    """How to turn code values in ``[0, 1]`` into linear sRGB: a transfer curve, primaries, white point."""

    transfer: str  # "srgb", "bt709", "linear", "pq", "hlg" or "gamma<exponent>"
    primaries: tuple[tuple[float, float], ...] = _SRGB_PRIMARIES
    white: tuple[float, float] = _D65
    full_range: bool = True

    @property
    def is_srgb(self) -> bool:
        """True when the conversion would change nothing (beyond rounding)."""
        same_gamut = _close(self.primaries, _SRGB_PRIMARIES) and _close((self.white,), (_D65,))
        return self.transfer == "srgb" and same_gamut


@dataclass(frozen=True)
class PngTags:
    """What a PNG says about its colours: ``tag`` to apply ourselves, ``use_icc`` to apply its ``iCCP``."""

    tag: ColourTag | None
    use_icc: bool


def png_tags(data: bytes) -> PngTags:
    """Read the colour chunks of a PNG (they all precede the image data) and rank them as PNG says."""
    chunks: dict[bytes, bytes] = {}
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind in (b"IDAT", b"IEND") or length > 1 << 24:
            break
        if kind in (b"cICP", b"sRGB", b"gAMA", b"cHRM", b"iCCP"):
            chunks.setdefault(kind, data[position + 8 : position + 8 + length])
        position += 12 + length
    cicp = chunks.get(b"cICP", b"")
    if len(cicp) == 4 and cicp[2] == 0 and cicp[0] in _CICP_PRIMARIES and cicp[1] in _CICP_TRANSFERS:
        primaries, white = _CICP_PRIMARIES[cicp[0]]
        return PngTags(ColourTag(_CICP_TRANSFERS[cicp[1]], primaries, white, bool(cicp[3])), use_icc=False)
    if b"iCCP" in chunks:
        return PngTags(None, use_icc=True)
    if b"sRGB" in chunks:
        return PngTags(None, use_icc=False)
    tag = _gama_chrm(chunks.get(b"gAMA", b""), chunks.get(b"cHRM", b""))
    return PngTags(None if tag is None or tag.is_srgb else tag, use_icc=False)


def _gama_chrm(gama: bytes, chrm: bytes) -> ColourTag | None:
    transfer, primaries, white = "srgb", _SRGB_PRIMARIES, _D65
    if len(gama) == 4 and (value := struct.unpack(">I", gama)[0]) > 0 and 0.2 <= 100_000 / value <= 5:
        transfer = f"gamma{100_000 / value:.5f}"
    if len(chrm) == 32:
        values = [v / 100_000 for v in struct.unpack(">8I", chrm)]
        candidate_white = (values[0], values[1])
        candidate = ((values[2], values[3]), (values[4], values[5]), (values[6], values[7]))
        if all(0 < x < 1 and 0 < y < 1 for x, y in (candidate_white, *candidate)):
            primaries, white = candidate, candidate_white
    tag = ColourTag(transfer, primaries, white)
    if transfer.startswith("gamma") and abs(float(transfer[5:]) - 2.2) <= 0.02:
        # gAMA 1/2.2 is how most encoders label plain sRGB; with sRGB's gamut, it is sRGB.
        tag = ColourTag("srgb", primaries, white) if ColourTag("srgb", primaries, white).is_srgb else tag
    if not _invertible(tag):
        return None
    return tag


def jp2_icc_profile(data: bytes) -> bytes | None:
    """The ICC profile of a JP2 file's ``colr`` box (methods 2 and 3), or ``None``."""
    box = _find_box(data, 0, len(data), b"jp2h")
    if box is None:
        return None
    colr = _find_box(data, box[0], box[1], b"colr")
    if colr is None or colr[1] - colr[0] < 4 or data[colr[0]] not in (2, 3):
        return None
    return data[colr[0] + 3 : colr[1]] or None


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(kind, content start, content end)`` of each ISO media or JP2 box between ``start`` and ``end``."""
    position = start
    while position + 8 <= end:
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if length == 1 and position + 16 <= end:
            length, header = struct.unpack(">Q", data[position + 8 : position + 16])[0], 16
        elif length == 0:
            length = end - position
        if length < header:
            return
        yield kind, position + header, min(end, position + length)
        position += length


def _find_box(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """``(content start, content end)`` of the first box of ``kind`` between ``start`` and ``end``."""
    return next(((first, last) for found, first, last in _boxes(data, start, end) if found == kind), None)


def heif_nclx_tag(data: bytes) -> ColourTag | None:
    """The colour of a HEIF/AVIF primary image given by an ``nclx`` property and no ICC profile, or ``None``.

    libheif turns the coded YCbCr into full-range RGB code values but leaves their primaries and transfer
    function (Display P3, BT.2020, PQ, HLG) as they are; this says how to convert them.
    """
    meta = _find_box(data, 0, min(len(data), 1 << 24), b"meta")
    if meta is None:
        return None
    start, end = meta[0] + 4, meta[1]  # a full box: version and flags first
    iprp = _find_box(data, start, end, b"iprp")
    if iprp is None:
        return None
    ipco = _find_box(data, iprp[0], iprp[1], b"ipco")
    properties = [] if ipco is None else list(_boxes(data, ipco[0], ipco[1]))
    colours = [data[first:last] for index, (kind, first, last) in enumerate(properties, 1)
               if kind == b"colr" and index in _primary_properties(data, start, end, iprp)]  # fmt: skip
    if not colours:  # a grid whose tiles carry the colour: they share it
        colours = [data[first:last] for kind, first, last in properties if kind == b"colr"]
    if any(colour[:4] in (b"prof", b"rICC") for colour in colours):
        return None  # an ICC profile: libvips applies it
    nclx = next((colour for colour in colours if colour[:4] == b"nclx" and len(colour) >= 11), None)
    if nclx is None:
        return None
    primaries, transfer = struct.unpack(">HH", nclx[4:8])
    gamut, white = _CICP_PRIMARIES.get(primaries, (_SRGB_PRIMARIES, _D65))
    tag = ColourTag(_CICP_TRANSFERS.get(transfer, "srgb"), gamut, white)
    return None if tag.is_srgb else tag


def _primary_properties(data: bytes, start: int, end: int, iprp: tuple[int, int]) -> set[int]:
    """The (1-based) ``ipco`` indices of the properties associated with the primary item (``pitm``)."""
    pitm, ipma = _find_box(data, start, end, b"pitm"), _find_box(data, iprp[0], iprp[1], b"ipma")
    if pitm is None or ipma is None or pitm[1] - pitm[0] < 6:
        return set()
    wide_ids = data[pitm[0]] >= 1
    primary = int.from_bytes(data[pitm[0] + 4 : pitm[0] + (8 if wide_ids else 6)], "big")
    version, flags = data[ipma[0]], int.from_bytes(data[ipma[0] + 1 : ipma[0] + 4], "big")
    position, (count,) = ipma[0] + 8, struct.unpack(">I", data[ipma[0] + 4 : ipma[0] + 8])
    id_size, index_size = (4 if version >= 1 else 2), (2 if flags & 1 else 1)
    for _ in range(min(count, 1 << 16)):
        if position + id_size + 1 > ipma[1]:
            break
        item = int.from_bytes(data[position : position + id_size], "big")
        associations = data[position + id_size]
        position += id_size + 1
        indices = [
            int.from_bytes(data[position + i * index_size : position + (i + 1) * index_size], "big")
            & (0x7FFF if index_size == 2 else 0x7F)
            for i in range(associations)
        ]
        position += associations * index_size
        if item == primary:
            return set(indices)
    return set()


def to_linear_srgb(values: np.ndarray, tag: ColourTag) -> np.ndarray:
    """Code values ``H×W×C`` in ``[0, 1]`` (C = 1 or 3) → linear sRGB light ``H×W×3``, clipped to 0–1."""
    values = np.asarray(values, dtype=np.float64)
    if not tag.full_range:
        values = (values - 16 / 255) / (219 / 255)
    linear = _decode_transfer(np.clip(values, 0.0, 1.0), tag.transfer)
    # Grey is neutral whatever the primaries.
    linear = np.repeat(linear, 3, axis=-1) if linear.shape[-1] == 1 else linear @ _to_srgb_matrix(tag).T
    return np.clip(linear, 0.0, 1.0)


def _decode_transfer(v: np.ndarray, transfer: str) -> np.ndarray:
    if transfer == "srgb":
        return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    if transfer == "bt709":
        return np.where(v < 0.081, v / 4.5, ((v + 0.099) / 1.099) ** (1 / 0.45))
    if transfer == "linear":
        return v
    if transfer == "pq":
        m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
        p = v ** (1 / m2)
        nits = 10_000 * (np.maximum(p - c1, 0) / (c2 - c3 * p)) ** (1 / m1)
        return nits / 203.0  # ITU-R BT.2408 reference white maps to sRGB white
    if transfer == "hlg":
        a, b, c = 0.17883277, 0.28466892, 0.55991073
        scene = np.where(v <= 0.5, v * v / 3, (np.exp((np.maximum(v, 0.5) - c) / a) + b) / 12)
        return scene / ((np.exp((0.75 - c) / a) + b) / 12)  # 75 % signal is reference white
    return v ** float(transfer.removeprefix("gamma"))


def _xyz(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _rgb_to_xyz(primaries: tuple[tuple[float, float], ...], white: tuple[float, float]) -> np.ndarray:
    columns = np.stack([_xyz(*p) for p in primaries], axis=1)
    return columns * np.linalg.solve(columns, _xyz(*white))


_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
_XYZ_TO_SRGB = np.linalg.inv(_rgb_to_xyz(_SRGB_PRIMARIES, _D65))


def _to_srgb_matrix(tag: ColourTag) -> np.ndarray:
    source_cone = _BRADFORD @ _xyz(*tag.white)
    target_cone = _BRADFORD @ _xyz(*_D65)
    adapt = np.linalg.inv(_BRADFORD) @ np.diag(target_cone / source_cone) @ _BRADFORD
    return _XYZ_TO_SRGB @ adapt @ _rgb_to_xyz(tag.primaries, tag.white)


def _invertible(tag: ColourTag) -> bool:
    try:
        return bool(np.isfinite(_to_srgb_matrix(tag)).all())
    except np.linalg.LinAlgError:
        return False


def _close(a: tuple[tuple[float, float], ...], b: tuple[tuple[float, float], ...]) -> bool:
    return all(abs(p - q) <= 0.005 for pa, pb in zip(a, b, strict=True) for p, q in zip(pa, pb, strict=True))
