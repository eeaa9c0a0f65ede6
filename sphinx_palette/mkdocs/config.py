"""The plugin's configuration in ``mkdocs.yml``: the project's settings, validated by MkDocs.

Every setting of `sphinx_palette.settings.SETTINGS` is a plugin option of the same name (``colors``,
``sort``, ``cache_dir``, ``timeout``, ...), so a setting added there appears here by itself. A bad value
stops the build with MkDocs's own message naming the option and what it accepts::

    plugins:
      - palette:
          colors: 6
          cache_dir: .cache/plugin/palette
"""

from __future__ import annotations

import os
from typing import Any

from mkdocs.config import base, config_options

from ..remote.batch import BatchOptions
from ..remote.cache_store import is_store_url
from ..settings import SETTINGS, PaletteConfig, Setting

#: Where the cache goes when ``cache_dir`` is not set, relative to ``mkdocs.yml`` (as Material's plugins do).
DEFAULT_CACHE_DIR = ".cache/plugin/palette"


class SettingOption(config_options.BaseConfigOption[Any]):
    """A config option checked by a `Setting`: its types, its range, its message."""

    def __init__(self, setting: Setting) -> None:
        super().__init__()
        self.setting = setting
        self.default = setting.default

    def run_validation(self, value: object) -> object:
        """The value, or a `ValidationError` saying what the setting expects."""
        if value is None and self.setting.default is not None:
            return self.setting.default
        if not self.setting.accepts(value):
            raise base.ValidationError(f"expected {self.setting.expected}, not {value!r}")
        return value


def _count(low: int, high: int) -> Any:
    return lambda v: v is None or low <= v <= high


#: The batch step's concurrency (`remote.batch.BatchOptions`), for as long as `SETTINGS` does not declare
#: these names itself (a setting there takes over its name here).
BATCH_SETTINGS = (
    Setting(
        "fetch_workers",
        8,
        (int,),
        _count(1, 64),
        "an integer from 1 to 64",
        "Remote images fetched (or revalidated) at once, over all hosts.",
    ),
    Setting(
        "per_host",
        4,
        (int,),
        _count(1, 64),
        "an integer from 1 to 64",
        "Requests in flight to one host at once, at most; a 429/503 with Retry-After pauses that host.",
    ),
    Setting(
        "workers",
        None,
        (int, type(None)),
        _count(1, 256),
        "an integer from 1 to 256, or None",
        "Processes computing palettes; ``None`` for the number of CPUs, 1 to compute in the build's process.",
    ),
)
_DECLARED = {s.name for s in SETTINGS}
OPTIONS = (*SETTINGS, *(s for s in BATCH_SETTINGS if s.name not in _DECLARED))


class PaletteSettings(base.Config):
    """The plugin's options: one per project setting, in the order of `SETTINGS`, then the batch step's."""

    # MkDocs's Config starts its schema from an inherited ``_schema``; declaring it here (rather than one
    # class attribute per setting) keeps the options in step with SETTINGS.
    _schema = tuple((s.name, SettingOption(s)) for s in OPTIONS)


def batch_options(values: base.Config) -> BatchOptions:
    """How the build's batch step runs: fetch threads, per-host limit, compute processes."""
    return BatchOptions(
        fetch_workers=int(values["fetch_workers"]),
        per_host=int(values["per_host"]),
        workers=None if values["workers"] is None else int(values["workers"]),
    )


def palette_config(values: base.Config, config_dir: str) -> PaletteConfig:
    """The frozen settings of this build; a relative ``cache_dir`` is taken from ``mkdocs.yml``'s folder."""
    chosen = {s.name: values[s.name] for s in SETTINGS}
    cache_dir = chosen.get("cache_dir") or DEFAULT_CACHE_DIR
    if not is_store_url(cache_dir):
        chosen["cache_dir"] = os.path.join(config_dir, os.fspath(cache_dir))
    return PaletteConfig.from_mapping(chosen)
