"""Which local image paths a documentation build may read: the project's, and the folders allowed on purpose.

An author's ``.. palette:: ../../../../etc/passwd`` must not read the file, let alone publish anything of
it. A path is compared after resolving it (``..`` and symlinks followed) with the source directory and the
``palette_allowed_paths`` folders, resolved the same way. The refusal says the same whether or not the file
exists, so it cannot be used to learn which files exist outside the project. Framework-free: any front end
(Sphinx, MkDocs) passes its own root.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["allowed_roots", "is_inside", "refusal", "shown_path"]


def allowed_roots(
    source_dir: str | os.PathLike[str], allowed: Iterable[str | os.PathLike[str]]
) -> list[Path]:
    """The source directory and every allowed folder, resolved; relative folders start at ``source_dir``."""
    base = Path(os.path.realpath(source_dir))
    return [base, *(Path(os.path.realpath(base / Path(folder).expanduser())) for folder in allowed)]


def is_inside(path: str | os.PathLike[str], roots: Iterable[Path]) -> bool:
    """True when ``path``, resolved with symlinks followed, is one of ``roots`` or lies below one."""
    real = Path(os.path.realpath(path))
    return any(real == root or real.is_relative_to(root) for root in roots)


def refusal(written: str, setting: str = "palette_allowed_paths") -> str:
    """The message for a path outside the project: the path as written, never anything read from it."""
    return (
        f"image path {written} is outside the project, so it is not read: images must lie in the source "
        f"directory, or in a folder listed in {setting}"
    )


def shown_path(path: str | os.PathLike[str], source_dir: str | os.PathLike[str]) -> str:
    """``path`` relative to the source directory when it lies inside it (no machine paths in pages)."""
    real, base = Path(os.path.realpath(path)), Path(os.path.realpath(source_dir))
    return real.relative_to(base).as_posix() if real.is_relative_to(base) else str(real)
