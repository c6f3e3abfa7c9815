"""A library's store split by video into shards: which shard holds a video, and where each is.

A sharded library keeps its plan in ``<library>/.shards.json`` (how many shards, each one's
store location); each shard is a store of its own (``VectorStore`` with ``shard`` set: a LanceDB
folder, or a prefix in object storage) holding its videos' rows and its own indexes. A video's
shard is chosen by rendezvous hashing of its id: the same shard for as long as the count stays,
and re-splitting N shards into N+1 moves only a 1/(N+1) share of the videos.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from oneframe.core.errors import LibraryError
from oneframe.library.folders import STATE_FILES, Library

PLAN = STATE_FILES[0]
FILMS_PER_SHARD = 1000
"""Videos a shard holds when the count is chosen by size: 1,000 films (7.2 million frames) are
2 GB of process with their 2-bit codes held (bench/scale.py), one node's worth."""


def shard_of(vid: str, count: int) -> int:
    """The shard (0 to ``count - 1``) that holds video ``vid``: the highest of its hashes
    with each shard's number (rendezvous hashing)."""
    return max(range(count), key=lambda k: hashlib.blake2b(
        f"{k}\0{vid}".encode(), digest_size=8).digest())


def shard_uris(base: str, count: int) -> list[str]:
    """Where the ``count`` shards of the store at ``base`` live, side by side with it:
    ``<base>-shards/<count>-<k>`` (a new count never writes over the shards in use)."""
    return [f"{base.rstrip('/')}-shards/{count}-{k}" for k in range(count)]


def count_for(videos: int) -> int:
    """Shards for a library of ``videos``: one per ``FILMS_PER_SHARD``, at least one."""
    return max(1, -(-videos // FILMS_PER_SHARD))


@dataclass(frozen=True)
class ShardPlan:
    """How many shards a library's store is split into, and where each lives."""

    uris: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.uris)

    def of(self, vid: str) -> int:
        """The shard that holds ``vid``."""
        return shard_of(vid, self.count)

    def holds(self, shard: int, vid: str) -> bool:
        return self.of(vid) == shard


def read_plan(library: Library) -> ShardPlan | None:
    """``library``'s shard plan, None where its store is not split; a clear error where the
    plan can't be read."""
    path = library.root / PLAN
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LibraryError(f"The library's shard plan {path} can't be read ({exc}). Split the "
                           "store again: oneframe store shard --count N.") from exc
    uris = data.get("uris") if isinstance(data, dict) else None
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise LibraryError(f"The library's shard plan {path} is damaged (no list of shards). "
                           "Split the store again: oneframe store shard --count N.")
    return ShardPlan(tuple(uris))


def write_plan(library: Library, plan: ShardPlan | None) -> None:
    """Make ``plan`` the library's, in one step (None: the store is one again)."""
    path = library.root / PLAN
    if plan is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{PLAN}.{os.getpid()}.part")
    part.write_text(json.dumps({"uris": list(plan.uris)}, indent=1), encoding="utf-8")
    os.replace(part, path)


def shard_lock(library: Library, uri: str | None, what: str = "store") -> Path:
    """The lock file of the writes to the shard at ``uri`` (None: the library's one store,
    ``.store.lock``): by location, so that a split building its new shards never waits on,
    nor holds up, the writes to the shards in use."""
    if uri is None:
        return library.root / f".{what}.lock"
    return library.root / f".{what}-{hashlib.sha256(uri.encode()).hexdigest()[:16]}.lock"
