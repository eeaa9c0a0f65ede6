"""``sphinx-palette batch`` with real parts: a Dask scheduler and two worker processes, and an S3 server
(moto in server mode), all started by these tests on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sphinx_palette import cli
from sphinx_palette.batch.outputs import read_rows
from sphinx_palette.cli import main
from tests.batch_helpers import CountingImages
from tests.batch_site import IIIFSite
from tests.httpserver import LocalHTTPServer, RecordedRequest, Response
from tests.remote_helpers import png

pytestmark = pytest.mark.cluster
distributed = pytest.importorskip("distributed")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server process; the environment points boto3, s3fs and child processes at it."""
    pytest.importorskip("s3fs")
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "FSSPEC_S3_ENDPOINT_URL": endpoint,
        }
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str) -> str:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="masters")
    for number in range(5):
        body = png([(40 * number, 200 - 30 * number, 90)])
        client.put_object(Bucket="masters", Key=f"tiff/{number}.png", Body=body)
    client.put_object(Bucket="masters", Key="tiff/broken.png", Body=b"not an image")
    return "masters"


@pytest.fixture(scope="module")
def scheduler(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Dask scheduler and two single-threaded worker processes (they inherit the S3 settings)."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    common: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": folder}
    processes = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            **common,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "dask"),
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    **common,
                )
            )
        address = json.loads(scheduler_file.read_text())["address"]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(30)


def rows_by_key(path: Path) -> dict:
    return {(r["source"], r["canvas"]): r for r in read_rows(path, 5)}


def run(*args: str | Path, cache: str | Path) -> int:
    return cli.main(["batch", *map(str, args), "--cache-dir", str(cache), "--progress", "none"])


class Counting:
    """Serves the IIIF site's routes slowly and counts requests in flight (the cluster-wide peak)."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = 0
        self.server = server

    def wrap(self, path: str, response: Response) -> None:
        def handler(request: RecordedRequest) -> Response:
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            time.sleep(0.05)
            with self.lock:
                self.now -= 1
            return response

        self.server.route(path, handler)


def test_dask_cluster_writes_the_rows_of_a_local_run_politely(
    scheduler: str, http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    site = IIIFSite(http_server)
    top = site.paged2(total=60, per_page=20)
    counting = Counting(http_server)
    for number in range(60):
        counting.wrap(f"/images/{number}.png", Response(headers={"Content-Type": "image/png"},
                      body=png([(4 * number, 100, 255 - 4 * number)])))  # fmt: skip
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert run(top, "--out", local, "--workers", "1", cache=tmp_path / "c-local") == 0
    counting.peak = 0
    status = run(top, "--out", dask, "--dask", scheduler, "--partition-size", "8", "--per-host", "2",
                 "--fetch-workers", "4", cache=tmp_path / "c-dask")  # fmt: skip
    assert status == 0
    assert rows_by_key(dask) == rows_by_key(local)
    assert len(rows_by_key(dask)) == 60
    # Two workers with four fetch threads each, yet never more than --per-host 2 at the host at once.
    assert counting.peak == 2
    # The palettes were written to the shared cache by the workers: a local rerun computes nothing.
    again = tmp_path / "again.jsonl"
    assert run(top, "--out", again, "--workers", "1", "--offline", cache=tmp_path / "c-dask") == 0
    assert rows_by_key(again) == rows_by_key(local)


def test_s3_sources_on_a_local_run_and_on_the_cluster(
    scheduler: str, bucket: str, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "s3.jsonl"
    assert run(f"s3://{bucket}/tiff/*.png", f"s3://{bucket}/tiff/absent.png", "--out", out, "--workers", "1",
               cache=tmp_path / "cache") == 1  # fmt: skip
    rows = rows_by_key(out)
    assert len(rows) == 7
    good = [r for r in rows.values() if r["error"] is None]
    assert len(good) == 5 and all(r["source"].startswith("s3://masters/tiff/") for r in good)
    assert "no such object" in rows[("s3://masters/tiff/absent.png", None)]["error"]
    assert rows[("s3://masters/tiff/broken.png", None)]["error"]
    on_cluster = tmp_path / "cluster.jsonl"
    assert run(f"s3://{bucket}/tiff/", "--out", on_cluster, "--dask", scheduler, cache=tmp_path / "c2") == 1
    assert {k: r for k, r in rows_by_key(on_cluster).items()} == {
        k: r for k, r in rows.items() if not k[0].endswith("absent.png")
    }
    assert "6 images: 5 computed, 0 from cache, 1 failed" in capsys.readouterr().err


# --- the cache in S3, shared by batches, Dask workers, Sphinx and MkDocs builds ----------------------------


@pytest.fixture(scope="module")
def cache_bucket(s3_endpoint: str) -> str:
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="palette-cache")
    return "palette-cache"


def as_a_user_sets_it(s3_endpoint: str) -> dict[str, str]:
    """The environment of a build on a machine configured for the S3 server: AWS's own variables only."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FSSPEC_"))}
    return {
        **environment,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "NO_COLOR": "1",
    }


@pytest.mark.slow
def test_s3_cache_written_by_a_batch_is_read_by_sphinx_and_mkdocs_builds(
    s3_endpoint: str, cache_bucket: str, tmp_path: Path
) -> None:
    from sphinx_palette.remote.cache import PaletteCache

    url = f"s3://{cache_bucket}/site"
    src = tmp_path / "src"
    (src / "img").mkdir(parents=True)
    names = [f"img/{n}.png" for n in range(3)]
    for number, name in enumerate(names):
        (src / name).write_bytes(png([(80 * number, 30, 200 - 60 * number), (250, 250, 250)]))
    assert run(*(src / n for n in names), "--out", tmp_path / "rows.jsonl", "--workers", "1", cache=url) == 0
    assert len([e for e in PaletteCache(url).entries() if e.kind == "palettes"]) == 3
    # A Sphinx project with the same images and the same cache URL, built as a user would build it.
    (src / "conf.py").write_text(f"extensions = ['sphinx_palette']\npalette_cache_dir = {url!r}\n")
    body = "\n\n".join(f".. palette:: {name}" for name in names)
    (src / "index.rst").write_text(f"Palettes\n========\n\n{body}\n")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-E", str(src), str(tmp_path / "html")],
        capture_output=True, text=True, env=as_a_user_sets_it(s3_endpoint), timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert "3 palettes (0 computed, 3 from cache, 0 failed)" in build.stdout, build.stdout + build.stderr
    # The MkDocs plugin with the same cache URL.
    docs = tmp_path / "mk" / "docs"
    shutil.copytree(src / "img", docs / "img")
    fences = "\n\n".join(f"```{{palette}} {name}\n```" for name in names)
    (docs / "index.md").write_text(f"# Palettes\n\n{fences}\n")
    (docs.parent / "mkdocs.yml").write_text(
        f"site_name: S3 cache\nplugins:\n  - palette:\n      cache_dir: {url}\n      workers: 1\n"
    )
    mkdocs = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=docs.parent, capture_output=True, text=True,
        env={**as_a_user_sets_it(s3_endpoint), "NO_MKDOCS_2_WARNING": "1"}, timeout=300,
    )  # fmt: skip
    assert mkdocs.returncode == 0, mkdocs.stderr
    assert "3 palettes (0 computed, 3 from cache, 0 failed)" in mkdocs.stderr, mkdocs.stderr


def test_dask_workers_share_an_s3_cache(
    scheduler: str, bucket: str, cache_bucket: str, tmp_path: Path, capsys
) -> None:
    url = f"s3://{cache_bucket}/dask"
    sources = f"s3://{bucket}/tiff/*.png"
    assert run(sources, "--out", tmp_path / "cluster.jsonl", "--dask", scheduler, cache=url) == 1
    assert "6 images: 5 computed, 0 from cache, 1 failed" in capsys.readouterr().err
    # Another machine (here a local run with a fresh output) finds the workers' palettes in the bucket.
    assert run(sources, "--out", tmp_path / "local.jsonl", "--workers", "1", cache=url) == 1
    assert "6 images: 0 computed, 5 from cache, 1 failed" in capsys.readouterr().err
    assert rows_by_key(tmp_path / "local.jsonl") == rows_by_key(tmp_path / "cluster.jsonl")
    assert main(["cache", "info", url, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["directory"] == url and figures["kinds"]["palettes"]["files"] == 5


def test_a_retry_after_received_by_one_worker_pauses_the_host_for_every_worker(
    scheduler: str, http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    # The first request is told to wait 2 s; the others are answered after 0.2 s. Each worker has two fetch
    # threads and the host four leases, so while one worker waits out its pause (its threads holding two
    # leases), the other could go on sending with the two left: only the shared pause stops it.
    handler = CountingImages(
        lambda n: png([(20 * n, 90, 250 - 20 * n)]),
        hold=0.2,
        first=[Response(status=429, headers={"Retry-After": "2"})],
    )
    for number in range(12):
        http_server.route(f"/{number}.png", handler)
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(f"{http_server.url(f'/{n}.png')}\n" for n in range(12)))
    options = ["--dask", scheduler, "--partition-size", "3", "--per-host", "4", "--fetch-workers", "2"]
    status = run(f"@{listing}", "--out", tmp_path / "rows.jsonl", *options, cache=tmp_path / "cache")
    assert status == 0
    assert len(rows_by_key(tmp_path / "rows.jsonl")) == 12
    (paused_at,) = handler.statuses(429)
    during = [t - paused_at for t, _, _ in handler.log if paused_at + 0.25 < t < paused_at + 1.95]
    # Only a request already on its way when the 429 was sent may arrive just after it; none in the pause.
    assert during == []
    assert len(handler.log) == 13  # twelve images and the one retry
