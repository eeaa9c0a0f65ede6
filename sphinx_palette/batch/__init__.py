"""Palettes of whole collections: the engine of ``sphinx-palette batch``, without Sphinx.

`sources` turns what the user names (IIIF collections and manifests, URLs, files, directories, globs,
object-storage URLs, lists) into `Target` items; `run` resolves them with the core's palette service
(`remote.batch.resolve_many`: same cache, engine, limits and politeness as a site build) in this process
or, through `cluster`, on a Dask cluster; `outputs` streams one row per image to JSON Lines, CSV or Parquet,
resumably.
"""

from .targets import Target

__all__ = ["Target"]
