"""ingest-many on a real multi-node Ray cluster on this machine: a head and two worker nodes,
each started by its own `ray start` (its own raylet, one CPU each), as on separate hosts.

The head offers no CPU, so every task runs on a worker node; the JSON lines name the node of
each. A worker node killed mid-run (SIGKILL to its raylet) costs only retries on the other."""

from __future__ import annotations

import contextlib
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
from planted import film_library

from oneframe.index.splitting import split_store
from oneframe.index.store import VectorStore
from oneframe.index.stores import IndexedStore
from oneframe.library.folders import Library
from oneframe.search.library import LibrarySearch

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(WITHOUT_TORCH, reason="Ray is an extra (cluster)"),
              pytest.mark.skipif(shutil.which("ray", path=str(Path(sys.executable).parent))
                                 is None, reason="the cluster extra (Ray) is not installed")]
RAY = str(Path(sys.executable).parent / "ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict[str, str]]:
    """A head (no CPUs) and two worker nodes (one CPU each); the variables that reach it."""
    port = free_port()
    ray_env = {
        "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0", "RAY_ADDRESS": f"127.0.0.1:{port}",
        # a dead node is noticed in seconds, not the default half minute
        "RAY_health_check_period_ms": "500", "RAY_health_check_failure_threshold": "4",
        "RAY_health_check_initial_delay_ms": "0"}
    env = os.environ | ray_env

    def start(*args: str) -> None:
        run = subprocess.run([RAY, "start", *args, "--disable-usage-stats"], env=env,
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]

    try:
        start("--head", "--port", str(port), "--num-cpus", "0", "--include-dashboard",
              "false", "--temp-dir", str(Path("/tmp") / f"ray-{port}"))
        for _ in range(2):
            start("--address", f"127.0.0.1:{port}", "--num-cpus", "1")
        yield ray_env
    finally:
        stop_cluster(Path("/tmp") / f"ray-{port}")


def stop_cluster(folder: Path) -> None:
    """Kill this cluster's processes alone (``ray stop`` would end every Ray on the machine:
    another test's, or the developer's own): those naming its folder, and their children
    (workers and agents, which name it not)."""
    ours = subprocess.run(["pgrep", "-f", f"{folder}/"], capture_output=True,
                          text=True).stdout.split()
    for pid in ours:
        ours += subprocess.run(["pgrep", "-P", pid], capture_output=True,
                               text=True).stdout.split()
    for pid in dict.fromkeys(ours):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def worker_raylets(env: dict[str, str]) -> dict[str, int]:
    """Each worker node's id and its raylet's process id."""
    script = ("import json, ray; ray.init(address='auto', logging_level='ERROR'); "
              "print(json.dumps([[n['NodeID'], n['Resources']] "
              "for n in ray.nodes() if n['Alive']]))")
    run = subprocess.run([sys.executable, "-c", script], env=os.environ | env,
                         capture_output=True,
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
                             cwd=ROOT, env=os.environ | env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(json.loads(line))
        if kill and lines[-1].get("node") in kill:
            os.kill(kill.pop(lines[-1]["node"]), signal.SIGKILL)
            kill.clear()
    assert child.wait(timeout=600) in (0, 1), child.stderr.read() if child.stderr else ""
    return lines


def test_shard_actors_answer_as_one_store_and_a_killed_one_is_named_then_restarted(
        cluster: dict[str, str], tmp_path: Path) -> None:
    """60 videos in 3 shards, each a Ray actor on the worker nodes: the top 10 of 50 queries
    as the one store's; an actor killed with SIGKILL costs one answer its shard (with a note
    naming it), Ray starts it again and the next answer is whole (tests/shard_front.py, in a
    process of its own). Runs first: the other test kills a node."""
    library = Library()
    queries = film_library(library, 60)
    one = LibrarySearch(library, optimise=False)
    assert isinstance(one.store, IndexedStore)
    one.store.store.optimise(force=True)  # as a split's shards are: their lines' text index
    expected = {q: [[h.video, round(h.time, 2)] for h in one.search(
        q, visual_weight=w, top_k=10).hits] for q, w in queries}
    plan = split_store(library, 3)
    assert plan is not None
    query = queries[5][0]  # "the gondola": said in films of more than one shard
    killed = next(k for k in range(3) if any(plan.of(v) == k for v, _ in expected[query]))
    asked = tmp_path / "queries.json"
    asked.write_text(json.dumps(queries))
    env = os.environ | cluster | {
        "ONEFRAME_RAY_ADDRESS": "auto", "ONEFRAME_SHARD_CPUS": "0.5",  # 3 on 2 one-CPU nodes
        "ONEFRAME_SHARD_DEADLINE": "30"}  # a busy test machine is no fault
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "shard_front.py"), str(asked),
                          str(killed)], env=env, capture_output=True, text=True, timeout=600,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["skipped"] == [] and seen["failed"] == {}
    assert {q: hits for q, hits in seen["tops"].items() if hits != expected[q]} == {}
    about = seen["about"]
    assert len({a["node"] for a in about.values()}) == 2  # spread over both workers
    assert [about[str(k)]["videos"] for k in range(3)] == [
        sum(plan.of(v) == k for v in library.ids()) for k in range(3)]
    notes = seen["after_kill"]["warnings"]  # a busy machine may leave out others as well
    assert any(f"Shard {killed + 1} of 3" in n and "not searched" in n for n in notes)
    hits = seen["after_kill"]["hits"]
    assert hits and all(plan.of(video) != killed for video, _ in hits)
    assert seen["restarted_pid"] not in (None, about[str(killed)]["pid"])
    assert seen["whole"] == {"warnings": [], "hits": expected[query]}
    assert any(f"Shard {killed + 1} of 3" in n for n in seen["stopped"])
    assert seen["back"] == {"warnings": [], "hits": expected[query]}


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
