"""``sphinx-palette batch`` with real parts: a Dask scheduler and two worker processes, and an S3 server
(moto in server mode), all started by these tests on 127.0.0.1."""

from __future__ import annotations

import json
import os
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


def run(*args: str | Path, cache: Path) -> int:
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
