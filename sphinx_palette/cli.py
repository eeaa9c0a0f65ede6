"""The ``sphinx-palette`` command: the engine without Sphinx.

``sphinx-palette extract IMAGE [--colors N] [--sort ...] [--format text|json|css|gpl] [--region R]`` prints
the palette of a local image (``-`` reads the image bytes from standard input). Each subcommand is one
``_add_<name>`` function registering its parser and a ``run`` callable, so more can be added without touching
`main`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from .engine import MAX_COLORS, SORTS, Palette, PaletteError, extract_palette
from .engine.exports import gpl_text
from .engine.names import describe
from .engine.region import parse_region

PROG = "sphinx-palette"


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    0 on success, 1 when the image cannot be used (one ``sphinx-palette: error: ...`` line on stderr),
    2 for bad arguments (argparse's usage message).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except PaletteError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader (``| head``) went away: say nothing, and keep Python from complaining at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one subparser per subcommand."""
    parser = argparse.ArgumentParser(prog=PROG, description="Colour palettes of images.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_extract(commands)
    return parser


# --- extract ---


def _add_extract(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "extract",
        help="print the colour palette of an image",
        description="Print the colour palette of an image file (or of image bytes on stdin with '-').",
    )
    parser.add_argument("image", metavar="IMAGE", help="image file, or - to read the image from stdin")
    parser.add_argument(
        "--colors", "-n", type=_colour_count, default=5, metavar="N", help="number of colours (default 5)"
    )
    parser.add_argument("--sort", choices=SORTS, default="share", help="swatch order (default share)")
    parser.add_argument(
        "--format", "-f", choices=tuple(FORMATS), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--region", type=_region, metavar="R", help="IIIF region: full, square, x,y,w,h or pct:x,y,w,h"
    )
    parser.set_defaults(run=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    if args.image == "-":
        source: bytes | str = sys.stdin.buffer.read()
        name = "stdin"
    else:
        source, name = args.image, Path(args.image).stem
    with _native_stderr_silenced():
        palette = extract_palette(source, args.colors, sort=args.sort, region=args.region)
    colour = args.format == "text" and _wants_colour(sys.stdout)
    sys.stdout.write(FORMATS[args.format](palette, name, colour))
    sys.stdout.flush()
    return 0


def _colour_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= MAX_COLORS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COLORS}, got {value}")
    return value


def _region(text: str) -> str:
    try:
        parse_region(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _wants_colour(stream: object) -> bool:
    """True-colour blocks only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what OpenCV and libpng print straight to file descriptor 2 about damaged files.

    The error that matters is reported once, as a `PaletteError`; their extra lines would only repeat it.
    """
    try:
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except (ImportError, AttributeError):
        pass
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# --- output formats ---


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def format_text(palette: Palette, name: str, colour: bool = False) -> str:
    """A readable table of hex code, RGB and share; ``colour`` adds a true-colour block per swatch."""
    header = f"{'hex':<9}{'rgb':<13}{'share':>7}"
    lines = [f"{'':6}{header}" if colour else header]
    for swatch in palette:
        r, g, b = swatch.rgb
        row = f"{swatch.hex:<9}{r:>3} {g:>3} {b:>3}  {_percent(swatch.share):>7}"
        lines.append(f"\x1b[48;2;{r};{g};{b}m  \x1b[0m  {row}" if colour else row)
    return "\n".join(lines) + "\n"


def format_css(palette: Palette, name: str, colour: bool = False) -> str:
    """CSS custom properties ``--palette-1`` ... on ``:root``, each share in a comment."""
    lines = [f"/* {name} */", ":root {"]
    for number, swatch in enumerate(palette, start=1):
        lines.append(f"  --palette-{number}: {swatch.hex}; /* {_percent(swatch.share)} */")
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


if __name__ == "__main__":
    raise SystemExit(main())
