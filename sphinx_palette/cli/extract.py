"""``sphinx-palette extract IMAGE``: print the palette of one image in one of several formats.

``sphinx-palette extract IMAGE [--colors N] [--sort ...] [--format text|json|css|gpl] [--region R]`` prints
the palette of a local image (``-`` reads the image bytes from standard input).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..engine import SORTS, Palette, extract_palette
from ..engine.exports import gpl_text, percent
from ..engine.names import describe
from .common import colour_count, native_stderr_silenced, region_argument


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``extract`` and its options."""
    parser = commands.add_parser(
        "extract",
        help="print the colour palette of an image",
        description="Print the colour palette of an image file (or of image bytes on stdin with '-').",
    )
    parser.add_argument("image", metavar="IMAGE", help="image file, or - to read the image from stdin")
    parser.add_argument(
        "--colors", "-n", type=colour_count, default=5, metavar="N", help="number of colours (default 5)"
    )
    parser.add_argument("--sort", choices=SORTS, default="share", help="swatch order (default share)")
    parser.add_argument(
        "--format", "-f", choices=tuple(FORMATS), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--region",
        type=region_argument,
        metavar="R",
        help="IIIF region: full, square, x,y,w,h or pct:x,y,w,h",
    )
    parser.set_defaults(run=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    if args.image == "-":
        source: bytes | str = sys.stdin.buffer.read()
        name = "stdin"
    else:
        source, name = args.image, Path(args.image).stem
    with native_stderr_silenced():
        palette = extract_palette(source, args.colors, sort=args.sort, region=args.region)
    colour = args.format == "text" and _wants_colour(sys.stdout)
    sys.stdout.write(FORMATS[args.format](palette, name, colour))
    sys.stdout.flush()
    return 0


def _wants_colour(stream: object) -> bool:
    """True-colour blocks only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


# --- output formats ---


def format_text(palette: Palette, name: str, colour: bool = False) -> str:
    """A readable table of hex code, RGB and share; ``colour`` adds a true-colour block per swatch."""
    header = f"{'hex':<9}{'rgb':<13}{'share':>7}"
    lines = [f"{'':6}{header}" if colour else header]
    for swatch in palette:
        r, g, b = swatch.rgb
        row = f"{swatch.hex:<9}{r:>3} {g:>3} {b:>3}  {percent(swatch.share, fixed=True):>7}"
        lines.append(f"\x1b[48;2;{r};{g};{b}m  \x1b[0m  {row}" if colour else row)
    return "\n".join(lines) + "\n"


def format_css(palette: Palette, name: str, colour: bool = False) -> str:
    """CSS custom properties ``--palette-1`` ... on ``:root``, each share in a comment."""
    lines = [f"/* {name} */", ":root {"]
    for number, swatch in enumerate(palette, start=1):
        lines.append(f"  --palette-{number}: {swatch.hex}; /* {percent(swatch.share, fixed=True)} */")
    lines.append("}")
    return "\n".join(lines) + "\n"


def format_gpl(palette: Palette, name: str, colour: bool = False) -> str:
    """A GIMP palette (``.gpl``), the same file the Sphinx downloads offer."""
    return gpl_text(name or "palette", _named(palette))


def format_json(palette: Palette, name: str, colour: bool = False) -> str:
    """`Palette.to_dict` as indented JSON."""
    return json.dumps(palette.to_dict(), indent=2) + "\n"


def _named(palette: Palette) -> list[dict]:
    return [{"hex": s.hex, "share": s.share, "name": describe(s.rgb).name} for s in palette]


FORMATS: dict[str, Callable[[Palette, str, bool], str]] = {
    "text": format_text,
    "json": format_json,
    "css": format_css,
    "gpl": format_gpl,
}
