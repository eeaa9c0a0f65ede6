"""Build-scale benchmark: a generated site of N pages, each with one palette, built the ways a site is built.

Prints, in one run, the wall time of the same site built without palettes, then cold (empty cache, no
environment), warm (``-E``: every page read again, every palette from the cache) and revalidating (``-E`` with
``palette_remote_ttl = 0``: every remote image asked again, every answer a 304), at ``-j 1`` and ``-j 2``; for
remote images, the requests the server saw and the most it was answering at once; the peak memory of the whole
process tree (the ``sphinx-build`` process, its ``-j`` readers and writers and its compute workers: resident
set sizes summed, sampled every 50 ms); and the cost per page of a warm build over the no-palette build, in
wall time and in CPU time (the user and system time of the build's processes, shown beside the wall time
because the machine's load moves the latter by seconds between runs). Remote images come from a local server
that waits ``--latency`` seconds before each answer; local images are copies of the CQ100 set. Every image is
made unique (a PNG text chunk holding its number), so no palette is shared between pages.

    python benchmarks/build_scale.py --pages 200 --latency 0.1 --source remote
    python benchmarks/build_scale.py --pages 200 --source local
    python benchmarks/build_scale.py --pages 2000 --source remote --jobs 1 --builds plain cold --no-sidebar

Before timing, the sphinx-palette each interpreter imports is byte-compiled, as pip does when it installs a
package: otherwise an editable install run with ``PYTHONDONTWRITEBYTECODE`` set compiles the whole package
from source in every build (about 0.1 s, measured with callgrind), a cost no installed copy pays.

``--instructions`` also counts, after the timed rounds, the instructions of one no-palette and one warm build
at ``-j 1`` under valgrind's callgrind (the build's own process; about 40 times slower than the build):
unlike its time, a build's instruction count does not move with the machine's load, so a change of a few
per cent in the warm cost shows in one run.

``--builds`` picks some of the builds (the no-palette build is ``plain``; a warm or revalidating build
without a cold one first builds one, untimed, to fill the cache); ``--repeat`` runs each timed build that
many times and keeps the fastest, in rounds of one build of each kind, so that a burst of load on the
machine slows every kind alike (every other round in the reverse order, so that a drift within a round
favours no kind); for warm builds it also prints the median over rounds of the warm build less the
no-palette build of the same round, and the middle half of those differences.

The issue's bounds are printed next to the figures (cold within no-palette + 2 x (N x latency / 8 + N x
18 ms / 2), revalidating within no-palette + 5 s, local cold within no-palette + 1.5 x (N x 18 ms / 2),
warm under 5 ms a page over no-palette).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

# The shared datasets sit beside the checkout (../shared), as in every clone of this project.
CQ100 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cq100" / "img"
BUILDS = ("plain", "cold", "warm", "revalidating")
#: The builds ``--compare``'s interpreter runs in the same rounds (named ``"<kind>, compared"``).
COMPARABLE = ("cold", "warm")
#: How often the process tree's memory is sampled, in seconds.
SAMPLE_EVERY = 0.05


def unique_png(data: bytes, number: int) -> bytes:
    """``data`` (a PNG) with a ``tEXt`` chunk holding ``number`` before ``IEND``: other bytes, same pixels."""
    payload = b"Comment\x00" + str(number).encode()
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload) & 0xFFFFFFFF)
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk + data[end:]


class ImageServer:
    """Serves ``/N.png`` after ``latency`` seconds, with an ETag (304 to If-None-Match); counts requests
    in flight at once.

    A request counts from the moment its handler starts until the last byte of its answer is written. The
    last byte is written under the same lock that counts requests in: a client that has read its whole
    answer and sends its next request (on any connection) is therefore counted after this one left, never
    beside it. (Counting the end after the write, outside the lock, once showed 5 requests at once with
    ``palette_per_host = 4``: a handler thread had written its answer, the client had read it and sent the
    next request, and the thread had not yet counted itself out.)
    """

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
                        owner.leave_after(self.end_headers)
                        return
                    body = owner.images[number]
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("ETag", etag)
                    self.end_headers()
                    self.wfile.write(body[:-1])
                    owner.leave_after(lambda: (self.wfile.write(body[-1:]), self.wfile.flush()))
                except BaseException:
                    owner.leave_after(lambda: None)
                    raise

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def enter(self) -> None:
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def leave_after(self, finish: Callable[[], object]) -> None:
        """Send the end of an answer (``finish``) and count the request out, as one step."""
        with self.lock:
            try:
                finish()
            finally:
                self.in_flight -= 1

    def reset(self) -> None:
        with self.lock:
            self.peak = self.requests = 0

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{number}.png"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TreeMemory:
    """The largest sum of resident set sizes of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stopping.is_set():
            total = 0
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break  # the build has ended
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue  # a worker that ended meanwhile
            self.peak = max(self.peak, total)
            self.stopping.wait(SAMPLE_EVERY)

    def stop(self) -> int:
        """Stop sampling; the peak in MiB."""
        self.stopping.set()
        self.thread.join()
        return self.peak // (1024 * 1024)


def write_site(folder: Path, pages: int, sources: list[str], palettes: bool, sidebar: bool = True) -> None:
    """A site of ``pages`` pages under ``items/``, one palette each (a paragraph instead without palettes)."""
    folder.mkdir(parents=True)
    extensions = '["sphinx_palette"]' if palettes else "[]"
    conf = f'project = "Scale"\nextensions = {extensions}\n'
    if not sidebar:
        # The theme's sidebar holds the whole site's table of contents on every page: N² work for Sphinx.
        conf += 'html_sidebars = {"**": []}\n'
    (folder / "conf.py").write_text(conf, encoding="utf-8")
    (folder / "items").mkdir()
    names = [f"items/item{n:05d}" for n in range(pages)]
    toctree = "\n".join(f"   {name}" for name in names)
    (folder / "index.rst").write_text(f"Items\n=====\n\n.. toctree::\n\n{toctree}\n", encoding="utf-8")
    for name, source in zip(names, sources, strict=True):
        body = f".. palette:: {source}\n   :caption: Item {name}\n" if palettes else f"Item {name}.\n"
        (folder / f"{name}.rst").write_text(f"{name}\n{'=' * len(name)}\n\n{body}", encoding="utf-8")


def byte_compile(python: str) -> None:
    """Byte-compile the sphinx-palette that ``python`` imports here (the package a build of it uses)."""
    code = (
        "import compileall, os, sphinx_palette\n"
        "compileall.compile_dir(os.path.dirname(sphinx_palette.__file__), quiet=1)"
    )
    subprocess.run([python, "-c", code], check=True)


def count_instructions(
    srcdir: Path, outdir: Path, extra: list[str], env: dict[str, str], python: str = sys.executable
) -> int:
    """The instructions one ``sphinx-build -j 1`` run executes (its process, through whatever it executes:
    ``python`` may be a script that runs the interpreter), as valgrind's callgrind counts them: the same for
    the same build whatever else the machine runs, where its time is not.

    Processes it forks are left out: callgrind starts a forked child with its parent's counts, so summing
    them would count the parent's work again (a process pool's workers, say).
    """
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--trace-children=yes"]
    command.append("--child-silent-after-fork=yes")
    command += [python, "-m", "sphinx", "-q", "-b", "html", "-j", "1", "-d", str(outdir / ".doctrees")]
    command += [*extra, str(srcdir), str(outdir)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    counted = [int(n) for n in re.findall(r"Collected : (\d+)", done.stderr)]
    if done.returncode != 0 or not counted:
        raise SystemExit(
            f"build failed under valgrind ({done.returncode}): {' '.join(command)}\n{done.stderr}"
        )
    return sum(counted)


def build(
    srcdir: Path, outdir: Path, jobs: int, extra: list[str], env: dict[str, str], python: str = sys.executable
) -> tuple[float, float, int]:
    """One ``sphinx-build`` run: its wall time and CPU time in seconds, and the peak memory of its process
    tree in MiB.

    The CPU time is the user and system time of the build and of every process it waited for (its ``-j``
    processes and compute workers), not of this script (nor of its image server). ``python`` is the
    interpreter that runs it (another one runs another installed version of sphinx-palette).
    """
    command = [python, "-m", "sphinx", "-q", "-b", "html", "-j", str(jobs)]
    command += ["-d", str(outdir / ".doctrees"), *extra, str(srcdir), str(outdir)]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    memory = TreeMemory(process.pid)
    status = process.wait()
    elapsed = time.perf_counter() - started
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (now.ru_utime - used.ru_utime) + (now.ru_stime - used.ru_stime)
    peak = memory.stop()
    if status != 0:
        raise SystemExit(f"build failed ({status}): {' '.join(command)}")
    return elapsed, cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each remote answer")
    parser.add_argument("--source", choices=("remote", "local"), default="remote")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="values of -j to build with")
    parser.add_argument("--builds", nargs="+", choices=BUILDS, default=list(BUILDS), help="builds to time")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each build; the fastest is shown")
    parser.add_argument("--images", type=Path, default=CQ100, help="folder of PNG images to cycle through")
    parser.add_argument(
        "--no-sidebar", action="store_true", help="no sidebar (its site-wide contents are N² work for Sphinx)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated site (path printed)")
    parser.add_argument(
        "--compare",
        metavar="PYTHON",
        help="an interpreter running another version of sphinx-palette: its cold and warm builds (cache of "
        "their own) run in the same rounds, and each round's difference from this version's is printed (run "
        "from a folder holding no sphinx_palette package: `python -m sphinx` looks in the current folder "
        "first)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="after the timed rounds, count the instructions of one no-palette and one warm build at -j 1 "
        "(and of the compared version's warm build) under valgrind's callgrind: a figure the machine's load "
        "does not move (about 40 times slower than the build itself)",
    )
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt-get install valgrind)")

    for python in [sys.executable, *([args.compare] if args.compare else [])]:
        byte_compile(python)
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
        write_site(work / "plain", args.pages, sources, palettes=False, sidebar=not args.no_sidebar)
        _write_into(work / "site", args.pages, sources, sidebar=not args.no_sidebar)
        bench = Bench(work, server, {k: v for k, v in os.environ.items() if k != "SPHINX_PALETTE_OFFLINE"})
        print(
            f"{args.pages} pages, {args.source} images"
            + (f", {args.latency:g} s latency" if server else "")
            + f"; fastest of {args.repeat} run(s) each"
        )
        heading = f"{'build':<14} {'-j':>3} {'seconds':>8} {'CPU s':>8}"
        print(f"{heading} {'tree MiB':>9} {'requests':>9} {'at once':>8}")
        # In rounds, one build of each kind per round: a burst of load on the machine hits every kind alike.
        # Every other round runs them in the reverse order, so that a machine slowing down (or speeding up)
        # through a round does not favour the kinds that come first.
        runs: dict[tuple[str, int], list[Run]] = {}
        order = [(jobs, kind) for jobs in args.jobs for kind in BUILDS if kind in args.builds]
        for number in range(max(1, args.repeat)):
            for jobs, kind in order if number % 2 == 0 else reversed(order):
                runs.setdefault((kind, jobs), []).append(bench.run(kind, jobs))
                if kind in COMPARABLE and args.compare:
                    compared = bench.run(kind, jobs, args.compare)
                    runs.setdefault((f"{kind}, compared", jobs), []).append(compared)
        times: dict[tuple[str, int], float] = {}
        cpus: dict[tuple[str, int], float] = {}
        for (kind, jobs), done in runs.items():
            seconds = min(r.seconds for r in done)
            times[kind, jobs] = seconds
            cpus[kind, jobs] = min(r.cpu for r in done)
            peak = max(r.peak for r in done)
            seen = ""
            if server is not None and kind != "plain":
                seen = f"{done[-1].requests:>9} {max(r.at_once for r in done):>8}"
            shown = "no palette" if kind == "plain" else kind
            print(f"{shown:<14} {jobs:>3} {seconds:>8.2f} {cpus[kind, jobs]:>8.2f} {peak:>9} {seen}")
        for jobs in args.jobs:
            if ("plain", jobs) in times and ("warm", jobs) in times:
                cost = (times["warm", jobs] - times["plain", jobs]) / args.pages * 1000
                cpu = (cpus["warm", jobs] - cpus["plain", jobs]) / args.pages * 1000
                print(
                    f"warm build, -j {jobs}: {cost:+.2f} ms a page over the no-palette build "
                    f"(bound: < 5 ms); CPU time {cpu:+.2f} ms a page"
                )
            for kind in COMPARABLE:
                if ("plain", jobs) in runs and (kind, jobs) in runs:
                    _print_paired(runs, kind, jobs, args.pages)
                if (f"{kind}, compared", jobs) in runs:
                    _print_compared(runs, kind, jobs, args.pages)
        if args.instructions:
            _print_instructions(bench, args, times.get(("plain", 1)))
        _print_bounds(args, times)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"site kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class Run:
    """One timed build: wall and CPU seconds, peak MiB of the process tree, requests seen, most at once."""

    seconds: float
    cpu: float
    peak: int
    requests: int
    at_once: int


class Bench:
    """Runs the builds of one kind into their own directories, each from the state it needs."""

    def __init__(self, work: Path, server: ImageServer | None, env: dict[str, str]) -> None:
        self.work = work
        self.server = server
        self.env = env
        self.python = sys.executable

    def run(self, kind: str, jobs: int, python: str = sys.executable) -> Run:
        """Time one build of ``kind`` at ``-j jobs``: ``plain`` and ``cold`` from nothing, ``warm`` and
        ``revalidating`` with ``-E`` over the cache a cold build left (made first if there is none).

        Another ``python`` (``--compare``) builds into a cache and output of its own.
        """
        self.python = python
        return self._timed(*self._arguments(kind, jobs), jobs)

    def instructions(self, kind: str, python: str = sys.executable) -> int:
        """The instructions of one ``-j 1`` build of ``kind`` (``plain`` or ``warm``), from the state `run`
        gives it (`count_instructions`)."""
        self.python = python
        srcdir, out, extra = self._arguments(kind, 1)
        return count_instructions(srcdir, out, extra, self.env, python)

    def _arguments(self, kind: str, jobs: int) -> tuple[Path, Path, list[str]]:
        """Source folder, output folder and extra arguments of a ``kind`` build by ``self.python``, with the
        state it starts from made: no output for ``plain`` and ``cold``, for the others the cache a cold build
        leaves (that cold build run first if there is none)."""
        if kind == "plain":
            out = self.work / f"plain-out-{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            return self.work / "plain", out, []
        tag = "" if self.python == sys.executable else "-compared"
        cache, out = self.work / f"cache{tag}-{jobs}", self.work / f"out{tag}-{jobs}"
        extra = ["-D", f"palette_cache_dir={cache}"]
        if kind == "cold" or not cache.exists():
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            if kind == "cold":
                return self.work / "site", out, extra
            self._timed(self.work / "site", out, extra, jobs)
        extra.append("-E")
        if kind == "revalidating":
            extra += ["-D", "palette_remote_ttl=0"]
        return self.work / "site", out, extra

    def _timed(self, srcdir: Path, out: Path, extra: list[str], jobs: int) -> Run:
        if self.server is not None:
            self.server.reset()
        seconds, cpu, peak = build(srcdir, out, jobs, extra, self.env, self.python)
        if self.server is None:
            return Run(seconds, cpu, peak, 0, 0)
        return Run(seconds, cpu, peak, self.server.requests, self.server.peak)


def _write_into(folder: Path, pages: int, sources: list[str], sidebar: bool) -> None:
    """`write_site` with palettes into ``folder``, which may already hold the local images."""
    images = folder / "img"
    if images.exists():
        keep = folder.parent / "img-keep"
        images.rename(keep)
        folder.rmdir()
        write_site(folder, pages, sources, palettes=True, sidebar=sidebar)
        keep.rename(images)
    else:
        write_site(folder, pages, sources, palettes=True, sidebar=sidebar)


def _print_paired(runs: dict[tuple[str, int], list[Run]], kind: str, jobs: int, pages: int) -> None:
    """Each round's ``kind`` build less the no-palette build of the same round: the machine's slow spells
    (minutes long) move both alike, where the fastest of each may come from different spells."""
    paired = [
        (build.seconds - plain.seconds) / pages * 1000
        for plain, build in zip(runs["plain", jobs], runs[kind, jobs], strict=True)
    ]
    in_seconds = statistics.median(paired) * pages / 1000
    spread = ""
    if len(paired) >= 4:
        low, _, high = statistics.quantiles(paired, n=4)
        spread = f", middle half {low:+.2f} to {high:+.2f}"
    print(
        f"  {kind} less no-palette, -j {jobs}, paired by round: median {statistics.median(paired):+.2f} ms a "
        f"page ({in_seconds:+.2f} s{spread}; each round: {', '.join(f'{p:+.2f}' for p in paired)})"
    )


def _print_compared(runs: dict[tuple[str, int], list[Run]], kind: str, jobs: int, pages: int) -> None:
    """The compared version's ``kind`` builds less the no-palette build, and this version's less the compared
    one's, by round."""
    rounds = list(zip(runs["plain", jobs], runs[kind, jobs], runs[f"{kind}, compared", jobs], strict=True))
    compared = sorted((other.seconds - plain.seconds) / pages * 1000 for plain, _, other in rounds)
    less = [(this.seconds - other.seconds) / pages * 1000 for _, this, other in rounds]
    print(
        f"  compared version's {kind} build, -j {jobs}: paired by round, median "
        f"{statistics.median(compared):+.2f} ms a page over the no-palette build"
    )
    print(
        f"  this version's {kind} build less the compared one's, by round: median "
        f"{statistics.median(less):+.2f} ms a page ({statistics.median(less) * pages / 1000:+.2f} s; "
        f"each round: {', '.join(f'{d:+.2f}' for d in less)})"
    )


def _print_instructions(bench: Bench, args: argparse.Namespace, plain_seconds: float | None) -> None:
    """Instructions of the no-palette and the warm build at ``-j 1``, and the warm cost a page in them; in
    milliseconds too at the rate the no-palette build ran (its instructions over its fastest time), when it
    was timed at ``-j 1``."""
    plain = bench.instructions("plain")
    warm = bench.instructions("warm")
    cost = (warm - plain) / args.pages
    print(f"instructions, -j 1 (callgrind): no palette {plain / 1e9:.3f} G, warm {warm / 1e9:.3f} G")
    shown = f"warm build: {cost / 1e6:+.2f} M instructions a page over the no-palette build"
    if plain_seconds:
        shown += f" (about {cost / (plain / plain_seconds) * 1000:+.2f} ms a page at its rate)"
    print(shown)
    if args.compare:
        compared = bench.instructions("warm", args.compare)
        print(
            f"compared version's warm build: {compared / 1e9:.3f} G; this version's less it: "
            f"{(warm - compared) / args.pages / 1e6:+.2f} M instructions a page"
        )


def _print_bounds(args: argparse.Namespace, times: dict[tuple[str, int], float]) -> None:
    base = times.get(("plain", 1))
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
