"""The front of tests/test_cluster.py's shard test, in a process of its own (Ray keeps a
cluster's token in the process that joined it): searches a split library through its shard
actors on the cluster (``ONEFRAME_RAY_ADDRESS``), kills one actor, later ends it for good, and
prints what it saw as JSON. Usage: python shard_front.py QUERIES.json KILLED_SHARD"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from oneframe.index.shard_servers import RayShards, ray_module, stop_servers
from oneframe.index.stores import ShardedStore
from oneframe.library.folders import Library
from oneframe.search.library import LibrarySearch


def top(search: LibrarySearch, query: str, weight: float) -> list[list[object]]:
    return [[h.video, round(h.time, 2)] for h in search.search(query, visual_weight=weight,
                                                                top_k=10).hits]


def main() -> None:
    queries, killed = json.loads(Path(sys.argv[1]).read_text()), int(sys.argv[2])
    library = Library()
    search = LibrarySearch(library, optimise=False)
    store = search.store
    assert isinstance(store, ShardedStore) and isinstance(store.shards, RayShards)
    seen: dict[str, object] = {"skipped": search.skipped}
    try:
        store.warm()  # as the app's warm-up: each actor reads its indexes in
        seen["tops"] = {q: top(search, q, w) for q, w in queries}
        every = dict.fromkeys(range(store.plan.count), ())
        about, failed = store.shards.ask("about", every, 30.0)
        seen["about"], seen["failed"] = {str(k): v for k, v in about.items()}, failed
        query, weight = queries[5]
        os.kill(about[killed]["pid"], signal.SIGKILL)
        os.environ["ONEFRAME_SHARD_DEADLINE"] = "0.5"
        result = search.search(query, visual_weight=weight, top_k=10)
        seen["after_kill"] = {"warnings": result.warnings,
                              "hits": [[h.video, round(h.time, 2)] for h in result.hits]}
        os.environ["ONEFRAME_SHARD_DEADLINE"] = "30"
        deadline, again = time.monotonic() + 120, {}
        while time.monotonic() < deadline and killed not in again:  # Ray starts it again
            again, _ = store.shards.ask("about", {killed: ()}, 5.0)
            time.sleep(0.2)
        seen["restarted_pid"] = again.get(killed, {}).get("pid")
        whole = search.search(query, visual_weight=weight, top_k=10)
        seen["whole"] = {"warnings": whole.warnings,
                         "hits": [[h.video, round(h.time, 2)] for h in whole.hits]}
        # ended for good (`oneframe store shards --stop` from another process): named once,
        # then a new actor started by the search that found it gone
        stop_servers(library, [store.plan.uris[killed]], "auto")
        seen["stopped"] = search.search(query, visual_weight=weight, top_k=10).warnings
        back = search.search(query, visual_weight=weight, top_k=10)
        seen["back"] = {"warnings": back.warnings,
                        "hits": [[h.video, round(h.time, 2)] for h in back.hits]}
    finally:
        stop_servers(library, list(store.plan.uris), "auto")  # detached: they outlive us
        ray_module().shutdown()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
