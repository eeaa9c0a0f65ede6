"""What the ``palette`` and ``palette-index`` directives accept, validated without Sphinx or docutils.

A front end hands over the options as the author wrote them (text; flags present or not) and gets a frozen
`PaletteOptions`, or an `OptionError` whose message names the option and the accepted values, the same in
every front end (``:colors: must be from 1 to 32, not 0``). The Sphinx directive, the MkDocs plugin and the
batch command all go through `parse_palette_options`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .engine import EMPHASES, SORTS
from .engine.names import FAMILIES
from .engine.region import Region, parse_region
from .remote.service import PaletteRequest
from .remote.urls import is_url
from .settings import MAX_DIRECTIVE_COLORS, WIDTHS, PaletteConfig

#: Options of ``.. palette::`` taking a value, then those that are flags (present or not).
PALETTE_VALUE_OPTIONS = (
    "colors",
    "sort",
    "emphasis",
    "widths",
    "alt",
    "caption",
    "credit",
    "name",
    "class",
    "canvas",
    "region",
)
PALETTE_FLAG_OPTIONS = ("show-image", "download")
#: ``:credit:`` values that hide the source's own credit line.
CREDIT_OFF = ("off", "no", "none", "false")
MAX_CANVAS = 100_000

#: Options of ``.. palette-index::`` and the entry orders it offers.
INDEX_OPTIONS = ("docs", "order", "class")
INDEX_ORDERS = ("document", "title", "share")
#: The index lists a palette under each hue family holding at least this share of its pixels.
FAMILY_THRESHOLD = 0.10


class OptionError(ValueError):
    """A directive option with a value it cannot take; the message is for the author."""


@dataclass(frozen=True)
class PaletteOptions:
    """A ``palette`` directive's source and options, validated, with the settings' defaults filled in.

    ``credit`` is the author's credit text (inline markup as written), ``None`` to show the source's own;
    ``hide_credit`` is ``:credit: off``. ``notices`` are harmless mistakes worth a warning (an option that
    does not apply to this source).
    """

    source: str
    colors: int
    sort: str
    widths: str
    region: Region | None = None
    canvas: int = 1
    emphasis: str = "balanced"
    alt: str | None = None
    caption: str | None = None
    credit: str | None = None
    hide_credit: bool = False
    show_image: bool = False
    download: bool = False
    name: str | None = None
    classes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def remote(self) -> bool:
        """True for an http(s) or IIIF source, False for a local path."""
        return is_url(self.source)

    def request(self) -> PaletteRequest:
        """What the palette service needs to compute this palette."""
        return PaletteRequest(
            source=self.source,
            colors=self.colors,
            sort=self.sort,
            region=self.region,
            canvas=self.canvas,
            emphasis=self.emphasis,
        )


def parse_palette_options(
    argument: str, options: Mapping[str, object], config: PaletteConfig | None = None
) -> PaletteOptions:
    """Validate a ``palette`` directive: its argument (path or URL) and its options by name.

    Values are text as written; a flag counts as set when present (docutils gives ``None``), unless it is
    ``False``. ``class`` may be text (space-separated) or a list already split by the host. Defaults come
    from ``config``. Raises `OptionError` for the first invalid value, in the order colors, sort, emphasis,
    canvas, region, source, widths.
    """
    config = config or PaletteConfig()
    source = argument.strip()
    colors = _integer(options.get("colors", config.colors), "colors", 1, MAX_DIRECTIVE_COLORS)
    sort = str(options.get("sort", config.sort)).strip()
    if sort not in SORTS:
        raise OptionError(f":sort: must be one of {', '.join(SORTS)}, not {sort!r}")
    emphasis = str(options.get("emphasis", config.emphasis)).strip()
    if emphasis not in EMPHASES:
        raise OptionError(f":emphasis: must be one of {', '.join(EMPHASES)}, not {emphasis!r}")
    canvas = _integer(options.get("canvas", 1), "canvas", 1, MAX_CANVAS)
    region = None
    if "region" in options:
        try:
            region = parse_region(str(options["region"]))
        except ValueError as exc:
            raise OptionError(f":region: {exc}") from None
    if not source:
        raise OptionError("the palette directive needs an image path or URL")
    widths = str(options.get("widths", config.widths)).strip()
    if widths not in WIDTHS:
        raise OptionError(f":widths: must be {' or '.join(WIDTHS)}, not {widths!r}")
    notices = []
    if "canvas" in options and not is_url(source):
        notices.append(":canvas: applies to IIIF manifests only; ignored for a local image")
    credit = _text(options.get("credit"))
    hide_credit = credit is not None and credit.strip().lower() in CREDIT_OFF
    return PaletteOptions(
        source=source,
        colors=colors,
        sort=sort,
        emphasis=emphasis,
        alt=_text(options.get("alt")) or None,
        widths=widths,
        region=region,
        caption=_text(options.get("caption")) or None,
        canvas=canvas,
        credit=None if hide_credit else credit,
        hide_credit=hide_credit,
        show_image=_flag(options, "show-image"),
        download=_flag(options, "download") or config.download,
        name=_text(options.get("name")),
        classes=_classes(options.get("class")),
        notices=tuple(notices),
    )


@dataclass(frozen=True)
class IndexOptions:
    """A ``palette-index`` directive's options: document patterns, entry order, extra classes."""

    patterns: tuple[str, ...] = ("*",)
    order: str = "document"
    classes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()


def parse_index_options(options: Mapping[str, object]) -> IndexOptions:
    """Validate a ``palette-index`` directive's options; an unknown order is a notice, document order used."""
    order = str(options.get("order", "document")).strip()
    notices: tuple[str, ...] = ()
    if order not in INDEX_ORDERS:
        notices = (f":order: must be one of {', '.join(INDEX_ORDERS)}, not {order!r}; using document order",)
        order = "document"
    return IndexOptions(
        patterns=tuple(str(options.get("docs", "*")).split()),
        order=order,
        classes=_classes(options.get("class")),
        notices=notices,
    )


def index_families(swatches: Iterable[tuple[str, float]], threshold: float = FAMILY_THRESHOLD) -> list[str]:
    """The hue families a ``palette-index`` lists a palette under, in display order.

    ``swatches`` are ``(family, share)`` pairs; a family counts when its swatches hold ``threshold`` or more.
    """
    totals: dict[str, float] = {}
    for family, share in swatches:
        totals[family] = totals.get(family, 0.0) + share
    return [f for f in FAMILIES if totals.get(f, 0.0) >= threshold]


def _integer(value: object, option: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise OptionError(f":{option}: must be a whole number from {low} to {high}, not {value!r}") from None
    if not low <= number <= high:
        raise OptionError(f":{option}: must be from {low} to {high}, not {number}")
    return number


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _flag(options: Mapping[str, object], name: str) -> bool:
    return name in options and options[name] is not False


def _classes(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, Sequence):
        return tuple(str(v) for v in value)
    raise OptionError(f":class: must be class names, not {value!r}")
