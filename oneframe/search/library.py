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
from oneframe.dialogue.cues import Cue
from oneframe.encoders.sentences import sentence_vector
from oneframe.index.stores import SHORTLIST_ABOVE, FolderStore, Store, open_store
from oneframe.library.folders import Library, VideoIndex
from oneframe.media.images import read_image
from oneframe.search.index import SearchIndex, no_such_video
from oneframe.search.picture import PictureIndex, query_vectors
from oneframe.search.query import Query
from oneframe.search.results import SearchResult

SHORTLIST = 8
"""Videos a shortlist holds."""
KEPT_INDEXES = 4
"""Shortlist indexes kept for the next query (a slider move, a second page)."""

KEPT_VIDEOS = 64
"""Videos kept loaded (vectors memory-mapped, lines parsed) for the next shortlists."""

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
        scan = self.library.scan()
        if len(scan.records) <= shortlist_above:  # small: loaded whole, as it always was
            self._all = SearchIndex(self.library)
            self.records, self._skipped = self._all.records, self._all.skipped
            self.left_out = self._all.left_out
        else:
            self.records = sorted(scan.records, key=lambda r: r.id)
            self._skipped = [str(e) for e in (*scan.damaged, *scan.newer)]
            self.left_out = {**{e.vid: str(e) for e in scan.damaged},
                             **{e.vid: str(e) for e in scan.newer}}
        self.ids = [r.id for r in self.records]
        self.position = {vid: i for i, vid in enumerate(self.ids)}
        self.store: Store = (FolderStore() if self._all is not None
                             else open_store(self.library, optimise))

    @property
    def skipped(self) -> list[str]:
        """What was left out of searches, and why (damaged videos, a store that can't be
        used)."""
        return self._skipped + [n for n in self.store.notes if n not in self._skipped]

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

    def search(self, query: Query | str | None = None, *, videos: Sequence[str] | None = None,
               image: np.ndarray | str | Path | None = None,
               like: tuple[str, float] | None = None, **options: Any) -> SearchResult:
        """:meth:`SearchIndex.search` over ``videos`` (all by default)."""
        if isinstance(image, (str, Path)):
            image = read_image(image)
        asked = query if isinstance(query, Query) else Query.of(query, image=image, like=like)
        chosen = list(dict.fromkeys(videos)) if videos else list(self.ids)
        missing = [v for v in chosen if v not in self.position]
        if missing:
            raise no_such_video(missing, self.left_out)
        if self._all is not None:
            return self._all.search(asked, videos=videos, **options)
        if len(chosen) > self.shortlist_above:
            shortlist = self.store.shortlist(_Shortlisting(self, asked, chosen),
                                             self.shortlist_size, chosen, whole=videos is None)
            wanted = list(shortlist.videos)
            if asked.like is not None and asked.like[0] not in wanted:
                wanted.append(asked.like[0])
            found = self._index(tuple(sorted(wanted))).search(asked, **options)
            found.warnings.extend(shortlist.notes)  # a shard that was not searched
            return found
        return self._index(tuple(sorted(chosen))).search(asked, videos=videos, **options)

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
        self.store.warm()
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


class _Shortlisting:
    """What the store's shortlist asks of one query, over the videos chosen: each channel
    its own part of it, computed when the store asks."""

    def __init__(self, search: LibrarySearch, query: Query, chosen: list[str]) -> None:
        self.search, self.query = search, query
        self.scope = [search.records[search.position[v]] for v in chosen]

    def pictures(self) -> dict[str, np.ndarray]:
        stored = None
        if self.query.like is not None:
            video = self.search.library.load(self.query.like[0], mmap=True)
            frame = int(np.argmin(np.abs(video.times - float(self.query.like[1]))))
            stored = (video.record.model, np.asarray(video.embeddings[frame], np.float32))
        return query_vectors({r.model for r in self.scope if r.has_pictures},
                             self.query.picture_text,
                             self.query.image, stored)

    def sentences(self) -> dict[str, np.ndarray]:
        """Per dialogue model that loads, the vector of the first reading's core."""
        core = next((r.core for r in self.query.readings if r.core), None)
        found: dict[str, np.ndarray] = {}
        if core is None:
            return found
        for model in sorted({r.dialog_model for r in self.scope if r.dialog_model}):
            try:
                found[model] = sentence_vector(model, core)
            except OneframeError:  # that dialogue is still found by its words
                continue
        return found

    def line_words(self) -> str:
        return self.query.line_words
