"""The one line every front end prints at the end of a build: how many palettes, and where they came from."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["summary_line"]


def summary_line(origins: Iterable[str]) -> str:
    """``palette: N palettes (C computed, H from cache, F failed)`` for the origins of a site's palettes.

    ``origins`` are ``"computed"``, ``"cache"`` or ``"failed"``, one per palette directive (an option error
    is a failure too). "palette" is singular for one palette.
    """
    chosen = list(origins)
    noun = "palette" if len(chosen) == 1 else "palettes"
    return (
        f"palette: {len(chosen)} {noun} ({chosen.count('computed')} computed, "
        f"{chosen.count('cache')} from cache, {chosen.count('failed')} failed)"
    )
