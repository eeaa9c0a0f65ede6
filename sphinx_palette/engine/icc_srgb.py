"""Whether an embedded ICC profile is sRGB in all but name, so that colour management can be skipped.

Most photographs carry an sRGB profile (the 3 KB "sRGB IEC61966-2.1" above all). Building a LittleCMS
transform costs about 3 ms, more than the rest of a reduced decode, and for such a profile it moves an 8-bit
value by one step at most. The verdict comes from LittleCMS itself, on a probe image, once per profile.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyvips

#: Verdicts of `acts_as_srgb`, by digest of the profile (the few profiles of a site's images recur).
_SRGB_VERDICTS: dict[bytes, bool] = {}
_VERDICTS_KEPT = 64


def acts_as_srgb(profile: bytes) -> bool:
    """Whether LittleCMS converts 8-bit RGB in ``profile`` to sRGB moving no value by more than one step
    (every grey, every level of each primary and a 16-level grid of the cube are tried)."""
    key = hashlib.blake2b(profile, digest_size=16).digest()
    verdict = _SRGB_VERDICTS.get(key)
    if verdict is None:
        verdict = _SRGB_VERDICTS[key] = _probe_profile(profile)
        if len(_SRGB_VERDICTS) > _VERDICTS_KEPT:
            _SRGB_VERDICTS.pop(next(iter(_SRGB_VERDICTS)))
    return verdict


def _probe_colours() -> np.ndarray:
    """Every grey and every level of each primary, and a 16-level grid of the cube: ``1×N×3`` uint8."""
    ramp = np.arange(256, dtype=np.uint8)
    zeros = np.zeros_like(ramp)
    lines = [np.stack([ramp, ramp, ramp], 1)]
    lines += [np.stack([ramp if band == c else zeros for c in range(3)], 1) for band in range(3)]
    levels = np.arange(0, 256, 17, dtype=np.uint8)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    return np.concatenate([*lines, grid])[None]


def _probe_profile(profile: bytes) -> bool:
    probe = _probe_colours()
    image = pyvips.Image.new_from_array(probe).copy(interpretation="srgb")
    image.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
    try:
        converted = image.icc_transform("srgb", embedded=True, intent="relative", depth=8)
        converted = converted.cast("uchar")
        # A region fetch computes in this thread: libvips starts no workers (see `decode_vips.pixels_of`).
        raw = pyvips.Region.new(converted).fetch(0, 0, converted.width, converted.height)
        out = np.frombuffer(raw, np.uint8).reshape(probe.shape[1], converted.bands)[:, :3]
    except pyvips.Error:
        return False  # a broken profile: the transform fails the same way on the image, which is ignored
    return bool(np.abs(out.astype(np.int16) - probe[0]).max() <= 1)
