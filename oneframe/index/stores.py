"""Where a library search finds the few videos worth ranking: one interface, three stores.

:class:`FolderStore` narrows nothing (every video chosen is loaded from its folder);
:class:`IndexedStore` asks the LanceDB store (``store.py``) and, where that store can't be had
or breaks, answers as the folders do while it is rebuilt; :class:`ShardedStore` asks every
shard of a split store at once (``shard_servers.py``: in this process, or a Ray actor each) and
merges their answers into the one store's. A search picks one with :func:`open_store` and
never asks which it has. A new store is one more class here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from oneframe.core import settings
from oneframe.core.errors import OneframeError
from oneframe.core.extras import how_to_install
from oneframe.index.shard_servers import LocalShards, RayShards, Shards, deadline
from oneframe.index.shards import ShardPlan, read_plan
from oneframe.index.store import VectorStore, store_uri
from oneframe.index.store_queries import merged, pick
from oneframe.library.folders import Library

LOG = logging.getLogger("oneframe")
_OPTIMISING = threading.Lock()
SHORTLIST_ABOVE = 24
"""Searches over more videos than this go through the store's shortlist (so a library of
more has a store)."""


class Asked(Protocol):
    """What a shortlist asks, each channel its own part (computed only when a store asks)."""

    def pictures(self) -> dict[str, np.ndarray]:
        """Per picture model, the query's vector."""
        ...

    def sentences(self) -> dict[str, np.ndarray]:
        """Per dialogue model, the vector of what the dialogue is asked."""
        ...

    def line_words(self) -> str:
        """The words a full-text index of lines is asked (excluded words left out)."""
        ...


@dataclass(frozen=True)
class Shortlist:
    """The videos worth ranking, and what the user should know of how they were found (a
    shard that was not searched)."""

    videos: list[str]
    notes: list[str] = field(default_factory=list)


class Store(Protocol):
    """The videos of a library worth ranking for a query."""

    notes: list[str]
    """What a user should know about it (why it is slower than it could be)."""

    def shortlist(self, asked: Asked, limit: int, videos: Sequence[str],
                  whole: bool = False) -> Shortlist:
        """Up to ``limit`` of ``videos`` (all of them for a store that can't tell);
        ``whole``: they are the whole library."""
        ...

    def warm(self) -> None:
        """Read ahead what searches read (a server, at start)."""
        ...


class FolderStore:
    """Every video chosen is ranked, loaded from its folder: exact, slower for many videos."""

    def __init__(self, notes: list[str] | None = None) -> None:
        self.notes = notes or []

    def shortlist(self, asked: Asked, limit: int, videos: Sequence[str],
                  whole: bool = False) -> Shortlist:
        return Shortlist(list(videos))

    def warm(self) -> None:
        return None


class IndexedStore:
    """The library's LanceDB store, in line with its folders; the folders answer while it
    is rebuilt."""

    def __init__(self, library: Library, store: VectorStore, writable: bool) -> None:
        self.library, self.store, self.writable = library, store, writable
        self.notes: list[str] = []
        self.broken = False

    def ready(self) -> list[str]:
        return self.store.ready()

    def shortlist(self, asked: Asked, limit: int, videos: Sequence[str],
                  whole: bool = False) -> Shortlist:
        if self.broken:
            return Shortlist(list(videos))
        pictures, sentences = asked.pictures(), asked.sentences()  # a model's error is the user's
        try:
            return Shortlist(self.store.shortlist(pictures, sentences, asked.line_words(),
                                                  limit, None if whole else list(videos)))
        except OneframeError:
            raise
        except Exception as exc:  # noqa: BLE001 - the store broke: the folders answer
            self._failed(exc)
            return Shortlist(list(videos))

    def _failed(self, exc: BaseException) -> None:
        """Damaged since it was opened: the folders answer; rebuilt in the background, once."""
        self.broken = True
        LOG.warning("oneframe: the store failed (%s: %s); rebuilding it in the background",
                    type(exc).__name__, exc)

        def rebuild() -> None:
            try:
                if read_plan(self.library) is not None:  # split under this process: the next
                    return  # search opens the shards (the library's state changed)
                self.store.rebuild()
            except Exception as again:  # noqa: BLE001 - the folders serve meanwhile
                self.notes.append(_unusable(self.library, again))
                return
            self.broken = False

        if self.writable:
            threading.Thread(target=rebuild, name="oneframe-rebuild", daemon=True).start()

    def warm(self) -> None:
        try:
            self.store.prewarm()
        except Exception as exc:  # noqa: BLE001 - read-ahead only: a failure costs speed
            LOG.warning("oneframe: reading the store ahead failed (%s: %s)",
                        type(exc).__name__, exc)

    def optimise_in_background(self) -> None:
        """Compact and index the store in a daemon thread, one at a time per process."""
        if self.writable:
            optimise_in_background([self.store])


def optimise_in_background(stores: list[VectorStore]) -> None:
    """Compact and index ``stores`` (a store, or a split store's shards), one after another
    in a daemon thread; one such thread at a time per process."""
    def run() -> None:
        if not _OPTIMISING.acquire(blocking=False):
            return
        try:
            for store in stores:
                store.optimise()
        except Exception as exc:  # noqa: BLE001 - the store stays correct, only slower
            LOG.warning("oneframe: compacting and indexing the store failed (%s: %s); it "
                        "stays correct, only slower", type(exc).__name__, exc)
        finally:
            _OPTIMISING.release()

    threading.Thread(target=run, name="oneframe-optimise", daemon=True).start()


class ShardedStore:
    """A store split by video into shards, every shard asked at once and their answers merged
    channel by channel into what the one store would answer; a shard that fails or misses the
    deadline is left out, with a note naming it."""

    def __init__(self, library: Library, plan: ShardPlan, shards: Shards,
                 notes: list[str] | None = None) -> None:
        self.library, self.plan, self.shards = library, plan, shards
        self.notes = notes or []

    def shortlist(self, asked: Asked, limit: int, videos: Sequence[str],
                  whole: bool = False) -> Shortlist:
        pictures, sentences, text = asked.pictures(), asked.sentences(), asked.line_words()
        chosen: dict[int, list[str]] = {k: [] for k in range(self.plan.count)}
        for vid in videos:
            chosen[self.plan.of(vid)].append(vid)
        # every shard, those holding none of the videos too: their lines' counts are part of
        # the whole library's BM25, which one store weighs a scoped search's lines by as well
        answers, failed = self.shards.ask("channels", {
            k: (pictures, sentences, text, None if whole else mine)
            for k, mine in chosen.items()}, deadline())
        found = pick(merged([answers[k] for k in sorted(answers)]), limit)
        return Shortlist(found, [self._unsearched(k, len(chosen[k]), len(videos), why)
                                 for k, why in sorted(failed.items()) if chosen[k]])

    def _unsearched(self, shard: int, held: int, videos: int, why: str) -> str:
        return (f"Shard {shard + 1} of {self.plan.count}, holding {held} of the {videos} "
                f"videos searched, was not searched: {why}. These results come from the "
                "other shards; search again in a moment for all of them.")

    def warm(self) -> None:
        _, failed = self.shards.ask("warm", {k: () for k in range(self.plan.count)}, 600.0)
        for k, why in failed.items():
            LOG.warning("oneframe: reading shard %d's indexes ahead failed: %s", k + 1, why)


def open_store(library: Library,
               optimise: bool = True) -> IndexedStore | FolderStore | ShardedStore:
    """``library``'s store, in line with the folders: synced where the library can be written
    (else read as it is); rebuilt once from the folders if it can't be read; the folders (with
    a note saying why) where it can't be had at all. ``optimise``: compact and index it in the
    background (a long-lived app)."""
    try:
        plan = read_plan(library)
        if plan is not None:
            return _sharded(library, plan, optimise)
        store = VectorStore(library)
    except Exception as exc:  # noqa: BLE001 - not installed, or a location LanceDB can't open
        return _folders(library, exc)
    if (denied := _unwritable(library)) is not None:  # read the store as it is
        LOG.warning("oneframe: the library can't be written (%s); searching its store as it "
                    "is", denied)
        try:
            return IndexedStore(library, store, False) if store.ready() else _folders(library,
                                                                                       denied)
        except Exception as unreadable:  # noqa: BLE001
            return _folders(library, unreadable)
    try:
        _synced(store)
    except Exception as again:  # noqa: BLE001
        return _folders(library, again)
    indexed = IndexedStore(library, store, True)
    if optimise:
        indexed.optimise_in_background()
    return indexed


def _sharded(library: Library, plan: ShardPlan, optimise: bool) -> ShardedStore:
    """``library``'s split store, its shards in line with the folders where it can be written
    (each compacted and indexed in the background, with ``optimise``), served by Ray actors
    where ``ONEFRAME_RAY_ADDRESS`` says so, else in this process."""
    stores = [VectorStore(library, shard=(plan, k)) for k in range(plan.count)]
    notes: list[str] = []
    if _unwritable(library) is None:
        for k, store in enumerate(stores):
            try:
                _synced(store)
            except Exception as exc:  # noqa: BLE001 - the shard is searched as it is
                LOG.warning("oneframe: shard %d (%s) can't be brought in line with the "
                            "library: %s: %s", k + 1, store.uri, type(exc).__name__, exc)
                notes.append(f"Shard {k + 1} of {plan.count} could not take the library's "
                             "latest changes, so its newest videos may be missing from "
                             "results; the server's log says why.")
        if optimise:
            optimise_in_background(stores)
    address = settings.text(settings.RAY_ADDRESS)
    shards: Shards | None = None
    if address:
        try:
            shards = RayShards(library, plan, address)
        except OneframeError as exc:
            LOG.warning("oneframe: %s The %d shards are searched in this process.", exc,
                        plan.count)
            notes.append(f"The shards' Ray cluster can't be reached, so this process searches "
                         f"the {plan.count} shards itself (slower); the server's log says why.")
    return ShardedStore(library, plan, shards or LocalShards(library, plan, stores), notes)


def _unwritable(library: Library) -> OSError | None:
    """Why ``library``'s store can't be written, None where it can."""
    try:
        with (library.root / ".store.lock").open("a"):
            return None
    except OSError as exc:
        return exc


def _synced(store: VectorStore) -> None:
    """``store`` in line with the folders; where it can't be read, made again from them."""
    try:
        store.sync()
    except Exception as exc:  # noqa: BLE001 - damaged: rebuilt once, from the folders
        LOG.warning("oneframe: the store at %s can't be read (%s); rebuilding it from the "
                    "library's folders", store.uri, exc)
        store.rebuild()


def _folders(library: Library, exc: BaseException) -> FolderStore:
    return FolderStore([_unusable(library, exc)])


def _unusable(library: Library, exc: BaseException) -> str:
    """Why searches read the folders: what is missing or broken, and what to do. The note
    names no location and no error text (a visitor of the app reads it): the log has both."""
    if isinstance(exc, ImportError):
        message = ("LanceDB is not installed, so this large library is searched from its "
                   f"folders, which is slower: {how_to_install('large')}.")
        LOG.warning("oneframe: %s", message)
        return message
    LOG.warning("oneframe: the library's store at %s can't be used (%s: %s); searches read "
                "the library's folders", store_uri(library), type(exc).__name__, exc)
    return (f"The library's index (its store) can't be used ({type(exc).__name__}), so "
            "searches read the library's folders, which is slower; the server's log says "
            "where and why. Fix or remove the store, or its ONEFRAME_STORE setting, and it is "
            "made again.")
