"""The declared settings (`sphinx_palette.settings`) as Sphinx configuration values ``palette_<name>``.

Declared with their types, so that ``sphinx-build -D palette_timeout=5`` works; validated at
``config-inited``: a bad value, from ``conf.py`` or ``-D``, gives one ``palette.config`` warning and the
default is used. Code reads the values as a frozen `PaletteConfig` (``PaletteConfig.from_sphinx(config)``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from ..remote.cache_store import is_store_url
from ..remote.urls import add_redacted_params
from ..settings import SETTINGS, PaletteConfig, Scope, Setting
from ..warning_kinds import WARNING_TYPE, Subtype

logger = logging.getLogger(__name__)

PREFIX = "palette_"
#: What Sphinx rebuilds when a value changes: re-read documents, rewrite output, or nothing.
_REBUILD: dict[Scope, Literal["env", "html", ""]] = {"documents": "env", "output": "html", "none": ""}


_REDACT = next(s for s in SETTINGS if s.name == "redact_params")


def sphinx_name(setting: Setting) -> str:
    """The configuration value's name in ``conf.py``: ``palette_<name>``."""
    return PREFIX + setting.name


class _Default:
    """A setting's default, handed to Sphinx as a callable (which Sphinx documents for computed defaults).

    Sphinx then passes ``-D`` text through unconverted instead of guessing from the default's type (it knows
    no floats, and says "invalid number" in its own words), and `validate_config` parses it by the
    setting's own rules, with the same messages as for ``conf.py``.
    """

    def __init__(self, value: object) -> None:
        self.value = value

    def __call__(self, config: Config) -> object:
        return self.value

    def __repr__(self) -> str:
        return repr(self.value)


def add_config_values(app: Sphinx) -> None:
    """Declare every setting, with its default, its types and what a change of it rebuilds."""
    for setting in SETTINGS:
        app.add_config_value(
            sphinx_name(setting), _Default(setting.default), _REBUILD[setting.scope], types=setting.types
        )


def validate_config(app: Sphinx, config: Config) -> None:
    """Replace each invalid value by its default, with one ``palette.config`` warning each.

    A ``-D`` override is still text here: it is parsed by the setting's own rules (so ``-D
    palette_timeout=2.5`` and ``-D palette_offline=yes`` work), then checked as a ``conf.py`` value is.
    """
    overrides = getattr(config, "overrides", {})
    for setting in SETTINGS:
        name = sphinx_name(setting)
        written = overrides.get(name)
        if isinstance(written, str):
            value: object = written
            try:
                value = setting.parse(written)
            except ValueError:
                pass
            else:
                # What the user asked for, typed; Sphinx's own conversion does not know floats or words.
                config[name] = value
        else:
            value = getattr(config, name)
        if setting.accepts(value):
            continue
        logger.warning(setting.rejection(name, value), type=WARNING_TYPE, subtype=Subtype.CONFIG)
        config[name] = setting.default
    # Redaction is process-wide and only grows, so nothing shown or stored after this point leaks them.
    add_redacted_params(config[sphinx_name(_REDACT)])
    # Palettes can be numbered and referenced with :numref: like figures.
    config.numfig_format = {"palette": "Palette %s", **(config.numfig_format or {})}


#: The default cache, beside ``conf.py``: one per project, whatever the builder or output directory.
DEFAULT_CACHE = ".palette-cache"


def cache_directory(app: Sphinx, config: PaletteConfig) -> Path | str:
    """The cache directory: ``palette_cache_dir`` relative to the conf dir, else ``.palette-cache`` there.

    An object-storage URL (``s3://bucket/prefix``) is returned as it is.

    One cache per project, shared by every builder (``-b latex`` after ``-b html`` computes nothing) and
    outside every output directory, so no builder packs it (epub). Only when the configuration directory is
    read-only does it fall back to the doctree directory.
    """
    if config.cache_dir and is_store_url(config.cache_dir):
        return config.cache_dir
    if config.cache_dir:
        return Path(app.confdir, config.cache_dir).resolve()
    default = Path(app.confdir, DEFAULT_CACHE)
    if default.is_dir() or os.access(app.confdir, os.W_OK):
        return default.resolve()
    return Path(app.doctreedir, "palette-cache")
