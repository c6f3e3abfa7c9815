"""A channel, playlist, feed or folder added as a collection: dialogue first, pictures after.

:func:`start_collection` reads the list and records the videos chosen (the queue, kept in the
library: see :mod:`oneframe.library.collections`). :class:`CollectionRun` then works the queue:
first every video's captions, a few at a time at a polite pace per site, each becoming a
dialogue-only entry searchable at once; then, one video at a time (those asked for first),
the whole video, which replaces its dialogue-only entry in one step. A failure is retried
(with a growing pause, a site's 429 included) and, past a few tries, named on the video and
left for a retry on request. Stopping (Cancel, a crash, a kill) loses nothing: the next run
resumes from what the collection file says.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from oneframe.core import settings
from oneframe.core.errors import LibraryError, OneframeError
from oneframe.core.progress import Stage
from oneframe.index.store import has_store, stores_of
from oneframe.index.stores import SHORTLIST_ABOVE
from oneframe.ingest.dialogue_first import add_dialogue
from oneframe.ingest.lists import collection_options
from oneframe.ingest.options import IngestOptions
from oneframe.ingest.pipeline import ingest
from oneframe.ingest.remove import remove
from oneframe.library.collections import (
    DIALOGUE,
    FAILED,
    LISTED,
    PICTURES,
    WAITING,
    Collection,
    Collections,
    Item,
)
from oneframe.library.folders import Library
from oneframe.sources.policy import ServePolicy
from oneframe.sources.ytdlp import ManyVideos, polite_pause

LOG = logging.getLogger("oneframe")
TRIES = 4
"""Tries of one video's stage before it is marked failed (a retry on request starts again)."""
BACKOFF = 2.0
"""Seconds before a second try of a video (doubled at each try after, a site's wait at least)."""
WORKERS_ENV, WORKERS = settings.LIST_WORKERS, 4
STORE_EVERY = 200
"""Dialogue-only entries added between two updates of the library's store."""
SAVE_EVERY = 1.0
"""Seconds between two saves of a collection's progress while its lines are fetched (an
entry added but not yet saved as such is found again, not added twice, by the next run)."""
REREAD = 2.0
"""Seconds a run goes by its last reading of the collection before reading it again."""
PROCESSES_ABOVE = 40
"""Videos to look at above which a collection's lines are fetched in processes, one a core
(reading pages and parsing captions hold the interpreter's lock), not threads."""


@dataclass
class Got:
    """What looking for one video's lines came to (from a worker thread or process)."""

    entry: str | None = None
    captions: str | None = None
    existing: bool = False
    pictured: bool = False
    published: str | None = None
    error: str | None = None
    error_visitor: str | None = None
    details: str | None = None
    seconds: float = 0.0


_MANY: dict[str, ManyVideos] = {}


def lines_of(url: str, options: IngestOptions, root: str, policy: ServePolicy | None) -> Got:
    """One video's lines as a dialogue-only entry of the library at ``root``; never raises
    (run in a worker: its yt-dlp instances are kept for the next video)."""
    started = time.monotonic()
    videos = _MANY.setdefault(str(options.cookies), ManyVideos(options.cookies))
    try:
        got = add_dialogue(url, options, library=Library(root), policy=policy,
                           follow_store=False, videos=videos)
    except OneframeError as exc:
        return Got(error=str(exc), error_visitor=exc.for_visitor(), details=exc.details,
                   seconds=time.monotonic() - started)
    except Exception as exc:  # one video's bug must not stop the collection
        LOG.exception("oneframe: looking for the lines of %s failed", url)
        return Got(error=f"{type(exc).__name__}: {exc}", error_visitor="An unexpected error "
                   "(the details are in the server's log).", seconds=time.monotonic() - started)
    record = got.record
    return Got(record.id if record else None, got.captions, got.existing,
               bool(record and record.has_pictures), got.published,
               seconds=time.monotonic() - started)


PICTURE_TURNS = threading.Lock()
"""Held while a collection fetches a video's picture: one at a time in a process, whatever
the number of collections being added."""


class Cancelled(OneframeError):
    """A collection's run was stopped as asked (what was done is kept; it resumes later)."""


class _Pace:
    """One request at a time per site, ``pace_for`` seconds apart."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next: dict[str, float] = {}

    def wait(self, url: str) -> None:
        pause = polite_pause(url)
        if not pause:
            return
        host = urlsplit(url).hostname or ""
        with self.lock:
            at = max(time.monotonic(), self.next.get(host, 0.0))
            self.next[host] = at + pause
        time.sleep(max(0.0, at - time.monotonic()))


@dataclass
class RunReport:
    """What a run is doing, for a progress view."""

    stage: str = "dialogue"
    done: int = 0
    seconds: float = 0.0
    current: str | None = None
    notes: list[str] = field(default_factory=list)

    def rate(self) -> float | None:
        """Seconds per video in the current stage, so far."""
        return self.seconds / self.done if self.done else None


class CollectionRun:
    """Works a collection's queue: every video's lines, then (where asked) its picture."""

    def __init__(self, library: Library, name: str, *, policy: ServePolicy | None = None,
                 workers: int | None = None, on_change: Callable[[Collection], None] | None = None,
                 stop: threading.Event | None = None, pictures: bool | None = None) -> None:
        """``on_change``: called with the collection after each video; ``stop``: set to
        cancel (heard within a second); ``pictures``: run the picture stage (default: as the
        collection says, and for the videos asked first)."""
        self.library, self.policy = library, policy
        self.collections = Collections(library)
        self.id = self.collections.get(name).id
        self.workers = workers or int(settings.number(WORKERS_ENV, WORKERS, minimum=1,
                                                      integer=True))
        self.on_change = on_change or (lambda _c: None)
        self.stop = stop or threading.Event()
        self.pictures = pictures
        self.report = RunReport()
        self._pace = _Pace()
        self._retry_at: dict[str, float] = {}
        self._seen: tuple[float, Collection] | None = None

    def run(self) -> Collection:
        """Both stages, to the end of the queue (or until stopped: :class:`Cancelled`)."""
        owner = self.collections.running(self.id)
        if owner is None:
            raise LibraryError("This collection is being added by another process already; "
                               "its progress shows there.")
        try:
            self._dialogue()
            self._pictures()
        finally:
            owner.close()
        return self.collections.get(self.id)

    def _collection(self) -> Collection:
        return self.collections.get(self.id)

    def _update(self, url: str, **changes: Any) -> Collection:
        with self.collections.editing(self.id) as collection:
            for item in collection.items:
                if item.url == url:
                    for key, value in changes.items():
                        setattr(item, key, value)
        self._seen = (time.monotonic(), collection)
        self.on_change(collection)
        return collection

    def _check(self) -> None:
        if self.stop.is_set():
            raise Cancelled("Stopped as asked. What was added is kept; the rest resumes when "
                            "the collection is run again.")

    # --- the dialogue stage -----------------------------------------------------------------

    def _dialogue(self) -> None:
        """Every listed video's lines, a few at a time; results saved in batches."""
        collection = self._collection()
        options = collection_options(collection)
        self.report = RunReport("dialogue")
        pool, size = self._pool(sum(i.state == LISTED for i in collection.items))
        running: dict[Future[Got], Item] = {}
        done: list[tuple[Item, Got]] = []
        added, saved = 0, time.monotonic()
        try:
            while True:
                self._check()
                busy = {i.url for i in running.values()} | {i.url for i, _ in done}
                try:
                    for item in self._ready(LISTED, busy)[:4 * size - len(running)]:
                        self._pace.wait(item.url)
                        self._check()
                        running[pool.submit(lines_of, item.url, options,
                                            str(self.library.root), self.policy)] = item
                    if not running and not done:
                        if not self._waiting_retry(LISTED):
                            break
                        time.sleep(0.2)
                        continue
                    finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                    done += [(running[f], f.result()) for f in finished]
                    for f in finished:
                        running.pop(f)
                except BrokenProcessPool as exc:  # a worker died, or couldn't start (a
                    # script without a __main__ guard): the rest in threads
                    LOG.warning("oneframe: the worker processes stopped (%s); going on in "
                                "threads", exc)
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool, size = self._threads(), self.workers
                    running.clear()  # their videos are asked again (an entry made is found)
                    continue
                if done and (not running or time.monotonic() - saved > SAVE_EVERY):
                    new = self._record(done)
                    if (added + new) // STORE_EVERY > added // STORE_EVERY:
                        self._store()
                    added, done, saved = added + new, [], time.monotonic()
        finally:  # what is under way ends before the run lets go of the collection
            pool.shutdown(wait=True, cancel_futures=True)
        self._store(optimise=added > 0)

    def _pool(self, todo: int) -> tuple[Executor, int]:
        """Processes, one a core, for many videos (reading pages and parsing captions hold the
        interpreter's lock); threads for a few."""
        cores = os.cpu_count() or 1
        if todo > PROCESSES_ABOVE and cores > 1:
            size = min(self.workers, cores)
            return ProcessPoolExecutor(size, mp_context=multiprocessing.get_context(
                "spawn")), size
        return self._threads(), self.workers

    def _threads(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self.workers, thread_name_prefix="oneframe-list")

    def _record(self, done: list[tuple[Item, Got]]) -> int:
        """What a batch of videos came to, saved in one step; how many entries it added."""
        added = 0
        with self.collections.editing(self.id) as collection:
            items = {i.url: i for i in collection.items}
            for asked, got in done:
                item = items.get(asked.url)
                if item is None:  # the collection was changed meanwhile
                    continue
                if got.error is not None:
                    self._failed_item(item, got.error, got.error_visitor, got.details,
                                      DIALOGUE)
                    continue
                self._retry_at.pop(item.url, None)
                item.state = (WAITING if got.entry is None else PICTURES if got.pictured
                              else DIALOGUE)
                item.entry, item.captions, item.error, item.attempts = (
                    got.entry, got.captions, None, 0)
                item.published = item.published or got.published
                # an entry the library held is not the collection's, unless it is a
                # dialogue-only one (only a collection makes those: this one, before a kill)
                item.owned = item.owned or not got.existing or not got.pictured
                added += bool(got.entry and not got.existing)
                self.report.done += 1
                self.report.seconds += got.seconds
        self._seen = (time.monotonic(), collection)
        self.on_change(collection)
        return added

    def _store(self, optimise: bool = False) -> None:
        """The library's store in line with the new entries (made once the library needs one),
        and, after a stage, compacted and indexed. Best effort: a search syncs it anyway."""
        try:
            if has_store(self.library) or len(self.library.ids()) > SHORTLIST_ABOVE:
                for store in stores_of(self.library):
                    store.sync()
                    if optimise:
                        store.optimise()
        except Exception as exc:  # noqa: BLE001 - the folders are what counts
            LOG.warning("oneframe: the store did not follow the collection (%s: %s)",
                        type(exc).__name__, exc)

    def _view(self) -> Collection:
        """The collection as last read: read again once it is ``REREAD`` seconds old (so a
        refresh, a retry or a video asked first elsewhere is seen), not at every step."""
        if self._seen is None or time.monotonic() - self._seen[0] > REREAD:
            self._seen = (time.monotonic(), self._collection())
        return self._seen[1]

    def _ready(self, state: str, busy: set[str]) -> list[Item]:
        now_ = time.monotonic()
        items = [i for i in self._view().items if i.state == state
                 and i.url not in busy and self._retry_at.get(i.url, 0.0) <= now_]
        return sorted(items, key=lambda i: not i.first)

    def _waiting_retry(self, state: str) -> bool:
        return any(i.state == state and i.url in self._retry_at
                   for i in self._view().items)

    def _failed(self, item: Item, exc: OneframeError, stage: str) -> None:
        with self.collections.editing(self.id) as collection:
            found = next((i for i in collection.items if i.url == item.url), None)
            if found is not None:
                self._failed_item(found, str(exc), exc.for_visitor(), exc.details, stage)
        self._seen = (time.monotonic(), collection)
        self.on_change(collection)

    def _failed_item(self, item: Item, error: str, visitor: str | None, details: str | None,
                     stage: str) -> None:
        """A failed try of ``item`` (being saved): tried again after a growing pause (a site's
        429 asks for longer), or, past ``TRIES``, marked failed with the reason."""
        item.attempts += 1
        item.error, item.error_visitor = error, visitor
        if item.attempts >= TRIES:
            self._retry_at.pop(item.url, None)
            item.state, item.stage_failed = FAILED, stage
            return
        wait_s = BACKOFF * 2 ** (item.attempts - 1)
        if "429" in f"{error} {details or ''}" or "rate limit" in error.lower():
            wait_s = max(wait_s, 2 * polite_pause(item.url))
        self._retry_at[item.url] = time.monotonic() + wait_s
        LOG.info("oneframe: %s failed (%s); trying again in %.0f s", item.url, error, wait_s)

    # --- the picture stage ------------------------------------------------------------------

    def _pictures(self) -> None:
        self.report = RunReport("pictures")
        while True:
            self._check()
            collection = self._collection()
            self._seen = (time.monotonic(), collection)  # this stage goes by a fresh reading
            wanted = collection.pictures if self.pictures is None else self.pictures
            todo = [i for i in self._ready(DIALOGUE, set()) + self._ready(WAITING, set())
                    if wanted or i.first]
            todo.sort(key=lambda i: not i.first)
            if not todo:
                if any(i.state in (DIALOGUE, WAITING) and i.url in self._retry_at
                       and (wanted or i.first) for i in collection.items):
                    time.sleep(0.2)
                    continue
                return
            self._one_picture(todo[0], collection_options(collection))

    def _one_picture(self, item: Item, options: IngestOptions) -> None:
        started = time.monotonic()
        self.report.current = item.title

        def heard(stage: Stage, done: int, total: int) -> None:
            self._check()

        replace = item.entry if item.entry and item.entry in self.library.ids() else None
        try:
            with PICTURE_TURNS:  # one video's download and embedding at a time, server-wide
                record = ingest(item.url, options.replaced(replace=replace or False),
                                library=self.library, policy=self.policy, progress=heard)
        except Cancelled:
            raise
        except OneframeError as exc:
            self._failed(item, exc, PICTURES)
            return
        except Exception as exc:  # one video's bug must not stop the collection
            LOG.exception("oneframe: adding the picture of %s failed", item.url)
            self._failed(item, OneframeError(f"{type(exc).__name__}: {exc}", visitor=(
                "An unexpected error (the details are in the server's log).")), PICTURES)
            return
        self._retry_at.pop(item.url, None)
        owned = item.owned or record.outcome != "existing"
        if replace and record.id != replace:  # the library had it whole already: the
            with contextlib.suppress(LibraryError):  # dialogue-only entry goes
                remove(self.library, replace)
        self._update(item.url, state=PICTURES, entry=record.id, error=None, attempts=0,
                     first=False, owned=owned,
                     captions=item.captions or record.caption_kind or "none")
        self.report.done += 1
        self.report.seconds += time.monotonic() - started
        self.report.current = None
