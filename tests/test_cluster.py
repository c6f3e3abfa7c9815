"""ingest-many on a real multi-node Ray cluster on this machine: a head and two worker nodes,
each started by its own `ray start` (its own raylet, one CPU each), as on separate hosts.

The head offers no CPU, so every task runs on a worker node; the JSON lines name the node of
each. A worker node killed mid-run (SIGKILL to its raylet) costs only retries on the other."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, WITHOUT_TORCH
from media import SCENES, write_video

from oneframe.index.store import VectorStore
from oneframe.library.folders import Library

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(WITHOUT_TORCH, reason="Ray is an extra (cluster)"),
              pytest.mark.skipif(shutil.which("ray", path=str(Path(sys.executable).parent))
                                 is None, reason="the cluster extra (Ray) is not installed")]
RAY = str(Path(sys.executable).parent / "ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A head (no CPUs) and two worker nodes (one CPU each); the environment to reach it."""
    port = free_port()
    env = os.environ | {
        "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0", "RAY_ADDRESS": f"127.0.0.1:{port}",
        # a dead node is noticed in seconds, not the default half minute
        "RAY_health_check_period_ms": "500", "RAY_health_check_failure_threshold": "4",
        "RAY_health_check_initial_delay_ms": "0"}
    subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)

    def start(*args: str) -> None:
        run = subprocess.run([RAY, "start", *args, "--disable-usage-stats"], env=env,
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]

    try:
        start("--head", "--port", str(port), "--num-cpus", "0", "--include-dashboard",
              "false", "--temp-dir", str(Path("/tmp") / f"ray-{port}"))
        for _ in range(2):
            start("--address", f"127.0.0.1:{port}", "--num-cpus", "1")
        yield env
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(Path("/tmp") / f"ray-{port}", ignore_errors=True)


def worker_raylets(env: dict[str, str]) -> dict[str, int]:
    """Each worker node's id and its raylet's process id."""
    script = ("import json, ray; ray.init(address='auto', logging_level='ERROR'); "
              "print(json.dumps([[n['NodeID'], n['Resources']] "
              "for n in ray.nodes() if n['Alive']]))")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=120)
    nodes = json.loads(run.stdout.strip().splitlines()[-1])
    found = {}
    for node, resources in nodes:
        if resources.get("CPU"):
            pids = subprocess.run(["pgrep", "-f", f"raylet.*--node_id={node}"],
                                  capture_output=True, text=True).stdout.split()
            found[node] = int(pids[0])
    return found


def sources(folder: Path, count: int, first_fps: int = 10) -> Path:
    """``count`` different real videos (frame rates from ``first_fps`` up) and a missing one,
    listed in a file."""
    folder.mkdir(parents=True, exist_ok=True)
    orders = [SCENES, SCENES[::-1], [SCENES[1], SCENES[0]], [SCENES[0]] * 2, SCENES * 2,
              [SCENES[1]] * 3]
    videos = [write_video(folder / f"clip-{i}.mp4", orders[i % len(orders)], fps=first_fps + i)
              for i in range(count)]
    listed = folder / "sources.txt"
    listed.write_text("\n".join([*map(str, videos), str(folder / "missing.mp4")]) + "\n")
    return listed


def ingest_many(listed: Path, env: dict[str, str], kill: dict[str, int] | None = None,
                ) -> list[dict[str, str]]:
    """`oneframe ingest-many LIST --ray auto --json`; with ``kill``, the raylet of the node
    that reports first is killed at once, while the other tasks are running."""
    child = subprocess.Popen([sys.executable, "-m", "oneframe", "ingest-many", str(listed),
                              "--ray", "auto", "--json", "--speech", "off", "--ocr", "off"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(json.loads(line))
        if kill and lines[-1].get("node") in kill:
            os.kill(kill.pop(lines[-1]["node"]), signal.SIGKILL)
            kill.clear()
    assert child.wait(timeout=600) in (0, 1), child.stderr.read() if child.stderr else ""
    return lines


def test_tasks_spread_over_both_nodes_and_a_killed_node_costs_only_retries(
        cluster: dict[str, str], tmp_path: Path) -> None:
    """One cluster (starting one costs ~20 s): tasks land on both workers; then a worker
    node's raylet is killed mid-run, and every source still ends added or with an error."""
    library = Library()
    VectorStore(library).sync()  # the library keeps a store, which must match its folders
    first = sources(tmp_path / "first", 4)
    workers = worker_raylets(cluster)
    assert len(workers) == 2
    lines = ingest_many(first, cluster)
    assert len(lines) == 5
    added = [line for line in lines if line["id"]]
    assert len(added) == 4 and {line["node"] for line in lines} == set(workers)
    [failed] = [line for line in lines if line["error"]]
    assert "missing.mp4" in failed["error"]
    assert sorted(line["id"] for line in added) == sorted(library.ids())

    before = set(library.ids())
    listed = sources(tmp_path / "second", 6, first_fps=20)  # none like the first four
    started = time.monotonic()
    lines = ingest_many(listed, cluster, kill=dict(workers))
    assert time.monotonic() - started < 600
    listed_sources = [s for s in listed.read_text().splitlines() if s]
    assert sorted(line["source"] for line in lines) == sorted(listed_sources)
    added = {line["source"]: line["id"] for line in lines if line["id"]}
    errors = [line["error"] for line in lines if line["error"]]
    # every source ends added or with an error line; only the missing file fails
    assert len(added) == 6 and len(errors) == 1 and "missing.mp4" in errors[0]
    assert sorted(before | set(added.values())) == sorted(library.ids())
    assert VectorStore(library).ready() == sorted(library.ids())
    alive = worker_raylets(cluster)
    assert len(alive) == 1  # the killed node stayed dead: its tasks were retried on the other
