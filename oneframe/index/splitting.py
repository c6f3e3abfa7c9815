"""Splitting a library's store into shards (or back into one), and what each shard holds.

A split builds the new shards beside the store in use, each from the library's folders and
indexed, and only then switches the library to them (its ``.shards.json``); the old store or
shards are removed after. Stopped midway, the library keeps what it had, and the next split
picks up the shards already made.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oneframe.core import settings
from oneframe.index.shard_servers import running, stop_servers
from oneframe.index.shards import ShardPlan, count_for, read_plan, shard_uris, write_plan
from oneframe.index.store import VectorStore, store_uri
from oneframe.library.folders import Library

LOG = logging.getLogger("oneframe")


def split_store(library: Library, count: int | None = None,
                told: Callable[[str], None] = lambda line: None) -> ShardPlan | None:
    """Split ``library``'s store into ``count`` shards (None: one per ``FILMS_PER_SHARD``
    videos); 1 makes it one store again. The plan now in use (None: one store)."""
    old = read_plan(library)
    count = count or count_for(len(library.ids()))
    new = None if count == 1 else ShardPlan(tuple(shard_uris(store_uri(library), count)))
    stores = ([VectorStore(library)] if new is None
              else [VectorStore(library, shard=(new, k)) for k in range(count)])
    for store in stores:
        added, removed = store.sync()
        store.optimise(force=bool(added or removed))
        told(f"{store.uri}: {len(store.ready())} videos")
    write_plan(library, new)
    kept = set(new.uris) if new else {store_uri(library)}
    for uri in _retired(library, old, kept):
        VectorStore(library, uri=uri).drop()
        told(f"{uri}: removed")
    base = Path(shard_uris(store_uri(library), 1)[0]).parent
    if "://" not in str(base):  # the shards' folder, once it holds none
        with contextlib.suppress(OSError):
            base.rmdir()
    address = settings.text(settings.RAY_ADDRESS)
    if old and address and old != new:
        stop_servers(library, [u for u in old.uris if u not in kept], address)
    return new


def _retired(library: Library, old: ShardPlan | None, kept: set[str]) -> list[str]:
    """The stores to remove once ``kept`` are in use: the one store and the shards beside
    it (in object storage, the old plan's; on disk, every folder in the shards' folder, those
    a split stopped midway left too); never anything else, whatever a plan file names."""
    one = store_uri(library)
    base = shard_uris(one, 1)[0].rsplit("/", 1)[0]
    if "://" in one:  # removing a store that isn't there removes nothing
        found = [one, *(u for u in (old.uris if old else ()) if u.startswith(base + "/")
                        and ".." not in u[len(base):])]
    else:
        found = [str(p) for p in [Path(one), *sorted(Path(base).glob("*"))] if p.is_dir()]
    return [u for u in dict.fromkeys(found) if u not in kept]


def shard_report(library: Library) -> list[dict[str, Any]]:
    """Each shard (or the one store) of ``library``: where it is, the videos it holds and
    should hold, and, where ``ONEFRAME_RAY_ADDRESS`` is set, its actor's process."""
    plan = read_plan(library)
    ids = library.ids()
    stores = ([VectorStore(library)] if plan is None
              else [VectorStore(library, shard=(plan, k)) for k in range(plan.count)])
    address = settings.text(settings.RAY_ADDRESS)
    actors = running(library, plan, address) if plan is not None and address else {}
    rows = []
    for k, store in enumerate(stores):
        row: dict[str, Any] = {"shard": k + 1, "of": len(stores), "uri": store.uri,
                               "videos": len(store.ready()),
                               "library": sum(store.holds(v) for v in ids)}
        if plan is not None and address:
            row["server"] = actors.get(k)
        rows.append(row)
    return rows
