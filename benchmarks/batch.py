"""Throughput of ``sphinx-palette batch``: local images with 1 and 2 workers, remote images at 100 ms
latency with 1 and 8 fetch workers, and a Dask LocalCluster of 2 against the local pool of 2.

Each run is the real command (``python -m sphinx_palette batch``) in a subprocess, with a fresh cache,
timed from its closing summary (the run itself: sources walked, palettes computed, rows written; not the
interpreter's start, nor the Dask cluster's) and by the wall clock. The peak memory of each run is the
largest sum of the resident sizes of the command and all its child processes, sampled every 0.1 s.

The local images are CQ100's 100 PNGs, each copied as many times as needed to reach ``--images`` with a
``tEXt`` chunk naming the copy, so that every copy has different bytes (a different cache key) and is
computed, while its pixels are the original's. Remote images come from a server in this process that
waits ``--latency`` seconds before each answer.

    flock /work/team/bench.lock python benchmarks/batch.py --images 2000 --remote 500 --markdown
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

# The shared datasets sit beside the checkout (../shared), as in every clone of this project.
CQ100 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cq100" / "img"
#: The runs, to choose from with --runs, and the ratios printed when both of a pair ran.
RUNS = ("local1", "local2", "dask", "remote1", "remote8")
RATIOS = {
    "2 workers / 1 worker": ("local2", "local1"),
    "Dask 2 / local pool 2": ("dask", "local2"),
    "8 fetch workers / 1": ("remote8", "remote1"),
}
SUMMARY = re.compile(r"(\d+) images: (\d+) computed, (\d+) from cache, (\d+) failed in ([^(;\n]+)")


def tagged_png(data: bytes, tag: str) -> bytes:
    """``data`` (a PNG) with a tEXt chunk after IHDR: same pixels, different bytes."""
    payload = b"Comment\x00" + tag.encode()
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload) & 0xFFFFFFFF)
    end_of_ihdr = 8 + 8 + 13 + 4
    return data[:end_of_ihdr] + chunk + data[end_of_ihdr:]


def local_images(folder: Path, count: int) -> int:
    """Write ``count`` distinct copies of the CQ100 PNGs into ``folder``; return how many originals."""
    originals = sorted(CQ100.glob("*.png"))
    for number in range(count):
        source = originals[number % len(originals)]
        (folder / f"{number:05d}-{source.name}").write_bytes(
            tagged_png(source.read_bytes(), f"copy {number}")
        )
    return len(originals)


def seconds_of(text: str) -> float:
    """Seconds from the summary's duration (``12.3 s``, ``3 min 5 s``, ``1 h 2 min``)."""
    total = 0.0
    for value, unit in re.findall(r"([\d.]+) (h|min|s)\b", text):
        total += float(value) * {"h": 3600, "min": 60, "s": 1}[unit]
    return total


def run(arguments: list[str], label: str) -> dict:
    """Run the batch command; return its counts, run time, wall time and peak memory of the process tree."""
    command = [sys.executable, "-m", "sphinx_palette", "batch", *arguments, "--progress", "none"]
    started = time.monotonic()
    process = psutil.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    peak = 0
    stderr_parts: list[str] = []
    reader = threading.Thread(target=lambda: stderr_parts.append(process.stderr.read()), daemon=True)
    reader.start()
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.monotonic() - started
    reader.join()
    stderr = "".join(stderr_parts)
    found = SUMMARY.search(stderr)
    if found is None or process.returncode not in (0, 1):
        raise SystemExit(f"{label}: the batch failed ({process.returncode}):\n{stderr}")
    total, computed, cached, failed = (int(found.group(i)) for i in range(1, 5))
    seconds = seconds_of(found.group(5))
    print(f"{label}: {found.group(0)}; wall {wall:.1f} s; peak {peak / 2**20:.0f} MiB", file=sys.stderr)
    return {
        "label": label,
        "images": total,
        "computed": computed,
        "cached": cached,
        "failed": failed,
        "seconds": seconds,
        "wall": wall,
        "rate": total / seconds if seconds else float("nan"),
        "peak_mib": peak / 2**20,
    }


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY, Nagle's algorithm holds the body until
    # the client's delayed ACK of the headers (up to 40 ms), which would add to every answer's latency.
    disable_nagle_algorithm = True
    latency = 0.1
    images: dict[str, bytes] = {}

    def do_GET(self) -> None:
        time.sleep(self.latency)
        body = self.images.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, format: str, *args: object) -> None:
        pass


def remote_server(count: int, latency: float) -> tuple[ThreadingHTTPServer, list[str]]:
    """A server of ``count`` distinct small PNGs (CQ100 thumbnails) answering after ``latency`` s."""
    import cv2
    import numpy as np

    originals = sorted(CQ100.glob("*.png"))
    thumbs = []
    for path in originals:
        image = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
        _ok, encoded = cv2.imencode(".png", cv2.resize(image, (96, 64), interpolation=cv2.INTER_AREA))
        thumbs.append(encoded.tobytes())
    _Slow.latency = latency
    _Slow.images = {f"/img/{n}.png": tagged_png(thumbs[n % len(thumbs)], f"copy {n}") for n in range(count)}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return server, [base + path for path in _Slow.images]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=2000, help="local images (default 2000)")
    parser.add_argument("--remote", type=int, default=500, help="remote images (default 500)")
    parser.add_argument("--latency", type=float, default=0.1, help="server latency in seconds (default 0.1)")
    parser.add_argument(
        "--runs",
        nargs="+",
        choices=RUNS,
        default=list(RUNS),
        help="which runs (default all): split a long benchmark into several runs of its pairs",
    )
    parser.add_argument(
        "--remote-workers",
        type=int,
        help="compute processes of the remote runs (default: the command's default, the CPU count)",
    )
    parser.add_argument(
        "--per-host",
        type=int,
        default=8,
        help="downloads per host at once in the remote runs (default 8: all fetch workers on the one host)",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="palette-batch-bench-") as folder:
        work = Path(folder)
        images = work / "images"
        if {"local1", "local2", "dask"} & set(args.runs):
            images.mkdir()
            originals = local_images(images, args.images)
            print(f"{args.images} local images from {originals} CQ100 originals", file=sys.stderr)
        for name in ("local1", "local2"):
            if name in args.runs:
                workers = name[-1]
                out = ["--out", str(work / f"{name}.jsonl"), "--cache-dir", str(work / f"cache-{name}")]
                results[name] = run([str(images), *out, "--workers", workers], f"local, {workers} worker(s)")
        if "dask" in args.runs:
            out = ["--out", str(work / "dask.jsonl"), "--cache-dir", str(work / "cache-dask")]
            results["dask"] = run([str(images), *out, "--dask", "local:2"], "Dask LocalCluster, 2 workers")
        if {"remote1", "remote8"} & set(args.runs):
            server, urls = remote_server(args.remote, args.latency)
            listing = work / "remote.txt"
            listing.write_text("\n".join(urls))
            compute = [] if args.remote_workers is None else ["--workers", str(args.remote_workers)]
            try:
                for name in ("remote1", "remote8"):
                    if name not in args.runs:
                        continue
                    fetchers = name.removeprefix("remote")
                    out = ["--out", str(work / f"{name}.jsonl"), "--cache-dir", str(work / f"cache-{name}")]
                    label = f"remote at {args.latency * 1000:g} ms, {fetchers} fetch worker(s)"
                    options = ["--fetch-workers", fetchers, "--per-host", str(args.per_host), *compute]
                    results[name] = run([f"@{listing}", *out, *options], label)
            finally:
                server.shutdown()

    ratios = {}
    for name, (faster, slower) in RATIOS.items():
        if faster in results and slower in results:
            ratios[name] = results[faster]["rate"] / results[slower]["rate"]
    if args.json:
        args.json.write_text(json.dumps({"results": results, "ratios": ratios}, indent=2))
    if args.markdown:
        print("| run | images | computed | run time | images/s | wall time | peak memory |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in results.values():
            print(
                f"| {r['label']} | {r['images']} | {r['computed']} | {r['seconds']:.1f} s | "
                f"{r['rate']:.1f} | {r['wall']:.1f} s | {r['peak_mib']:.0f} MiB |"
            )
        print()
        for name, value in ratios.items():
            print(f"- {name}: {value:.2f}×")
    else:
        print(json.dumps({"results": results, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
