"""Build-scale benchmark: a generated site of N pages, each with one palette, built the ways a site is built.

Prints, in one run, the wall time of the same site built without palettes, then cold (empty cache, no
environment), warm (``-E``: every page read again, every palette from the cache) and revalidating (``-E``
with ``palette_remote_ttl = 0``: every remote image asked again, every answer a 304), at ``-j 1`` and
``-j 2``; for remote images, the most simultaneous requests the server saw from one build; and the peak
memory (max RSS) of the ``sphinx-build`` process. Remote images come from a local server that waits
``--latency`` seconds before each answer; local images are copies of the CQ100 set. Every image is made
unique (a PNG text chunk holding its number), so no palette is shared between pages.

    python benchmarks/build_scale.py --pages 200 --latency 0.1 --source remote
    python benchmarks/build_scale.py --pages 200 --source local

The issue's bounds are printed next to the figures (cold within no-palette + 2 x (N x latency / 8 + N x
18 ms / 2), revalidating within no-palette + 5 s, local cold within no-palette + 1.5 x (N x 18 ms / 2)).
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# The shared datasets sit beside the checkout (../shared), as in every clone of this project.
CQ100 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cq100" / "img"
BUILDS = ("cold", "warm", "revalidating")


def unique_png(data: bytes, number: int) -> bytes:
    """``data`` (a PNG) with a ``tEXt`` chunk holding ``number`` before ``IEND``: other bytes, same pixels."""
    payload = b"Comment\x00" + str(number).encode()
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload) & 0xFFFFFFFF)
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk + data[end:]


class ImageServer:
    """Serves ``/N.png`` after ``latency`` seconds, with an ETag (304 to If-None-Match); counts requests
    in flight at once."""

    def __init__(self, images: list[bytes], latency: float) -> None:
        self.images = images
        self.latency = latency
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.enter()
                try:
                    time.sleep(owner.latency)
                    number = int(self.path.strip("/").split(".")[0])
                    etag = f'"{number}"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                        return
                    body = owner.images[number]
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("ETag", etag)
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    owner.leave()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def enter(self) -> None:
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def reset(self) -> None:
        with self.lock:
            self.peak = self.requests = 0

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{number}.png"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_site(folder: Path, pages: int, sources: list[str], palettes: bool) -> None:
    """A site of ``pages`` pages under ``items/``, one palette each (a paragraph instead without palettes)."""
    folder.mkdir(parents=True)
    extensions = '["sphinx_palette"]' if palettes else "[]"
    (folder / "conf.py").write_text(f'project = "Scale"\nextensions = {extensions}\n', encoding="utf-8")
    (folder / "items").mkdir()
    names = [f"items/item{n:05d}" for n in range(pages)]
    toctree = "\n".join(f"   {name}" for name in names)
    (folder / "index.rst").write_text(f"Items\n=====\n\n.. toctree::\n\n{toctree}\n", encoding="utf-8")
    for name, source in zip(names, sources, strict=True):
        body = f".. palette:: {source}\n   :caption: Item {name}\n" if palettes else f"Item {name}.\n"
        (folder / f"{name}.rst").write_text(f"{name}\n{'=' * len(name)}\n\n{body}", encoding="utf-8")


def build(srcdir: Path, outdir: Path, jobs: int, extra: list[str], env: dict[str, str]) -> tuple[float, int]:
    """One ``sphinx-build`` run: its wall time in seconds and its peak RSS in MiB."""
    command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-j", str(jobs)]
    command += ["-d", str(outdir / ".doctrees"), *extra, str(srcdir), str(outdir)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"build failed ({status}): {' '.join(command)}")
    return elapsed, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each remote answer")
    parser.add_argument("--source", choices=("remote", "local"), default="remote")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="values of -j to build with")
    parser.add_argument("--images", type=Path, default=CQ100, help="folder of PNG images to cycle through")
    parser.add_argument("--keep", action="store_true", help="keep the generated site (path printed)")
    args = parser.parse_args()

    originals = [p.read_bytes() for p in sorted(args.images.glob("*.png"))]
    images = [unique_png(originals[n % len(originals)], n) for n in range(args.pages)]
    work = Path(tempfile.mkdtemp(prefix="build-scale-"))
    server = ImageServer(images, args.latency) if args.source == "remote" else None
    try:
        if server is not None:
            sources = [server.url(n) for n in range(args.pages)]
        else:
            (work / "site" / "img").mkdir(parents=True)
            for n, data in enumerate(images):
                (work / "site" / "img" / f"{n}.png").write_bytes(data)
            sources = [f"../img/{n}.png" for n in range(args.pages)]
        write_site(work / "plain", args.pages, sources, palettes=False)
        _write_into(work / "site", args.pages, sources)
        env = {k: v for k, v in os.environ.items() if k != "SPHINX_PALETTE_OFFLINE"}
        print(
            f"{args.pages} pages, {args.source} images" + (f", {args.latency:g} s latency" if server else "")
        )
        print(f"{'build':<28} {'-j':>3} {'seconds':>8} {'peak MiB':>9} {'requests':>9} {'at once':>8}")
        baseline: dict[int, float] = {}
        for jobs in args.jobs:
            seconds, rss = build(work / "plain", work / f"plain-out-{jobs}", jobs, [], env)
            baseline[jobs] = seconds
            print(f"{'no palette':<28} {jobs:>3} {seconds:>8.2f} {rss:>9}")
            cache = work / f"cache-{jobs}"
            out = work / f"out-{jobs}"
            for kind in BUILDS:
                extra = ["-D", f"palette_cache_dir={cache}"]
                if kind != "cold":
                    extra.append("-E")
                if kind == "revalidating":
                    extra += ["-D", "palette_remote_ttl=0"]
                if server is not None:
                    server.reset()
                seconds, rss = build(work / "site", out, jobs, extra, env)
                seen = f"{server.requests:>9} {server.peak:>8}" if server is not None else ""
                print(f"{kind:<28} {jobs:>3} {seconds:>8.2f} {rss:>9} {seen}")
        _print_bounds(args, baseline)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"site kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _write_into(folder: Path, pages: int, sources: list[str]) -> None:
    """`write_site` with palettes into ``folder``, which may already hold the local images."""
    images = folder / "img"
    if images.exists():
        keep = folder.parent / "img-keep"
        images.rename(keep)
        folder.rmdir()
        write_site(folder, pages, sources, palettes=True)
        keep.rename(images)
    else:
        write_site(folder, pages, sources, palettes=True)


def _print_bounds(args: argparse.Namespace, baseline: dict[int, float]) -> None:
    base = baseline.get(1)
    if base is None:
        return
    compute = args.pages * 0.018 / 2
    if args.source == "remote":
        cold = base + 2 * (args.pages * args.latency / 8 + compute)
        print(f"issue bounds (-j 1): cold <= {cold:.2f} s; revalidating <= {base + 5:.2f} s")
    else:
        print(f"issue bound (-j 1): cold <= {base + 1.5 * compute:.2f} s")


if __name__ == "__main__":
    main()
