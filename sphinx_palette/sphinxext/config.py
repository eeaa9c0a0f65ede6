"""Configuration values: declared once, validated at ``config-inited`` (a bad value warns; default used)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from ..engine import SORTS

logger = logging.getLogger(__name__)

MAX_DIRECTIVE_COLORS = 32
WIDTHS = ("share", "equal")
OFFLINE_VARIABLE = "SPHINX_PALETTE_OFFLINE"


@dataclass(frozen=True)
class Setting:
    """One ``palette_*`` value: its default, what a change invalidates, and what makes it valid."""

    name: str
    default: object
    rebuild: Literal["", "env", "html"]
    types: tuple[type, ...]
    check: Callable[[object], bool]
    expected: str


def _number_in(low: float, high: float) -> Callable[[object], bool]:
    return lambda v: not isinstance(v, bool) and isinstance(v, (int, float)) and low <= v <= high


SETTINGS = (
    Setting(
        "palette_colors", 5, "env", (int,), _number_in(1, MAX_DIRECTIVE_COLORS), "an integer from 1 to 32"
    ),
    Setting("palette_sort", "share", "env", (str,), lambda v: v in SORTS, "one of " + ", ".join(SORTS)),
    Setting("palette_widths", "share", "env", (str,), lambda v: v in WIDTHS, "share or equal"),
    Setting("palette_cache_dir", None, "", (str, os.PathLike, type(None)), lambda v: True, "a path or None"),
    Setting("palette_timeout", 20.0, "", (int, float), _number_in(0.1, 3600), "seconds, from 0.1 to 3600"),
    Setting("palette_max_bytes", 50_000_000, "", (int,), _number_in(1024, 2**40), "bytes, at least 1024"),
    Setting("palette_remote_ttl", 86400.0, "", (int, float), _number_in(0, 10**9), "seconds, 0 or more"),
    Setting("palette_offline", False, "", (bool,), lambda v: isinstance(v, bool), "True or False"),
    Setting("palette_download", False, "env", (bool,), lambda v: isinstance(v, bool), "True or False"),
    Setting("palette_export", True, "html", (bool,), lambda v: isinstance(v, bool), "True or False"),
)


def add_config_values(app: Sphinx) -> None:
    """Declare every ``palette_*`` configuration value."""
    for setting in SETTINGS:
        app.add_config_value(setting.name, setting.default, setting.rebuild, types=setting.types)


def validate_config(app: Sphinx, config: Config) -> None:
    """Replace each invalid value by its default, with one ``palette.config`` warning each."""
    for setting in SETTINGS:
        value = getattr(config, setting.name)
        valid = isinstance(value, setting.types) and not (
            isinstance(value, bool) and bool not in setting.types
        )
        if valid and setting.check(value):
            continue
        logger.warning(
            "%s = %r is not valid (expected %s); using the default %r",
            setting.name,
            value,
            setting.expected,
            setting.default,
            type="palette",
            subtype="config",
        )
        config[setting.name] = setting.default
    # Palettes can be numbered and referenced with :numref: like figures.
    config.numfig_format = {"palette": "Palette %s", **(config.numfig_format or {})}


def cache_directory(app: Sphinx) -> Path:
    """The cache directory: ``palette_cache_dir`` relative to the conf dir, else under the doctree dir."""
    configured = app.config.palette_cache_dir
    if configured:
        return Path(app.confdir, configured).resolve()
    return Path(app.doctreedir, "palette-cache")


def is_offline(app: Sphinx) -> bool:
    """True when ``palette_offline`` is set or the environment variable asks for offline builds."""
    flag = os.environ.get(OFFLINE_VARIABLE, "").strip().lower()
    return bool(app.config.palette_offline) or flag in ("1", "true", "yes", "on")
