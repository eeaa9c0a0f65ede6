"""``sphinx-palette batch SOURCE... --out FILE``: the palettes of whole collections, one row per image.

Sources, outputs, resuming, progress and the Dask backend are in `sphinx_palette.batch`; this module reads
the command line and reports.

Exit status: 0 when every row of the output has a palette, 1 when some rows have an ``error`` (the batch
ran to its end), 2 for bad arguments or an output that cannot be used, 3 when the Dask cluster cannot be
used, 130 when interrupted (the rows written are kept: run the same command to resume).
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..engine import SORTS
from ..engine.region import parse_region
from ..remote.batch import BatchOptions
from ..remote.cache_store import is_store_url
from ..settings import MAX_DIRECTIVE_COLORS, PaletteConfig
from .common import PROG, add_emphasis_argument, add_limit_arguments, default_cache_dir, region_argument

EXIT_OK, EXIT_FAILED_ROWS, EXIT_USAGE, EXIT_CLUSTER, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``batch`` and its options."""
    from ..batch.sources import CANVAS_CHOICES

    parser = commands.add_parser(
        "batch",
        help="palettes of many images (IIIF collections, lists, folders, buckets) into one file",
        description=(
            "Compute the palette of every image SOURCE names and write one row per image to --out "
            "(.jsonl, .csv or .parquet). SOURCE: a IIIF collection (nested or paged), manifest or image "
            "service, an image URL, a file, a directory, a glob, an fsspec URL (s3://bucket/masters/*.tif), "
            "or @list.txt / list.csv naming any of these. Rerun the same command to resume."
        ),
        epilog=(
            "exit status: 0 every row has a palette; 1 some rows have an error; 2 bad arguments or "
            "unusable output; 3 the Dask cluster cannot be used; 130 interrupted (rerun to resume)"
        ),
    )
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="what to take palettes of")
    parser.add_argument("--out", "-o", required=True, type=Path, metavar="FILE", help="output file")
    parser.add_argument("--format", choices=("jsonl", "csv", "parquet"), help="default: from the suffix")
    parser.add_argument("--column", metavar="NAME", help="column of sources in CSV lists (default source)")
    parser.add_argument(
        "--canvases",
        choices=CANVAS_CHOICES,
        default="first",
        help="canvases of each manifest (default first)",
    )
    parser.add_argument(
        "--colors", "-n", type=_colors, default=5, metavar="N", help=f"colours, 1 to {MAX_DIRECTIVE_COLORS}"
    )
    parser.add_argument("--sort", choices=SORTS, default="share", help="swatch order (default share)")
    add_emphasis_argument(parser)
    parser.add_argument("--region", type=region_argument, metavar="R", help="IIIF region, as :region:")
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=(
            "palette cache, shared with builds: a directory, file:// URL or object-storage URL such as "
            f"s3://bucket/prefix (default: {PROJECT_CACHE} beside a conf.py in the current "
            f"folder, as a Sphinx build; else {default_cache_dir()})"
        ),
    )
    parser.add_argument("--offline", action="store_true", help="cached copies only, no network")
    add_limit_arguments(parser)
    parser.add_argument(
        "--workers", type=_positive, metavar="N", help="processes computing palettes (default: CPU count)"
    )
    parser.add_argument("--fetch-workers", type=_positive, default=8, metavar="N", help="downloads at once")
    parser.add_argument(
        "--per-host", type=_positive, default=4, metavar="N", help="downloads per host at once"
    )
    parser.add_argument(
        "--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:port, or local:N for N processes"
    )
    parser.add_argument(
        "--partition-size", type=_positive, default=64, metavar="N", help="images per Dask task (default 64)"
    )
    parser.add_argument(
        "--progress", choices=("auto", "bar", "lines", "none"), default="auto", help="progress display"
    )
    parser.set_defaults(run=_run_batch)


def _run_batch(args: argparse.Namespace) -> int:
    from ..batch.cluster import ClusterUnavailable, DaskSettings, dask_resolver
    from ..batch.outputs import OutputError, open_output
    from ..batch.progress import Progress
    from ..batch.run import BatchRun, PaletteParameters, local_resolver
    from ..batch.service import ServiceSpec
    from ..batch.sources import SourceWalker

    config = PaletteConfig.from_mapping(
        {
            "timeout": args.timeout,
            "max_bytes": args.max_bytes,
            "decode_budget": args.decode_budget,
            "offline": args.offline,
        }
    )
    spec = ServiceSpec(
        cache_dir=_cache_dir(args.cache_dir),
        timeout=config.timeout,
        max_bytes=config.max_bytes,
        remote_ttl=config.remote_ttl,
        offline=config.is_offline(),
        decode_budget=config.decode_budget,
    )
    parameters = PaletteParameters(
        args.colors,
        args.sort,
        parse_region(args.region) if args.region is not None else None,
        args.emphasis,
    )
    try:
        output = open_output(args.out, args.colors, args.format)
    except OutputError as exc:
        return _usage_error(str(exc))
    service = spec.make()
    walker = SourceWalker(service.document, args.canvases, args.column, args.fetch_workers)
    run = None
    try:
        with ExitStack() as stack:
            if args.dask:
                settings = DaskSettings(args.dask, args.partition_size, args.fetch_workers, args.per_host)
                resolver = stack.enter_context(dask_resolver(settings, spec, parameters))
            else:
                options = BatchOptions(
                    fetch_workers=args.fetch_workers, per_host=args.per_host, workers=args.workers
                )
                resolver = local_resolver(service, parameters, options)
            run = BatchRun(walker, resolver, output, Progress(mode=args.progress))
            run.run(args.sources)
    except ClusterUnavailable as exc:
        print(f"{PROG} batch: error: {exc}", file=sys.stderr)
        return EXIT_CLUSTER
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OutputError as exc:
        return _usage_error(str(exc))
    finally:
        output.close()
        service.close()
        if run is not None:
            print(f"{PROG} batch: {run.summary.line()}", file=sys.stderr)
        if service.cache_error:
            print(
                f"{PROG} batch: warning: the cache could not be written: {service.cache_error}",
                file=sys.stderr,
            )
    failed = run.summary.failed + output.failed if run is not None else output.failed
    if failed:
        print(f"{PROG} batch: {failed} rows of {args.out} have an error", file=sys.stderr)
        return EXIT_FAILED_ROWS
    return EXIT_OK


#: The cache a Sphinx build uses by default, beside its conf.py (sphinxext/config.py's DEFAULT_CACHE).
PROJECT_CACHE = ".palette-cache"


def default_batch_cache() -> Path:
    """The Sphinx build's default cache when run from a Sphinx project's folder (one with a ``conf.py``),
    so that its next build finds the batch's palettes; else the user cache directory, as ``extract``."""
    if Path("conf.py").is_file():
        return Path(PROJECT_CACHE).resolve()
    return default_cache_dir()


def _cache_dir(text: str | None) -> str:
    """The cache directory as given (``file://`` URLs as paths, object-storage URLs as they are), else the
    default one."""
    if text is None:
        return str(default_batch_cache())
    if is_store_url(text):
        return text
    if text.lower().startswith("file://"):
        return unquote(urlsplit(text).path)
    return os.path.abspath(os.path.expanduser(text))


def _colors(text: str) -> int:
    value = _positive(text)
    if value > MAX_DIRECTIVE_COLORS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DIRECTIVE_COLORS}, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _usage_error(message: str) -> int:
    print(
        f"usage: {PROG} batch SOURCE... --out FILE [options]\n{PROG} batch: error: {message}", file=sys.stderr
    )
    return EXIT_USAGE
