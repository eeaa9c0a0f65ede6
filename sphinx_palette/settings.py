"""The project-wide settings, declared once for every front end (no Sphinx, no MkDocs here).

Each `Setting` says its name, default, accepted types, what makes a value valid and what it does. The
Sphinx extension declares them as ``palette_<name>`` config values (`sphinx_palette.sphinxext.config`), the
MkDocs plugin and the batch command read the same names, and the reference documentation's table is
generated from `SETTINGS`, so the three never drift. A front end validates what the user wrote with
`Setting.accepts` (text from a command line goes through `Setting.parse` first), reports a rejected value
with `Setting.rejection`, and reads the result as one frozen `PaletteConfig`.

Adding a setting: one `Setting` in `SETTINGS` and a field of the same name in `PaletteConfig`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .engine import EMPHASES, SORTS
from .engine.decode_limits import DEFAULT_DECODE_BYTES

#: Most swatches a document may ask for (the engine allows more, for the CLI).
MAX_DIRECTIVE_COLORS = 32
WIDTHS = ("share", "equal")
#: Set to 1/true/yes/on, this environment variable makes every build offline, whatever the configuration.
OFFLINE_VARIABLE = "SPHINX_PALETTE_OFFLINE"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")

#: What a changed value makes stale: the documents that use it, only the written output, or nothing kept.
Scope = Literal["documents", "output", "none"]


@dataclass(frozen=True)
class Setting:
    """One setting: ``name`` (``palette_<name>`` in Sphinx), its default, and what makes a value valid.

    ``types`` are the accepted Python types (``bool`` is never taken for a number), ``check`` the further
    test of a value of those types, ``expected`` says in words what is valid, ``doc`` what the setting does
    (reST inline markup), ``scope`` what a change of it makes stale.
    """

    name: str
    default: object
    types: tuple[type, ...]
    check: Callable[[Any], bool]
    expected: str
    doc: str
    scope: Scope = "none"

    def accepts(self, value: object) -> bool:
        """True when ``value`` is of an accepted type and passes the check."""
        if isinstance(value, bool) and bool not in self.types:
            return False
        return isinstance(value, self.types) and self.check(value)

    def parse(self, text: str) -> object:
        """The value meant by ``text`` from a command line (``-D palette_timeout=5``).

        Raises ``ValueError`` when ``text`` is not of an accepted type; the result still needs `accepts`.
        """
        word = text.strip()
        if type(None) in self.types and word in ("", "None"):
            return None
        if list in self.types:
            return [item.strip() for item in word.split(",") if item.strip()]
        if bool in self.types:
            if word.lower() in _TRUE:
                return True
            if word.lower() in _FALSE:
                return False
            raise ValueError(text)
        if int in self.types:
            try:
                return int(word)
            except ValueError:
                if float not in self.types:
                    raise
        if float in self.types:
            return float(word)
        if type(None) in self.types and word in ("", "None"):
            return None
        return text

    def rejection(self, shown_name: str, value: object) -> str:
        """The message for a rejected value, naming the setting as the user wrote it (``shown_name``)."""
        return (
            f"{shown_name} = {value!r} is not valid (expected {self.expected}); "
            f"using the default {self.default!r}"
        )


def _number_in(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: low <= v <= high


def _always(value: object) -> bool:
    return True


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "colors",
        5,
        (int,),
        _number_in(1, MAX_DIRECTIVE_COLORS),
        f"an integer from 1 to {MAX_DIRECTIVE_COLORS}",
        f"Swatches per palette, 1 to {MAX_DIRECTIVE_COLORS}.",
        "documents",
    ),
    Setting(
        "sort",
        "share",
        (str,),
        lambda v: v in SORTS,
        "one of " + ", ".join(SORTS),
        "Default ``:sort:``.",
        "documents",
    ),
    Setting(
        "emphasis",
        "balanced",
        (str,),
        lambda v: v in EMPHASES,
        "one of " + ", ".join(EMPHASES),
        "Default ``:emphasis:``: ``balanced`` (large areas and accents), ``coverage`` (least mean colour "
        "error, the palettes of versions before 0.2) or ``vivid`` (accents first).",
        "documents",
    ),
    Setting(
        "widths",
        "share",
        (str,),
        lambda v: v in WIDTHS,
        " or ".join(WIDTHS),
        "Default ``:widths:``.",
        "documents",
    ),
    Setting(
        "cache_dir",
        None,
        (str, os.PathLike, type(None)),
        _always,
        "a path or None",
        "Where palettes and downloaded images are cached, relative to the configuration directory, or an "
        "object-storage URL (``s3://bucket/prefix``, with the ``fsspec`` extra) that builds, CI runners and "
        "``sphinx-palette batch`` share. "
        "``None``: ``.palette-cache`` beside ``conf.py``, one cache for every builder (``html``, ``latex``, "
        "``epub`` ...) that survives clean builds; add it to ``.gitignore``, or keep it in CI's cache.",
    ),
    Setting(
        "allowed_paths",
        (),
        (list, tuple),
        lambda v: all(isinstance(p, (str, os.PathLike)) for p in v),
        "a list of folder paths",
        "Folders outside the source directory from which local images may be read (relative ones are taken "
        "from the source directory). Any other path that resolves outside the source directory, ``..`` and "
        "symlinks followed, is refused with a ``palette.path`` warning and never read.",
        "documents",
    ),
    Setting(
        "timeout",
        20,
        (int, float),
        _number_in(0.1, 3600),
        "seconds, from 0.1 to 3600",
        "Seconds allowed for one remote image, everything included: the IIIF manifest and ``info.json`` "
        "before it, retries, back-off and redirects (a total deadline, never unlimited).",
    ),
    Setting(
        "max_bytes",
        50_000_000,
        (int,),
        _number_in(1024, 2**40),
        "bytes, at least 1024",
        "Largest download; a longer response is stopped there and reported.",
    ),
    Setting(
        "decode_budget",
        DEFAULT_DECODE_BYTES,
        (int,),
        _number_in(16 * 2**20, 2**40),
        "bytes, at least 16 MiB (16777216)",
        "Most memory one image may take while it is decoded, estimated from its header before decoding; "
        "an image over it is refused with a ``palette.image`` warning. It holds whatever ``max_bytes`` is. "
        "JPEG, PNG, TIFF, WebP and JPEG 2000 are decoded in far less whatever their size; under "
        "``-j N`` or with ``workers``, each process may use this much at once.",
        "documents",
    ),
    Setting(
        "remote_ttl",
        86400,
        (int, float),
        _number_in(0, 10**9),
        "seconds, 0 or more",
        "Seconds during which a fetched URL is trusted without asking the server again. After it, a "
        "conditional request (``If-None-Match`` / ``If-Modified-Since``) is sent and the documents using it "
        "are re-read.",
    ),
    Setting(
        "cache_max_bytes",
        None,
        (int, type(None)),
        lambda v: v is None or v >= 0,
        "bytes, 0 or more, or None",
        "Largest size of the cache directory. After each build the least recently used palettes and "
        "downloads are removed until it fits. ``None``: no limit (``sphinx-palette cache prune`` trims "
        "by hand).",
    ),
    Setting(
        "redact_params",
        (),
        (list, tuple),
        lambda v: all(isinstance(name, str) and name.strip() for name in v),
        "a list of query parameter names",
        "More query parameters whose values are credentials, shown as ``REDACTED`` wherever a URL is shown "
        "or stored (``token``, ``key``, ``apikey``, ``access_token``, ``sig``, ``signature``, "
        "``X-Amz-*`` and others always are). A name ending in ``*`` is a prefix. On the command line: "
        "``-D palette_redact_params=ticket,X-Acme-*``.",
    ),
    Setting(
        "offline",
        False,
        (bool,),
        _always,
        "True or False",
        "Never touch the network: use cached palettes whatever their age. The environment variable "
        f"``{OFFLINE_VARIABLE}=1`` does the same.",
    ),
    Setting(
        "remote_images",
        "copy",
        (str,),
        lambda v: v in ("copy", "link"),
        "copy or link",
        "How ``:show-image:`` shows a remote image in HTML: ``copy`` writes a scaled copy (at most "
        "1200 pixels on its long side) from the cache into the output, so https pages have no mixed content "
        "and e-books contain the image; ``link`` points at the original URL.",
        "output",
    ),
    Setting(
        "download",
        False,
        (bool,),
        _always,
        "True or False",
        "Add download links to every palette, as ``:download:`` does for one.",
        "documents",
    ),
    Setting(
        "export",
        True,
        (bool,),
        _always,
        "True or False",
        "Write every palette of the site to ``_static/palettes.json`` in HTML builds.",
        "output",
    ),
    Setting(
        "fetch_workers",
        8,
        (int,),
        _number_in(1, 256),
        "an integer from 1 to 256",
        "Remote images fetched (or revalidated) at once, over all servers.",
    ),
    Setting(
        "per_host",
        4,
        (int,),
        _number_in(1, 64),
        "an integer from 1 to 64",
        "Requests in flight to one server at once, at most. A ``429`` or ``503`` answer with "
        "``Retry-After`` pauses that server for every fetching thread.",
    ),
    Setting(
        "workers",
        None,
        (int, type(None)),
        lambda v: v is None or 1 <= v <= 256,
        "an integer from 1 to 256, or None",
        "Processes computing palettes at once; ``None``: one per CPU; ``1``: in the build's own process.",
    ),
)


_DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


@dataclass(frozen=True)
class PaletteConfig:
    """The settings of one build, validated: a frozen snapshot, safe to hand to threads and processes.

    Its fields are the names of `SETTINGS`, in the same order (a test checks it).
    """

    colors: int = _DEFAULTS["colors"]
    sort: str = _DEFAULTS["sort"]
    emphasis: str = _DEFAULTS["emphasis"]
    widths: str = _DEFAULTS["widths"]
    cache_dir: str | None = _DEFAULTS["cache_dir"]
    allowed_paths: tuple[str, ...] = ()
    timeout: float = _DEFAULTS["timeout"]
    max_bytes: int = _DEFAULTS["max_bytes"]
    decode_budget: int = _DEFAULTS["decode_budget"]
    remote_ttl: float = _DEFAULTS["remote_ttl"]
    cache_max_bytes: int | None = _DEFAULTS["cache_max_bytes"]
    redact_params: tuple[str, ...] = ()
    offline: bool = _DEFAULTS["offline"]
    remote_images: str = _DEFAULTS["remote_images"]
    download: bool = _DEFAULTS["download"]
    export: bool = _DEFAULTS["export"]
    fetch_workers: int = _DEFAULTS["fetch_workers"]
    per_host: int = _DEFAULTS["per_host"]
    workers: int | None = _DEFAULTS["workers"]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PaletteConfig:
        """The config of already validated ``values`` by setting name; missing names take their default."""
        chosen = {**_DEFAULTS, **{k: v for k, v in values.items() if k in _DEFAULTS}}
        cache_dir = chosen["cache_dir"]
        return cls(
            colors=int(chosen["colors"]),
            sort=str(chosen["sort"]),
            emphasis=str(chosen["emphasis"]),
            widths=str(chosen["widths"]),
            cache_dir=None if cache_dir is None else os.fspath(cache_dir),
            allowed_paths=tuple(os.fspath(path) for path in chosen["allowed_paths"]),
            timeout=float(chosen["timeout"]),
            max_bytes=int(chosen["max_bytes"]),
            decode_budget=int(chosen["decode_budget"]),
            remote_ttl=float(chosen["remote_ttl"]),
            cache_max_bytes=None if chosen["cache_max_bytes"] is None else int(chosen["cache_max_bytes"]),
            redact_params=tuple(str(name) for name in chosen["redact_params"]),
            offline=bool(chosen["offline"]),
            remote_images=str(chosen["remote_images"]),
            download=bool(chosen["download"]),
            export=bool(chosen["export"]),
            fetch_workers=int(chosen["fetch_workers"]),
            per_host=int(chosen["per_host"]),
            workers=None if chosen["workers"] is None else int(chosen["workers"]),
        )

    @classmethod
    def from_sphinx(cls, config: object) -> PaletteConfig:
        """The snapshot of a Sphinx ``Config`` (its ``palette_<name>`` values, validated at config-inited).

        Duck-typed, so that this module needs no Sphinx.
        """
        return cls.from_mapping({name: getattr(config, "palette_" + name) for name in _DEFAULTS})

    def is_offline(self) -> bool:
        """True when ``offline`` is set or the environment variable `OFFLINE_VARIABLE` asks for it."""
        return self.offline or os.environ.get(OFFLINE_VARIABLE, "").strip().lower() in _TRUE


def validate(values: Mapping[str, object]) -> tuple[dict[str, object], list[tuple[Setting, object]]]:
    """Split ``values`` (by setting name) into the valid ones and the rejected ``(setting, value)`` pairs.

    Names that are not settings are left out of both.
    """
    valid: dict[str, object] = {}
    rejected: list[tuple[Setting, object]] = []
    for setting in SETTINGS:
        if setting.name in values:
            value = values[setting.name]
            if setting.accepts(value):
                valid[setting.name] = value
            else:
                rejected.append((setting, value))
    return valid, rejected
