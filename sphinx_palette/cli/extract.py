"""``sphinx-palette extract SOURCE``: print the palette of one image, as the directive would compute it.

``SOURCE`` is whatever ``.. palette::`` accepts: a local image, an http(s) image URL, a IIIF image service
or a IIIF manifest (``--canvas N`` picks its canvas), or ``-`` for image bytes on standard input. The same
option checks, limits (``--timeout``, ``--max-bytes``, ``--decode-budget``), cache and offline switch apply
as in a build.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from .. import __version__
from ..engine import SORTS, Palette, PaletteError
from ..engine.exports import gpl_text, percent
from ..engine.names import describe
from ..options import MAX_CANVAS, OptionError, parse_palette_options
from ..remote.service import PaletteResult, PaletteService
from ..remote.urls import is_url, redact_url
from ..settings import MAX_DIRECTIVE_COLORS, PaletteConfig
from .common import (
    PROG,
    add_emphasis_argument,
    add_limit_arguments,
    default_cache_dir,
    native_stderr_silenced,
    region_argument,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``extract`` and its options."""
    parser = commands.add_parser(
        "extract",
        help="print the colour palette of an image, URL or IIIF resource",
        description=(
            "Print the colour palette of SOURCE: an image file, an http(s) image URL, a IIIF image service "
            "or manifest, or - to read image bytes from stdin. Remote palettes are cached as in a build."
        ),
    )
    parser.add_argument("source", metavar="SOURCE", help="image file, URL, IIIF service or manifest, or -")
    parser.add_argument(
        "--colors", "-n", metavar="N", help=f"number of colours, 1 to {MAX_DIRECTIVE_COLORS} (default 5)"
    )
    parser.add_argument("--sort", choices=SORTS, default="share", help="swatch order (default share)")
    add_emphasis_argument(parser)
    parser.add_argument(
        "--format", "-f", choices=tuple(FORMATS), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--region",
        type=region_argument,
        metavar="R",
        help="IIIF region: full, square, x,y,w,h or pct:x,y,w,h",
    )
    parser.add_argument(
        "--canvas", metavar="N", help=f"canvas of a IIIF manifest, 1 to {MAX_CANVAS} (default 1)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        help=f"cache directory (default: the user cache directory, {default_cache_dir()})",
    )
    where.add_argument("--no-cache", action="store_true", help="use a temporary cache, removed afterwards")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never use the network: cached copies only (also SPHINX_PALETTE_OFFLINE=1)",
    )
    add_limit_arguments(parser)
    parser.set_defaults(run=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    options = {k: v for k, v in (("colors", args.colors), ("canvas", args.canvas)) if v is not None}
    options["sort"] = args.sort
    options["emphasis"] = args.emphasis
    if args.region is not None:
        options["region"] = args.region
    # Messages about standard input name it, as messages about a file or URL name that.
    source = "standard input" if args.source == "-" else args.source
    try:
        parsed = parse_palette_options(source, options)
    except OptionError as exc:
        message = str(exc).replace(":colors:", "--colors").replace(":canvas:", "--canvas")
        raise SystemExit(_usage_error(message)) from None
    for notice in parsed.notices:
        _warn(notice.replace(":canvas:", "--canvas"))
    request = parsed.request()
    config = PaletteConfig.from_mapping(
        {
            "timeout": args.timeout,
            "max_bytes": args.max_bytes,
            "decode_budget": args.decode_budget,
            "offline": args.offline,
        }
    )
    # Standard input goes through the service too, so that its bytes meet the same size and decode limits,
    # region notice and cache as a file's.
    data = _read_stdin(config.max_bytes) if args.source == "-" else None
    with _cache_directory(args) as cache_dir, native_stderr_silenced():
        service = _make_service(config, cache_dir)
        try:
            if data is not None:
                result = service.complete(service.prepare_bytes(data, request))
            elif is_url(source):
                result = service.from_url(source, request)
            else:
                result = service.from_file(source, request)
        finally:
            service.close()
    if service.cache_error:
        _warn(f"the cache could not be written: {service.cache_error}")
    for _subtype, message in result.notices:
        _warn(message)
    if result.palette is None:
        raise PaletteError(_naming(result.error or "no palette", source))
    if data is not None:
        return _print(result.palette, "stdin", None, args.format)
    return _print(result.palette, _name_of(source, result), source, args.format)


def _read_stdin(max_bytes: int) -> bytes:
    """Standard input's bytes, refused past ``max_bytes`` as a download would be."""
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PaletteError(f"standard input holds more than {max_bytes:,} bytes (--max-bytes)")
    return data


def _make_service(config: PaletteConfig, cache_dir: Path) -> PaletteService:
    return PaletteService.from_config(config, cache_dir, user_agent=f"{PROG}/{__version__}")


@contextmanager
def _cache_directory(args: argparse.Namespace) -> Iterator[Path]:
    if args.no_cache:
        with tempfile.TemporaryDirectory(prefix="sphinx-palette-") as folder:
            yield Path(folder)
    else:
        yield args.cache_dir or default_cache_dir()


def _naming(message: str, source: str) -> str:
    """The message, with the file or URL it is about in front when it does not already say it."""
    shown = redact_url(source) if is_url(source) else source
    return message if shown in message else f"{shown}: {message}"


def _name_of(source: str, result: PaletteResult) -> str:
    if not is_url(source):
        return Path(source).stem
    if result.label:
        return result.label
    stem = PurePosixPath(urlsplit(result.image_url or source).path).stem
    return stem or urlsplit(source).hostname or "palette"


def _print(palette: Palette, name: str, source: str | None, output_format: str) -> int:
    colour = output_format == "text" and _wants_colour(sys.stdout)
    shown = None if source is None else (redact_url(source) if is_url(source) else source)
    sys.stdout.write(FORMATS[output_format](palette, name, colour, shown))
    sys.stdout.flush()
    return 0


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def _usage_error(message: str) -> int:
    print(f"usage: {PROG} extract SOURCE [options]\n{PROG} extract: error: {message}", file=sys.stderr)
    return 2


def _wants_colour(stream: object) -> bool:
    """True-colour blocks only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


# --- output formats ---


def format_text(palette: Palette, name: str, colour: bool = False, source: str | None = None) -> str:
    """A readable table of hex code, RGB, share and colour name (family); ``colour`` adds a block each."""
    header = f"{'hex':<9}{'rgb':<13}{'share':>7}  name"
    lines = [f"{'':6}{header}" if colour else header]
    for swatch in palette:
        r, g, b = swatch.rgb
        named = describe(swatch.rgb)
        row = (
            f"{swatch.hex:<9}{r:>3} {g:>3} {b:>3}  {percent(swatch.share, fixed=True):>7}  "
            f"{named.name} ({named.family})"
        )
        lines.append(f"\x1b[48;2;{r};{g};{b}m  \x1b[0m  {row}" if colour else row)
    return "\n".join(lines) + "\n"


def format_css(palette: Palette, name: str, colour: bool = False, source: str | None = None) -> str:
    """CSS custom properties ``--palette-1`` ... on ``:root``, each share and name in a comment."""
    lines = [f"/* {name} */", ":root {"]
    for number, swatch in enumerate(palette, start=1):
        label = f"{percent(swatch.share, fixed=True)}, {describe(swatch.rgb).name}"
        lines.append(f"  --palette-{number}: {swatch.hex}; /* {label} */")
    lines.append("}")
    return "\n".join(lines) + "\n"


def format_gpl(palette: Palette, name: str, colour: bool = False, source: str | None = None) -> str:
    """A GIMP palette (``.gpl``), the same file the Sphinx downloads offer."""
    named = [{"hex": s.hex, "share": s.share, "name": describe(s.rgb).name} for s in palette]
    return gpl_text(name or "palette", named)


def format_json(palette: Palette, name: str, colour: bool = False, source: str | None = None) -> str:
    """``{"name", "source", "swatches"}`` (``schemas/palette.schema.json``), swatches as `Palette.to_dict`."""
    data: dict[str, object] = {"name": name}
    if source is not None:
        data["source"] = source
    data.update(palette.to_dict())
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[Palette, str, bool, str | None], str]] = {
    "text": format_text,
    "json": format_json,
    "css": format_css,
    "gpl": format_gpl,
}
