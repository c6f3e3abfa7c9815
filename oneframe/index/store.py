"""The library's vectors in LanceDB, for libraries too large to hold in memory.

The per-video folders stay what the library *is* (manifest, thumbnails, video file, the arrays
ingest wrote); the store is an index derived from them, kept in ``<library>/.store`` (a
folder, no server). :meth:`VectorStore.sync` brings it in line with the folders, touching only
the videos that were added, replaced or removed, so a first open migrates a library written by
earlier releases and any later open costs time in proportion to the change.

Tables: ``frames_<group>`` (video, frame, time, vector) per picture model and width,
``windows_<group>`` (video, window, vector) per dialogue model, ``lines`` (video, cue, terms:
the line's words and stems as dialogue matching makes them in the video's language, so a
full-text index of them, split at spaces and changed no further, finds the lines that share
the query's words in any script) and ``videos`` (video, the manifest's stamp, the dialogue's
language, ready). A store of an earlier layout (a ``cues`` table of raw text, stemmed as
English) is rebuilt at its first sync. LanceDB commits each table on its own, so a video's
``ready`` row is written last and searches see only ready videos; rows of a video that never
became ready (a crash mid-sync) are deleted at the next sync. The store can always be rebuilt
from the folders.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Iterable
from typing import Any

import numpy as np

from oneframe.core import settings
from oneframe.core.errors import LibraryError
from oneframe.dialogue.languages import DEFAULT
from oneframe.index.lance_tables import (
    cache_mb_for,
    connect,
    index_cache_mb,
    new_session,
    optimise_table,
    prewarm,
    vector_column,
)
from oneframe.index.shards import PLAN, ShardPlan, read_plan, shard_lock
from oneframe.index.store_queries import (
    CANDIDATES,
    CUES,
    LINE_COUNT,
    SHARD_LINES,
    TERMS,
    TOKEN_COUNT,
    StoreQueries,
    group_name,
    quoted,
)
from oneframe.library.atomic import held
from oneframe.library.folders import Library, VideoIndex
from oneframe.library.manifest import MANIFEST, VideoRecord

STORE_DIR = ".store"
STORE_ENV = settings.STORE
VIDEOS = "videos"
OLD_CUES = "cues"
"""The lines table of earlier releases (raw text, English stems): its store is rebuilt."""
LOG = logging.getLogger("oneframe")


def _stamp(record: VideoRecord) -> str:
    """What changes when a video is replaced: its manifest (a new file each time), its
    creation time and parameters."""
    try:
        found = (record.path / MANIFEST).stat()
        made = (found.st_mtime_ns, found.st_ino)
    except (OSError, TypeError):
        made = None
    return hashlib.sha256(repr((made, record.created, record.params(), record.dim)).encode()
                          ).hexdigest()[:24]


def store_uri(library: Library) -> str:
    """Where ``library``'s store lives: ``$ONEFRAME_STORE`` (a folder, or object storage such
    as ``s3://bucket/library.store``), else ``<library>/.store``."""
    return settings.text(STORE_ENV) or str(library.root / STORE_DIR)


BATCH_ROWS = 200_000
"""Rows (frames and lines) written to the store in one commit per table, at most."""


def _within(vids: list[str]) -> str:
    return f"video IN ({', '.join(quoted(v) for v in vids)})"


def _rows(vid: str, stamp: str, model: str, times: np.ndarray, frames: np.ndarray,
          dialog_model: str | None, windows: np.ndarray | None, lines: list[str] | None,
          lang: str) -> list[tuple[str, Any]]:
    """One video's rows, ``(table name, Arrow table)`` each (its ``videos`` row not ready)."""
    import pyarrow as pa

    found = [(VIDEOS, pa.table({"video": [vid], "stamp": [stamp], "model": [model],
                                "frames": [len(times)], "lang": [lang], "ready": [False]}))]
    if frames.shape[1]:  # a dialogue-only video has no frame vectors yet
        found.append((group_name("frames", model, int(frames.shape[1])), pa.table({
            "video": pa.array([vid] * len(times), pa.string()),
            "frame": pa.array(np.arange(len(times), dtype=np.int32)),
            "time": pa.array(np.asarray(times, np.float64)),
            "vector": vector_column(frames)})))
    if windows is not None and len(windows):
        found.append((group_name("windows", dialog_model or "", int(windows.shape[1])), pa.table({
            "video": pa.array([vid] * len(windows), pa.string()),
            "window": pa.array(np.arange(len(windows), dtype=np.int32)),
            "vector": vector_column(windows)})))
    if lines:
        found.append((CUES, pa.table({"video": pa.array([vid] * len(lines), pa.string()),
                                      "cue": pa.array(np.arange(len(lines), dtype=np.int32)),
                                      "terms": pa.array(lines, pa.string())})))
        found.append((TERMS, term_counts([vid] * len(lines), lines)))
    return found


def term_counts(videos: list[str], lines: list[str]) -> Any:
    """The ``TERMS`` rows of ``lines`` (each a line's terms, of the video beside it): per video
    and term, its lines holding the term, and its lines and terms in all."""
    import pyarrow as pa

    counts: dict[tuple[str, str], int] = {}
    for vid, line in zip(videos, lines, strict=True):
        tokens = line.split(" ")
        for key in [*((vid, t) for t in set(tokens)), (vid, LINE_COUNT)]:
            counts[key] = counts.get(key, 0) + 1
        counts[(vid, TOKEN_COUNT)] = counts.get((vid, TOKEN_COUNT), 0) + len(tokens)
    return pa.table({"video": pa.array([k[0] for k in counts], pa.string()),
                     "term": pa.array([k[1] for k in counts], pa.string()),
                     "lines": pa.array(list(counts.values()), pa.int32())})


def follow(library: Library, videos: Iterable[str] | None = None) -> None:
    """Bring ``library``'s store (where it has one) in line with a change to its folders: the
    library never calls the store itself; ingest, reindex and remove call this, naming the
    ``videos`` changed where they know them (a split store syncs only their shards). Best
    effort: what fails here (logged) is done by the next search's sync."""
    if not has_store(library):
        return
    try:
        for store in stores_of(library, videos):
            store.sync()
    except Exception as exc:  # noqa: BLE001 - the folders changed; the store catches up later
        LOG.warning("oneframe: the store did not follow the library (%s: %s); the next search "
                    "syncs it", type(exc).__name__, exc)


def has_store(library: Library) -> bool:
    """Whether ``library`` keeps a store yet (large libraries get one at their first search)."""
    return (bool(settings.text(STORE_ENV)) or (library.root / STORE_DIR).is_dir()
            or (library.root / PLAN).is_file())


def stores_of(library: Library, videos: Iterable[str] | None = None) -> list[VectorStore]:
    """``library``'s store; where it is split, its shards (those holding ``videos``, given)."""
    plan = read_plan(library)
    if plan is None:
        return [VectorStore(library)]
    shards = range(plan.count) if videos is None else sorted({plan.of(v) for v in videos})
    return [VectorStore(library, shard=(plan, k)) for k in shards]


class VectorStore(StoreQueries):
    """Frame and dialogue-window vectors of a library, searchable without loading them."""

    def __init__(self, library: Library, uri: str | None = None,
                 shard: tuple[ShardPlan, int] | None = None) -> None:
        """The store at ``uri`` (else the library's); ``shard``: shard k of a split store
        (holding the library's videos of that shard only)."""
        self.library, self.shard = library, shard
        self.uri = uri or (shard[0].uris[shard[1]] if shard else store_uri(library))
        self.cache_mb = index_cache_mb()
        self.session = new_session(self.cache_mb)
        self.db = connect(self.uri, self.session)
        self._rows: tuple[tuple[int, int], list[dict[str, Any]]] | None = None
        if shard is not None:
            self.line_candidates = CANDIDATES * SHARD_LINES
        self.fit_cache()

    def fit_cache(self) -> None:
        """Connect again with a larger index cache where the store's indexes outgrew this one
        (a library grown past about 500 films; see ``lance_tables.INDEX_CACHE_MB``)."""
        wanted = cache_mb_for(self.db)
        if wanted > self.cache_mb:
            self.cache_mb, self.session = wanted, new_session(wanted)
            self.db = connect(self.uri, self.session)

    # --- keeping in line with the folders -------------------------------------------------

    def sync(self) -> tuple[list[str], list[str]]:
        """Add the videos the store lacks or holds an older version of, and drop the ones
        the library no longer has; ``(added, removed)``. Safe to stop at any point and run
        again, and by several processes at once (one syncs at a time)."""
        with held(shard_lock(self.library, self._shard_uri)):
            return self._sync()

    @property
    def _shard_uri(self) -> str | None:
        """Where this shard is (None: the library's one store), its writes' lock."""
        return None if self.shard is None else self.uri

    @property
    def number(self) -> int | None:
        """Which shard this is (None: the library's one store)."""
        return None if self.shard is None else self.shard[1]

    def holds(self, vid: str) -> bool:
        """Whether ``vid`` belongs in this store (every video, unless it is a shard)."""
        return self.shard is None or self.shard[0].of(vid) == self.shard[1]

    def _sync(self) -> tuple[list[str], list[str]]:
        if OLD_CUES in self._tables():
            LOG.warning("oneframe: the store at %s is of an earlier layout; rebuilding it",
                        self.uri)
            self._drop_all()
        if CUES in self._tables() and TERMS not in self._tables():
            self._count_terms()
        rows = self._videos()
        held = {r["video"] for r in rows}
        ready = {r["video"]: r["stamp"] for r in rows if r["ready"]}
        records = {r.id: r for r in self.library.list() if self.holds(r.id)}
        removed = [v for v in held if v not in records]
        added: list[str] = []
        for vid in removed:
            self._drop(vid)
        batch: list[VideoIndex] = []
        for vid, record in records.items():
            if ready.get(vid) == _stamp(record):
                continue
            try:
                video = self.library.load(vid, mmap=True)
            except LibraryError:  # damaged or removed meanwhile: left out, as search does
                continue
            if vid in held:
                self._drop(vid)
            batch.append(video)
            if sum(len(v.cues) + len(v.times) for v in batch) >= BATCH_ROWS:
                added += self._write_batch(batch)
                batch = []
        added += self._write_batch(batch)
        return added, removed

    def _count_terms(self) -> None:
        """The ``TERMS`` table of a store made before it, counted from its lines."""
        lines = self.db.open_table(CUES).to_arrow().select(["video", "terms"])
        LOG.warning("oneframe: counting the words of the store's %d lines (once)", len(lines))
        self._add(TERMS, term_counts(lines.column("video").to_pylist(),
                                     lines.column("terms").to_pylist()))

    def _videos(self) -> list[dict[str, Any]]:
        """The videos table's rows (read again only when the table has a new version: every
        search asks, and a thousand rows cost more than the query itself)."""
        table = self._open(VIDEOS) if VIDEOS in self._tables() else None
        if table is None:
            return []
        version = (table.version, table.count_rows())  # a table made again starts anew
        if self._rows is None or self._rows[0] != version:
            self._rows = (version, table.to_arrow().to_pylist())
        return self._rows[1]

    def _tables(self) -> set[str]:
        return set(self.db.list_tables().tables)

    def _open(self, name: str) -> Any | None:
        """The table ``name``; None where its creation was torn (its files written but no
        version committed: the storage went away mid-write), which is then removed so that
        it is made again. A table that can't be opened for another reason raises."""
        try:
            return self.db.open_table(name)
        except ValueError as exc:
            if "not found" not in str(exc):
                raise
        LOG.warning("oneframe: the store's table %s was left half made; making it again", name)
        self.db.drop_table(name, ignore_missing=True)
        return None

    def _drop(self, vid: str) -> None:
        """Every row of ``vid``: its ready row first, so it stops showing at once."""
        where = f"video = {quoted(vid)}"
        tables = self._tables()
        for name in [VIDEOS, *sorted(tables - {VIDEOS})] if VIDEOS in tables else tables:
            if (table := self._open(name)) is not None:
                table.delete(where)

    def _write_batch(self, videos: list[VideoIndex]) -> list[str]:
        """Several videos' rows in one commit per table (a library of many small entries,
        a collection's dialogue, syncs in seconds, not a commit per video and table)."""
        if not videos:
            return []
        rows: dict[str, list[Any]] = {}
        for video in videos:
            record = video.record
            words = video.words()
            root = dict(zip(words.vocab, words.stems, strict=True))
            terms = [" ".join(dict.fromkeys(w for word in line for w in (word, root[word])))
                     for line in words.cue_words]
            for name, table in _rows(record.id, _stamp(record), record.model, video.times,
                                     video.embeddings, record.dialog_model,
                                     video.dialog_vectors, terms, words.lang):
                rows.setdefault(name, []).append(table)
        self._put(rows, [v.record.id for v in videos])
        return [v.record.id for v in videos]

    def put(self, vid: str, stamp: str, model: str, times: np.ndarray, frames: np.ndarray,
            dialog_model: str | None = None, windows: np.ndarray | None = None,
            lines: list[str] | None = None, lang: str = DEFAULT) -> None:
        """One video's rows: its row (not ready), its vectors and lines (their terms: words
        and stems, by spaces), then the row marked ready."""
        self._put({name: [table] for name, table in _rows(
            vid, stamp, model, times, frames, dialog_model, windows, lines, lang)}, [vid])

    def _put(self, rows: dict[str, list[Any]], vids: list[str]) -> None:
        """Videos' rows, table by table: their ``videos`` rows first (not ready), then their
        vectors and lines, then the rows marked ready."""
        import pyarrow as pa

        for name in [VIDEOS, *sorted(set(rows) - {VIDEOS})]:
            self._add(name, pa.concat_tables(rows[name]))
        self.db.open_table(VIDEOS).update(where=_within(vids), values={"ready": True})

    def _add(self, name: str, data: Any) -> None:
        table = self._open(name) if name in self._tables() else None
        if table is not None:
            table.add(data)
        else:
            self.db.create_table(name, data, exist_ok=False)

    def optimise(self, force: bool = False) -> None:
        """Compact each table, drop old versions, and index the large ones (run in the
        background); an indexed table only once enough of it is new or deleted, unless
        ``force`` (see ``lance_tables.DELTA_SHARE``). One process at a time; a commit that
        another writer pre-empted (a sync deleting rows meanwhile) is tried again."""
        with held(shard_lock(self.library, self._shard_uri, "store-optimise")):
            for name in self._tables():
                kind = name.split("_", 1)[0] if name.startswith(("frames_", "windows_")) else None
                optimise_table(self.db.open_table(name), text=name == CUES, vectors=kind,
                               force=force, keyed="term" if name == TERMS else None)
        self.fit_cache()

    def prewarm(self) -> None:
        """Read ahead what searches read (the indexes), for a server at start: see
        :func:`lance_tables.prewarm`."""
        prewarm(self.db)

    def rebuild(self) -> None:
        """Start again from the folders (after damage, or to reclaim space)."""
        self._drop_all()
        self.sync()

    def drop(self) -> None:
        """Remove the whole store (shards no longer in use, the one store once split)."""
        self._drop_all()
        if "://" not in self.uri:
            shutil.rmtree(self.uri, ignore_errors=True)

    def _drop_all(self) -> None:
        try:
            for name in self._tables():
                self.db.drop_table(name)
        except Exception:
            if "://" in self.uri:
                raise
            shutil.rmtree(self.uri, ignore_errors=True)
            self.db = connect(self.uri, self.session)
