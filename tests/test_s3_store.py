"""The library's store on object storage: ``ONEFRAME_STORE=s3://bucket/...`` against a local
S3-compatible server (moto's server mode, started on a loopback port), reached through a proxy
that can vanish mid-write as a real server might.

ingest-many, search, remove and a rebuild run against it by the command line, as a user runs
them; a server gone in the middle of a write leaves the store recoverable by `oneframe store
sync` once it answers again."""

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

import pytest
from conftest import ROOT, WITHOUT_TORCH
from media import SCENES, write_video

from oneframe.library.folders import Library

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(WITHOUT_TORCH, reason="LanceDB is an extra (large)")]
boto3 = pytest.importorskip("boto3", reason="moto[server] (requirements-dev.txt) is absent")
pytest.importorskip("moto.server", reason="moto[server] (requirements-dev.txt) is absent")
BUCKET = "films"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proxy:
    """A loopback TCP proxy to the S3 server that can vanish: after ``vanish_after`` PUT
    requests have started it drops every connection and refuses new ones until ``back()``."""

    def __init__(self, target: int) -> None:
        self.target, self.port = target, free_port()
        self.vanish_after: int | None = None
        self.puts = 0
        self.gone = threading.Event()
        self._conns: list[socket.socket] = []
        self._listen()

    def _listen(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self._conns += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False),
                             daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, asking: bool) -> None:
        try:
            while data := src.recv(65536):
                if asking:
                    self.puts += data.count(b"PUT /")
                    if self.vanish_after is not None and self.puts >= self.vanish_after:
                        self.vanish()
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            src.close()
            dst.close()

    def vanish(self) -> None:
        self.gone.set()
        self.vanish_after = None
        self.server.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            except OSError:
                pass

    def back(self) -> None:
        self.gone.clear()
        self._listen()


@pytest.fixture()
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """moto's S3 server on a loopback port with a bucket, reached through a Proxy; the store
    set to live there (the usual AWS variables, and LanceDB storage options for quick
    failure: one retry, 5 s)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = Proxy(port)
    url = f"http://127.0.0.1:{proxy.port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": url, "AWS_ALLOW_HTTP": "true",
                        "ONEFRAME_STORE": f"s3://{BUCKET}/library.store",
                        "ONEFRAME_STORE_OPTIONS": json.dumps({
                            "client_max_retries": "1", "client_retry_timeout": "5",
                            "timeout": "5s", "connect_timeout": "2s"})}.items():
        monkeypatch.setenv(name, value)
    try:
        for _ in range(200):
            try:
                boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}").create_bucket(
                    Bucket=BUCKET)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.05)
        yield proxy
    finally:
        proxy.server.close()
        server.kill()
        server.wait()


def oneframe(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oneframe", *argv], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env=os.environ.copy())


def objects(s3: Proxy, prefix: str = "library.store/") -> list[str]:
    """What the bucket holds, asked of the server itself (not through the proxy)."""
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{s3.target}")
    found = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return [o["Key"] for o in found]


def clips(folder: Path, count: int) -> Path:
    orders = [SCENES, SCENES[::-1], [SCENES[1], SCENES[0]], SCENES * 2]
    videos = [write_video(folder / f"clip-{i}.mp4", orders[i % len(orders)], fps=10 + i)
              for i in range(count)]
    listed = folder / "sources.txt"
    listed.write_text("\n".join(map(str, videos)) + "\n")
    return listed


def store_says(run: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    """``(videos in the store, videos in the library)`` from `oneframe store`'s last line."""
    words = run.stdout.strip().splitlines()[-1].split()
    return int(words[-6]), int(words[-1])


def test_ingest_many_search_remove_and_rebuild_against_s3(s3: Proxy, tmp_path: Path) -> None:
    run = oneframe("ingest-many", str(clips(tmp_path, 3)), "--json", "--speech", "off",
                   "--ocr", "off")
    assert run.returncode == 0, run.stderr
    ids = [json.loads(line)["id"] for line in run.stdout.splitlines()]
    assert sorted(ids) == sorted(Library().ids())
    assert not (Library().root / ".store").exists()  # nothing local: the store is in the bucket
    assert any(key.endswith(".manifest") for key in objects(s3))
    run = oneframe("store", "sync")
    assert run.returncode == 0 and store_says(run) == (3, 3), run.stdout + run.stderr

    from oneframe.index.store import VectorStore
    from oneframe.search.library import LibrarySearch

    library = Library()
    assert VectorStore(library).ready() == sorted(ids)
    search = LibrarySearch(library, shortlist_above=1, shortlist=2, optimise=False)
    hits = search.search(like=(ids[1], 1.0), top_k=3, min_score=0).hits
    assert hits[0].video == ids[1]  # the store's shortlist found the video by its own frame

    run = oneframe("remove", ids[0])
    assert run.returncode == 0, run.stderr
    assert VectorStore(library).ready() == sorted(ids[1:])
    run = oneframe("store", "rebuild")
    assert run.returncode == 0 and store_says(run) == (2, 2), run.stdout + run.stderr


def test_a_server_gone_mid_write_leaves_the_store_recoverable_by_sync(
        s3: Proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the videos go into the library's folders first (the store elsewhere for the while)
    monkeypatch.setenv("ONEFRAME_STORE", str(tmp_path / "elsewhere.store"))
    run = oneframe("ingest-many", str(clips(tmp_path, 4)), "--speech", "off", "--ocr", "off")
    assert run.returncode == 0, run.stderr
    monkeypatch.setenv("ONEFRAME_STORE", f"s3://{BUCKET}/library.store")
    s3.vanish_after = s3.puts + 3  # a few objects written, then nothing answers
    run = oneframe("store", "sync")
    assert s3.gone.is_set() and run.returncode == 1
    assert "could not be brought in line" in run.stderr and "oneframe store sync" in run.stderr
    assert objects(s3)  # a torn write: some of it is in the bucket
    s3.back()
    run = oneframe("store", "sync")
    assert run.returncode == 0 and store_says(run) == (4, 4), run.stdout + run.stderr
    # which table the cut tore depends on the order LanceDB uploads a table's objects in
    # (several at once): a fresh clone once found another one torn. What holds whatever it
    # tore is tested: the sync makes the store whole
    from oneframe.index.store import VectorStore

    assert VectorStore(Library()).ready() == sorted(Library().ids())
