"""The ``sphinx-palette`` command: the engine (and the core) without Sphinx.

Each subcommand is a module here with an ``add_parser(commands)`` function that registers its parser and a
``run`` callable, so a new one is one module and one line in `SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from .. import __version__
from ..engine import PaletteError
from . import batch, cache, extract
from .common import PROG

SUBCOMMANDS = (extract, batch, cache)


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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for subcommand in SUBCOMMANDS:
        subcommand.add_parser(commands)
    return parser
