"""The compute stage of the palette service: image bytes in, a palette (or why not) out.

Everything here is plain, picklable data and a module-level function, so the stage runs in this process,
in a process pool or on a Dask worker alike. The fetch stage (`PaletteService.prepare`) makes a
`ComputeTask`; `compute` turns it into `Computed`; `PaletteService.complete` stores the palette.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine import Palette, PaletteError
from ..engine.decode_limits import DEFAULT_DECODE_BYTES
from ..engine.region import Region

if TYPE_CHECKING:
    from .service import PaletteRequest, PaletteResult

__all__ = ["ComputeTask", "Computed", "FileJob", "Prepared", "compute", "region_notices"]


@dataclass(frozen=True)
class ComputeTask:
    """What to compute a palette from: the image bytes and the request's parameters.

    ``key`` is the palette's key in the content-addressed cache; ``where`` names the image in messages
    (the redacted URL or the source as written); ``content_type`` is what the server said it sent;
    ``decode_budget`` is the most memory, in bytes, the decode may take (``palette_decode_budget``).
    """

    key: str
    data: bytes
    colors: int
    sort: str
    seed: int
    region: Region | None
    where: str
    content_type: str | None = None
    emphasis: str = "balanced"
    decode_budget: int = DEFAULT_DECODE_BYTES


@dataclass(frozen=True)
class Computed:
    """The palette of a `ComputeTask`, or the message saying why there is none."""

    palette: Palette | None
    error: str | None = None


@dataclass(frozen=True)
class FileJob:
    """A local image whose palette a process on this machine resolves whole (`local_files.resolve_file`):
    the file's absolute ``path``, the ``request``, the ``cache_directory`` to look in and store into, and the
    ``decode_budget``."""

    path: str
    request: PaletteRequest
    cache_directory: str
    decode_budget: int = DEFAULT_DECODE_BYTES


@dataclass
class Prepared:
    """The outcome of the first stage: a finished ``result`` (``task`` and ``file_job`` are None), a task to
    compute, or a local file handed off whole to a process on this machine (``file_job``)."""

    result: PaletteResult
    task: ComputeTask | None = None
    file_job: FileJob | None = None


def compute(task: ComputeTask) -> Computed:
    """The palette of ``task`` (in whatever process runs this); a bad image gives ``Computed.error``."""
    from ..engine.extract import extract_palette  # the decoders load with the first palette computed

    try:
        palette = extract_palette(
            task.data,
            task.colors,
            sort=task.sort,
            seed=task.seed,
            region=task.region,
            emphasis=task.emphasis,
            decode_budget=task.decode_budget,
        )
    except PaletteError as exc:
        return Computed(None, f"{task.where}: {exc}{_hint(task.content_type, str(exc))}")
    return Computed(palette)


def region_notices(region: Region | None, size: tuple[int, int] | None) -> list[tuple[str, str]]:
    """``[("option", message)]`` when ``region`` reaches outside an image of ``size`` (as shown), else ``[]``.

    The image is the one the region is cut from: the original (a plain URL), or the full image a IIIF
    service describes, whose server or the engine clips the region to it.
    """
    if region is None or size is None:
        return []
    notice = region.outside_notice(*size)
    return [] if notice is None else [("option", notice)]


def _hint(content_type: str | None, message: str) -> str:
    """`` (the server said text/html)`` when what was sent is not labelled as an image."""
    if not content_type or content_type.startswith("image/"):
        return ""
    said = f"the server said {content_type}"
    # Decided from the content type alone, never from another module's wording of its message.
    return "" if said in message else f" ({said})"
