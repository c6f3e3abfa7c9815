"""The servers of a split store: each shard opened once and kept warm, asked in parallel.

:class:`ShardServer` is one shard's store answering what a query asks of it. Where
``ONEFRAME_RAY_ADDRESS`` is set, each is a Ray actor (its own process, on whichever node Ray
places it, restarted by Ray when it dies); else all of them live in this process, asked from
threads. Either way a call is given a deadline: a shard that fails, is down or is slow is
named in the answer instead of holding it up.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from pathlib import Path
from typing import Any, Protocol

from oneframe.core import settings
from oneframe.index.cluster import NAMESPACE, join, ray_module
from oneframe.index.shards import ShardPlan
from oneframe.index.store import VectorStore
from oneframe.library.folders import Library

DEADLINE_S = 2.0
"""Seconds a search waits for a shard (``ONEFRAME_SHARD_DEADLINE``)."""
MAX_RESTARTS = -1
"""Ray restarts a shard's actor however often it dies (a node lost, killed for memory)."""
CONCURRENT_QUERIES = 8
"""Queries one shard actor answers at once (the app's sessions share it)."""
REFIT_S = 300.0
"""Seconds between two checks of a shard server's index cache against its indexes' size."""


def deadline() -> float:
    return settings.number(settings.SHARD_DEADLINE, DEADLINE_S)


class ShardServer:
    """One shard of a library's store, opened once; what a query asks of it."""

    def __init__(self, root: str, uris: list[str], shard: int,
                 store: VectorStore | None = None) -> None:
        self.shard = shard
        self.store = store or VectorStore(Library(Path(root)),
                                          shard=(ShardPlan(tuple(uris)), shard))
        self.fitted = time.monotonic()

    def channels(self, *asked: Any) -> Any:
        """``StoreQueries.channels`` of this shard."""
        self._refit()
        return self.store.channels(*asked)

    def nearest(self, *asked: Any) -> Any:
        """``StoreQueries.nearest`` of this shard."""
        self._refit()
        return self.store.nearest(*asked)

    def _refit(self) -> None:
        """Every ``REFIT_S``, grow the index cache where the shard's indexes outgrew it (they
        are made and optimised by whichever process writes the shard, not this one)."""
        if time.monotonic() - self.fitted > REFIT_S:
            self.fitted = time.monotonic()
            self.store.fit_cache()

    def warm(self) -> None:
        """Read the shard's indexes into its cache (a server's start)."""
        self.store.prewarm()

    def about(self) -> dict[str, Any]:
        """What the shard holds and where it runs: its videos, process and memory."""
        rss = 0
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
        except OSError:
            pass
        return {"shard": self.shard, "uri": self.store.uri, "videos": len(self.store.ready()),
                "pid": os.getpid(), "rss_mb": rss, "node": _node()}


def _node() -> str | None:
    try:
        import ray

        return str(ray.get_runtime_context().get_node_id()) if ray.is_initialized() else None
    except Exception:  # noqa: BLE001 - where it runs is only told, never needed
        return None


Answers = tuple[dict[int, Any], dict[int, str]]
"""What each shard answered, and why each of the others did not (by shard number)."""


class Shards(Protocol):
    """Every shard's server, asked at once."""

    def ask(self, method: str, asked: dict[int, tuple[Any, ...]], within: float) -> Answers:
        """``method`` of each shard in ``asked`` with its arguments, waiting ``within``
        seconds at most."""
        ...

    def close(self) -> None:
        ...


class LocalShards:
    """The shards' servers in this process, each asked from a thread of its own."""

    def __init__(self, library: Library, plan: ShardPlan,
                 stores: list[VectorStore] | None = None) -> None:
        """``stores``: the shards' stores as this process opened them (optimised here)."""
        self.servers = [ShardServer(str(library.root), list(plan.uris), k,
                                    stores[k] if stores else None) for k in range(plan.count)]
        self.pool = ThreadPoolExecutor(max(4, 2 * plan.count),
                                       thread_name_prefix="oneframe-shard")

    def ask(self, method: str, asked: dict[int, tuple[Any, ...]], within: float) -> Answers:
        futures: dict[Future[Any], int] = {
            self.pool.submit(getattr(self.servers[k], method), *args): k
            for k, args in asked.items()}
        done, _ = wait_for(futures, timeout=within)
        answers: dict[int, Any] = {}
        failed = {k: f"it did not answer within {within:g} s" for f, k in futures.items()
                  if f not in done}
        for future in done:
            if (exc := future.exception()) is not None:
                failed[futures[future]] = f"it failed ({type(exc).__name__}: {str(exc)[:200]})"
            else:
                answers[futures[future]] = future.result()
        return answers, failed

    def close(self) -> None:
        self.pool.shutdown(wait=False)


class RayShards:
    """The shards' servers as Ray actors: named (one per shard location, found again by
    every process that searches the library), spread over the cluster's nodes, restarted by
    Ray when they die; on a cluster (``auto``, ``ray://``) they outlive this process, kept
    warm for the next."""

    def __init__(self, library: Library, plan: ShardPlan, address: str) -> None:
        self.ray = ray_module()
        self.started_here = join(address, library)
        default = 1.0 if address != "local" else min(1.0, (os.cpu_count() or 1) / plan.count)
        cpus = settings.number(settings.SHARD_CPUS, default)
        server = self.ray.remote(ShardServer)
        self.actors = [server.options(
            name=actor_name(uri), namespace=NAMESPACE, get_if_exists=True,
            lifetime=None if address == "local" else "detached",
            max_restarts=MAX_RESTARTS, max_task_retries=0, num_cpus=cpus,
            max_concurrency=CONCURRENT_QUERIES, scheduling_strategy="SPREAD",
        ).remote(str(library.root), list(plan.uris), k) for k, uri in enumerate(plan.uris)]

    def ask(self, method: str, asked: dict[int, tuple[Any, ...]], within: float) -> Answers:
        refs = {getattr(self.actors[k], method).remote(*args): k for k, args in asked.items()}
        ready, _ = self.ray.wait(list(refs), num_returns=len(refs), timeout=within)
        answers: dict[int, Any] = {}
        failed = {k: f"it did not answer within {within:g} s" for ref, k in refs.items()
                  if ref not in ready}
        for ref in ready:
            try:
                answers[refs[ref]] = self.ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - its actor died, or its store failed
                failed[refs[ref]] = _why(exc)
        return answers, failed

    def close(self) -> None:
        if self.started_here:
            self.ray.shutdown()


def stop_servers(library: Library, uris: list[str], address: str) -> int:
    """End the Ray actors serving the shards at ``uris`` (a store split anew, or ``store
    shards --stop``); how many there were."""
    ray = ray_module()
    started_here = join(address, library)
    stopped = 0
    try:
        for uri in uris:
            try:
                ray.kill(ray.get_actor(actor_name(uri), namespace=NAMESPACE), no_restart=True)
                stopped += 1
            except ValueError:  # no such actor
                continue
    finally:
        if started_here:
            ray.shutdown()
    return stopped


def running(library: Library, plan: ShardPlan, address: str) -> dict[int, dict[str, Any] | str]:
    """Each shard's actor as it answers (``ShardServer.about``), or why it does not: not
    started yet, down, slow."""
    ray = ray_module()
    started_here = join(address, library)
    found: dict[int, dict[str, Any] | str] = {}
    try:
        refs = {}
        for k, uri in enumerate(plan.uris):
            try:
                refs[ray.get_actor(actor_name(uri), namespace=NAMESPACE).about.remote()] = k
            except ValueError:
                found[k] = "no actor (started by the first search)"
        ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=deadline())
        for ref, k in refs.items():
            try:
                found[k] = ray.get(ref) if ref in ready else "did not answer in time"
            except Exception as exc:  # noqa: BLE001 - down: said, not raised
                found[k] = _why(exc)
    finally:
        if started_here:
            ray.shutdown()
    return found


def _why(exc: BaseException) -> str:
    """Why a shard's actor did not answer, as a user reads it."""
    kind = type(exc).__name__
    if "Actor" in kind or "Worker" in kind or "Node" in kind:
        return f"its server stopped ({kind}); Ray is starting it again"
    lines = str(exc).strip().splitlines()
    return f"it failed ({kind}: {(lines[-1] if lines else '')[:200]})"


def actor_name(uri: str) -> str:
    """The Ray actor name of the shard stored at ``uri``."""
    return "shard-" + hashlib.sha256(uri.encode()).hexdigest()[:16]
