"""The servers of a split store: each shard opened once and kept warm, asked in parallel.

:class:`ShardServer` is one shard's store answering what a query asks of it. Where
``ONEFRAME_RAY_ADDRESS`` is set, each is a Ray actor (its own process, on whichever node Ray
places it, restarted by Ray when it dies); else all of them live in this process, asked from
threads. Either way a call is given a deadline: a shard that fails, is down or is slow is
named in the answer instead of holding it up.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
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

LOG = logging.getLogger("oneframe")
DEADLINE_S = 2.0
"""Seconds a search waits for a shard (``ONEFRAME_SHARD_DEADLINE``)."""
STARTUP_S = 300.0
"""Seconds the shards' actors are given to start and read their indexes in, before the
first search (the deadline then holds for every search)."""
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
                 store: VectorStore | None = None, warm_now: bool = False) -> None:
        """``warm_now``: read the indexes in at once, in the background (an actor: Ray
        starting it again after it died brings it back warm)."""
        self.shard = shard
        self.store = store or VectorStore(Library(Path(root)),
                                          shard=(ShardPlan(tuple(uris)), shard))
        self.fitted = time.monotonic()
        self._warming = threading.Lock()
        self._warm = False
        if warm_now:
            threading.Thread(target=self.warm, name="oneframe-shard-warm", daemon=True).start()

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
        """Read the shard's indexes into its cache (a server's start), once."""
        with self._warming:
            if not self._warm:
                self.store.prewarm()
                self._warm = True

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
        self.running: dict[int, list[tuple[Future[Any], float]]] = {}
        """Each shard's calls not yet answered, with when each is past its deadline."""

    def ask(self, method: str, asked: dict[int, tuple[Any, ...]], within: float) -> Answers:
        failed: dict[int, str] = {}
        futures: dict[Future[Any], int] = {}
        for k, args in asked.items():
            if (stuck := self._stuck(k)) is not None:  # not one more thread on a hung shard
                failed[k] = f"it is {stuck:.0f} s past the deadline of an earlier search"
                continue
            future = self.pool.submit(getattr(self.servers[k], method), *args)
            self.running.setdefault(k, []).append((future, time.monotonic() + within))
            futures[future] = k
        done, _ = wait_for(futures, timeout=within)
        answers: dict[int, Any] = {}
        failed |= {k: f"it did not answer within {within:g} s" for f, k in futures.items()
                   if f not in done}
        for future in done:
            if (exc := future.exception()) is not None:
                failed[futures[future]] = _failure(futures[future], exc)
            else:
                answers[futures[future]] = future.result()
        return answers, failed

    def _stuck(self, shard: int) -> float | None:
        """Seconds shard ``shard`` has been past the deadline of a call it still has not
        answered (None: it is keeping up)."""
        calls = [(f, due) for f, due in self.running.get(shard, []) if not f.done()]
        self.running[shard] = calls
        late = time.monotonic() - min((due for _, due in calls), default=time.monotonic())
        return late if late > 0 else None

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
        self.root, self.plan = str(library.root), plan
        self.server = self.ray.remote(ShardServer)
        self.placed = {"namespace": NAMESPACE, "get_if_exists": True,
                       "lifetime": None if address == "local" else "detached",
                       "max_restarts": MAX_RESTARTS, "max_task_retries": 0, "num_cpus": cpus,
                       "max_concurrency": CONCURRENT_QUERIES, "scheduling_strategy": "SPREAD"}
        self.actors = [self._actor(k) for k in range(plan.count)]
        # started (or found) warm before the first search, which the deadline then holds
        _, failed = self.ask("warm", dict.fromkeys(range(plan.count), ()), STARTUP_S)
        for k, why in failed.items():
            LOG.warning("oneframe: shard %d's server did not start: %s", k + 1, why)

    def _actor(self, shard: int) -> Any:
        """Shard ``shard``'s actor: the running one of its name, else a new one."""
        return self.server.options(name=actor_name(self.plan.uris[shard]), **self.placed).remote(
            self.root, list(self.plan.uris), shard, None, True)

    def ask(self, method: str, asked: dict[int, tuple[Any, ...]], within: float) -> Answers:
        refs = {getattr(self.actors[k], method).remote(*args): k for k, args in asked.items()}
        ready, late = self.ray.wait(list(refs), num_returns=len(refs), timeout=within)
        answers: dict[int, Any] = {}
        failed = {refs[ref]: f"it did not answer within {within:g} s" for ref in late}
        for ref in late:  # one still queued is dropped; one running finishes unread
            with contextlib.suppress(Exception):
                self.ray.cancel(ref)
        for ref in ready:
            k = refs[ref]
            try:
                answers[k] = self.ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - its actor died, or its store failed
                failed[k] = _why(k, exc)
                if type(exc).__name__ == "ActorDiedError":  # the same actor while Ray restarts
                    with contextlib.suppress(Exception):  # it; a new one if it ended for good
                        self.actors[k] = self._actor(k)
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
                found[k] = _why(k, exc)
    finally:
        if started_here:
            ray.shutdown()
    return found


def _why(shard: int, exc: BaseException) -> str:
    """Why a shard's actor did not answer, as a user reads it (the details are logged)."""
    kind = type(exc).__name__
    if "Actor" in kind or "Worker" in kind or "Node" in kind:
        LOG.warning("oneframe: shard %d's server stopped: %s", shard + 1, exc)
        return "its server stopped; it is being started again"
    return _failure(shard, exc)


def _failure(shard: int, exc: BaseException) -> str:
    """A shard's error as a note a visitor may read: its kind, not its text (which may name
    server paths or buckets); the text goes to the log."""
    cause = getattr(exc, "cause", None)  # a Ray task's error carries the shard's own
    kind = type(cause if isinstance(cause, BaseException) else exc).__name__
    LOG.warning("oneframe: shard %d failed: %s: %s", shard + 1, kind, exc)
    return f"it failed ({kind}; the server's log has the details)"


def actor_name(uri: str) -> str:
    """The Ray actor name of the shard stored at ``uri``."""
    return "shard-" + hashlib.sha256(uri.encode()).hexdigest()[:16]
