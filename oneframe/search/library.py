"""Search over a whole library of any size, without loading all of it.

A library of up to ``SHORTLIST_ABOVE`` videos is loaded whole into one :class:`SearchIndex`, as
it always was. Above that, the LanceDB store (``store.py``) shortlists the videos most likely to
hold a query's best moments (the nearest frames, the nearest dialogue windows, the lines sharing
its words), and today's matcher ranks every frame and line of those videos exactly. The
shortlist is the same whatever the slider says, so moving it re-ranks without a new shortlist.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.core.errors import LibraryError, OneframeError
from oneframe.core.extras import how_to_install
from oneframe.dialogue.cues import Cue
from oneframe.index.store import VectorStore, store_uri
from oneframe.library.folders import Library, VideoIndex
from oneframe.media.images import read_image
from oneframe.search.dialog_query import DialogQuery
from oneframe.search.index import SearchIndex, no_such_video
from oneframe.search.picture import PictureIndex
from oneframe.search.results import SearchResult

SHORTLIST_ABOVE = 24
"""Searches over more videos than this go through the store's shortlist."""
SHORTLIST = 8
"""Videos a shortlist holds."""
KEPT_INDEXES = 4
"""Shortlist indexes kept for the next query (a slider move, a second page)."""

KEPT_VIDEOS = 64
"""Videos kept loaded (vectors memory-mapped, lines parsed) for the next shortlists."""

_OPTIMISING = threading.Lock()
LOG = logging.getLogger("oneframe")


class LibrarySearch:
    """The searchable videos of a library; the same questions as :class:`SearchIndex`."""

    def __init__(self, library: Library | None = None, shortlist_above: int = SHORTLIST_ABOVE,
                 shortlist: int = SHORTLIST, optimise: bool = True) -> None:
        """``optimise``: compact and index the store in the background (a long-lived app);
        a one-off CLI search leaves that to ``ingest-many`` and the app."""
        self.library = library or Library()
        self.shortlist_above, self.shortlist_size = shortlist_above, shortlist
        self._indexes: OrderedDict[tuple[str, ...], SearchIndex] = OrderedDict()
        self._lock = threading.Lock()
        self._all: SearchIndex | None = None
        self._videos: OrderedDict[str, VideoIndex] = OrderedDict()
        self.store: VectorStore | None = None
        self._writable = True
        scan = self.library.scan()
        if len(scan.records) <= shortlist_above:  # small: loaded whole, as it always was
            self._all = SearchIndex(self.library)
            self.records, self.skipped = self._all.records, self._all.skipped
            self.left_out = self._all.left_out
        else:
            self.records = sorted(scan.records, key=lambda r: r.id)
            self.skipped = [str(e) for e in (*scan.damaged, *scan.newer)]
            self.left_out = {**{e.vid: str(e) for e in scan.damaged},
                             **{e.vid: str(e) for e in scan.newer}}
        self.ids = [r.id for r in self.records]
        self.position = {vid: i for i, vid in enumerate(self.ids)}
        if self._all is None:
            self.store = self._open_store()
            if optimise and self.store is not None and self._writable:
                optimise_in_background(self.store)

    def _open_store(self) -> VectorStore | None:
        """The library's store, in line with the folders: synced where the library can be
        written (else used as it is); rebuilt once from the folders if it can't be read; None
        (searches read the folders, with a warning) where it can't be had at all."""
        try:
            store = VectorStore(self.library)
        except Exception as exc:  # noqa: BLE001 - a location LanceDB can't open: the folders
            return self._without_store(exc)
        try:
            with (self.library.root / ".store.lock").open("a"):
                pass
        except OSError as exc:  # the library can't be written: read the store as it is
            LOG.warning("oneframe: the library can't be written (%s); searching its store as "
                        "it is", exc)
            self._writable = False
            try:
                return store if store.ready() else self._without_store(exc)
            except Exception as unreadable:  # noqa: BLE001
                return self._without_store(unreadable)
        try:
            store.sync()
        except Exception as exc:  # noqa: BLE001 - damaged: rebuilt once, from the folders
            LOG.warning("oneframe: the store at %s can't be read (%s); rebuilding it from the "
                        "library's folders", store.uri, exc)
            try:
                store.rebuild()
            except Exception as again:  # noqa: BLE001
                return self._without_store(again)
        return store

    def _without_store(self, exc: BaseException) -> VectorStore | None:
        """No store: searches load the folders (slower, the same results); say why, once."""
        if isinstance(exc, ImportError):
            message = ("LanceDB is not installed, so this library of more than "
                       f"{self.shortlist_above} videos is searched from its folders, which is "
                       f"slower: {how_to_install('large')}.")
        else:
            message = (f"The library's index (the store at {store_uri(self.library)}) can't be "
                       f"used ({type(exc).__name__}: {str(exc)[:200]}), so searches read the "
                       "library's folders, which is slower. Fix or remove the store's folder, "
                       "or its ONEFRAME_STORE setting, and it is made again.")
        LOG.warning("oneframe: %s", message)
        self.skipped.append(message)
        return None

    def _store_failed(self, exc: BaseException) -> None:
        """The store failed mid-search (damaged since it was opened): this query reads the
        folders; the store is rebuilt in the background, once."""
        store, self.store = self.store, None
        if store is None:
            return
        LOG.warning("oneframe: the store failed (%s: %s); rebuilding it in the background",
                    type(exc).__name__, exc)

        def rebuild() -> None:
            try:
                store.rebuild()
            except Exception as again:  # noqa: BLE001 - the folders serve meanwhile
                self._without_store(again)
                return
            self.store = store

        if self._writable:
            threading.Thread(target=rebuild, name="oneframe-rebuild", daemon=True).start()

    def __len__(self) -> int:
        return len(self.ids)

    def _of(self, video: str) -> SearchIndex:
        return self._all or self._index((video,))

    def cues_of(self, video: str) -> list[Cue]:
        return self._of(video).cues_of(video)

    def nearest_frame(self, video: str, seconds: float) -> int:
        return self._of(video).nearest_frame(video, seconds)

    def frame_time(self, video: str, frame: int) -> float:
        return self._of(video).frame_time(video, frame)

    def search(self, query: str | None = None, *, videos: Sequence[str] | None = None,
               image: np.ndarray | str | Path | None = None,
               like: tuple[str, float] | None = None, **options: Any) -> SearchResult:
        """:meth:`SearchIndex.search` over ``videos`` (all by default)."""
        chosen = list(dict.fromkeys(videos)) if videos else list(self.ids)
        missing = [v for v in chosen if v not in self.position]
        if missing:
            raise no_such_video(missing, self.left_out)
        if isinstance(image, (str, Path)):
            image = read_image(image)
        if self.store is not None and len(chosen) > self.shortlist_above:
            try:
                wanted = self._shortlist(query, image, like, None if videos is None else chosen)
            except OneframeError:
                raise
            except Exception as exc:  # noqa: BLE001 - the store broke: the folders answer
                self._store_failed(exc)
            else:
                if like is not None and like[0] not in wanted:
                    wanted.append(like[0])
                return self._index(tuple(sorted(wanted))).search(query, image=image, like=like,
                                                                 **options)
        index = self._all or self._index(tuple(sorted(chosen)))
        return index.search(query, videos=videos, image=image, like=like, **options)

    def _shortlist(self, query: str | None, image: np.ndarray | None,
                   like: tuple[str, float] | None, videos: list[str] | None) -> list[str]:
        """The store's shortlist for this query, by every channel that could rank it."""
        from oneframe.encoders.sentences import sentence_vector
        from oneframe.search.picture import query_vectors

        assert self.store is not None
        scope = [self.records[self.position[v]] for v in (videos or self.ids)]
        stored = None
        if like is not None:
            video = self.library.load(like[0], mmap=True)
            frame = int(np.argmin(np.abs(video.times - float(like[1]))))
            stored = (video.record.model, np.asarray(video.embeddings[frame], np.float32))
        pictures = query_vectors({r.model for r in scope}, query, image, stored)
        sentences, text = {}, ""
        if query and query.strip() and image is None and like is None:
            core = DialogQuery.parse(query).core
            text = query
            for model in sorted({r.dialog_model for r in scope if r.dialog_model}):
                try:
                    sentences[model] = sentence_vector(model, core)
                except OneframeError:  # that dialogue is still found by its words
                    continue
        return self.store.shortlist(pictures, sentences, text, self.shortlist_size, videos)

    def _index(self, wanted: tuple[str, ...]) -> SearchIndex:
        """A search index of ``wanted`` videos, kept for the next few queries."""
        with self._lock:
            index = self._indexes.get(wanted)
            if index is not None:
                self._indexes.move_to_end(wanted)
                return index
        loaded: list[VideoIndex] = []
        skipped = []
        for vid in wanted:
            try:
                loaded.append(self._load(vid))
            except LibraryError as exc:  # damaged or removed since the library was read
                skipped.append(str(exc))
        index = SearchIndex(self.library, loaded=loaded)
        index.skipped = skipped
        with self._lock:
            self._indexes[wanted] = index
            while len(self._indexes) > KEPT_INDEXES:
                self._indexes.popitem(last=False)
        return index

    def warm(self) -> int:
        """Read the store ahead and load the videos a shortlist would (up to ``KEPT_VIDEOS``,
        newest first, their vectors read in), so the first queries don't wait for them; how
        many videos. For a server, at start."""
        if self._all is not None:
            return 0
        if self.store is not None:
            try:
                self.store.prewarm()
            except Exception as exc:  # noqa: BLE001 - read-ahead only: a failure costs speed
                LOG.warning("oneframe: reading the store ahead failed (%s: %s)",
                            type(exc).__name__, exc)
        newest = sorted(self.records, key=lambda r: r.created, reverse=True)[:KEPT_VIDEOS]
        for record in newest:
            try:
                self._load(record.id).resident()
            except LibraryError:
                continue
        kept = list(self._videos.values())
        with contextlib.suppress(OneframeError):  # a model that can't load: searches say so
            PictureIndex([v.record.model for v in kept], [v.embeddings for v in kept],
                         np.cumsum([0] + [len(v.times) for v in kept]),
                         [v.cache for v in kept]).prepare()
        # the loaded videos' millions of small objects (cues, words) live as long as the
        # server: kept out of the collector's full passes, each a ~0.3 s pause otherwise
        gc.freeze()
        return len(self._videos)

    def _load(self, vid: str) -> VideoIndex:
        """A video's index, kept (with its lines as words) for the next shortlists."""
        with self._lock:
            video = self._videos.get(vid)
            if video is not None:
                self._videos.move_to_end(vid)
                return video
        video = self.library.load(vid, mmap=True)
        video.words()
        with self._lock:
            self._videos[vid] = video
            while len(self._videos) > KEPT_VIDEOS:
                self._videos.popitem(last=False)
        return video


def optimise_in_background(store: VectorStore) -> None:
    """Compact and index the store in a daemon thread, one at a time per process."""
    def run() -> None:
        if not _OPTIMISING.acquire(blocking=False):
            return
        try:
            store.optimise()
        except Exception as exc:  # noqa: BLE001 - the store stays correct, only slower
            LOG.warning("oneframe: compacting and indexing the store failed (%s: %s); it "
                        "stays correct, only slower", type(exc).__name__, exc)
        finally:
            _OPTIMISING.release()

    threading.Thread(target=run, name="oneframe-optimise", daemon=True).start()
