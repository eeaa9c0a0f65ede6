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


class PaletteSettings(base.Config):
    """The plugin's options: one per project setting, in the order of `SETTINGS`."""

    # MkDocs's Config starts its schema from an inherited ``_schema``; declaring it here (rather than one
    # class attribute per setting) keeps the options in step with SETTINGS.
    _schema = tuple((s.name, SettingOption(s)) for s in SETTINGS)


def palette_config(values: base.Config, config_dir: str) -> PaletteConfig:
    """The frozen settings of this build; a relative ``cache_dir`` is taken from ``mkdocs.yml``'s folder."""
    chosen = {s.name: values[s.name] for s in SETTINGS}
    cache_dir = chosen.get("cache_dir") or DEFAULT_CACHE_DIR
    chosen["cache_dir"] = os.path.join(config_dir, os.fspath(cache_dir))
    return PaletteConfig.from_mapping(chosen)
