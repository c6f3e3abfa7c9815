"""The library's vectors in LanceDB, for libraries too large to hold in memory.

The per-video folders stay what the library *is* (manifest, thumbnails, video file, the arrays
ingest wrote); the store is an index derived from them, kept in ``<library>/.store`` (a
folder, no server). :meth:`VectorStore.sync` brings it in line with the folders, touching only
the videos that were added, replaced or removed, so a first open migrates a library written by
earlier releases and any later open costs time in proportion to the change.

Tables: ``frames_<group>`` (video, frame, time, vector) per picture model and width,
``windows_<group>`` (video, window, vector) per dialogue model, and ``videos`` (video, the
manifest's stamp, ready). LanceDB commits each table on its own, so a video's ``ready`` row is
written last and searches see only ready videos; rows of a video that never became ready (a
crash mid-sync) are deleted at the next sync. The store can always be rebuilt from the folders.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from oneframe.errors import LibraryError
from oneframe.library import Library, VideoIndex
from oneframe.manifest import MANIFEST, VideoRecord, is_valid_id

STORE_DIR = ".store"
VIDEOS = "videos"
ANN_ROWS = 200_000
"""A table with more rows than this gets an ANN index (IVF with scalar-quantised vectors);
below it a whole-table scan is exact and fast enough."""
KEEP_VERSIONS = timedelta(minutes=10)
"""Table versions older than this are deleted by :meth:`VectorStore.optimise` (a reader still
on one gets the latest on its next call)."""
NPROBES, REFINE = 96, 20
"""IVF partitions searched, and how many times ``k`` candidates are re-ranked on the stored
vectors (bench/scale.py: recall@10 1.0 over 360k realistic frame vectors, 0.945 at 64 probes)."""


@dataclass(frozen=True)
class Match:
    """One stored row that matched a query vector."""

    video: str
    row: int
    cosine: float


def group_name(kind: str, model: str, dim: int) -> str:
    """A table name for the vectors of one model and width (model ids may hold any text)."""
    digest = hashlib.sha256(f"{model}\0{dim}".encode()).hexdigest()[:16]
    return f"{kind}_{digest}_{dim}"


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


def _quoted(vid: str) -> str:
    if not is_valid_id(vid):
        raise LibraryError(f"'{vid[:80]}' is not a library id")
    return "'" + vid.replace("'", "''") + "'"


def _within(videos: list[str]) -> str:
    return f"video IN ({', '.join(_quoted(v) for v in videos)})"


class VectorStore:
    """Frame and dialogue-window vectors of a library, searchable without loading them."""

    def __init__(self, library: Library, uri: str | None = None) -> None:
        self.library = library
        self.uri = uri or str(library.root / STORE_DIR)
        self.db = _connect(self.uri)

    # --- keeping in line with the folders -------------------------------------------------

    def sync(self) -> tuple[list[str], list[str]]:
        """Add the videos the store lacks or holds an older version of, and drop the ones
        the library no longer has; ``(added, removed)``. Safe to stop at any point and run
        again."""
        rows = self._videos()
        held = {r["video"] for r in rows}
        ready = {r["video"]: r["stamp"] for r in rows if r["ready"]}
        records = {r.id: r for r in self.library.list()}
        removed = [v for v in held if v not in records]
        added = []
        for vid in removed:
            self._drop(vid)
        for vid, record in records.items():
            if ready.get(vid) == _stamp(record):
                continue
            try:
                video = self.library.load(vid, mmap=True)
            except LibraryError:  # damaged or removed meanwhile: left out, as search does
                continue
            self._drop(vid)
            self._write(video)
            added.append(vid)
        return added, removed

    def _videos(self) -> list[dict[str, Any]]:
        """The videos table's rows (one read)."""
        if VIDEOS not in self._tables():
            return []
        return self.db.open_table(VIDEOS).to_arrow().to_pylist()

    def _tables(self) -> set[str]:
        return set(self.db.list_tables().tables)

    def _drop(self, vid: str) -> None:
        """Every row of ``vid``: its ready row first, so it stops showing at once."""
        where = f"video = {_quoted(vid)}"
        tables = self._tables()
        if VIDEOS in tables:
            self.db.open_table(VIDEOS).delete(where)
        for name in tables - {VIDEOS}:
            self.db.open_table(name).delete(where)

    def _write(self, video: VideoIndex) -> None:
        record = video.record
        self.put(record.id, _stamp(record), record.model, video.times, video.embeddings,
                 record.dialog_model, video.dialog_vectors)

    def put(self, vid: str, stamp: str, model: str, times: np.ndarray, frames: np.ndarray,
            dialog_model: str | None = None, windows: np.ndarray | None = None) -> None:
        """One video's rows: its row (not ready), its vectors, then the row marked ready."""
        import pyarrow as pa

        where = f"video = {_quoted(vid)}"
        self._add(VIDEOS, pa.table({"video": [vid], "stamp": [stamp], "model": [model],
                                    "frames": [len(times)], "ready": [False]}))
        self._add(group_name("frames", model, int(frames.shape[1])), pa.table({
            "video": pa.array([vid] * len(times), pa.string()),
            "frame": pa.array(np.arange(len(times), dtype=np.int32)),
            "time": pa.array(np.asarray(times, np.float64)),
            "vector": _vectors(frames)}))
        if windows is not None and len(windows):
            self._add(group_name("windows", dialog_model or "", int(windows.shape[1])), pa.table({
                "video": pa.array([vid] * len(windows), pa.string()),
                "window": pa.array(np.arange(len(windows), dtype=np.int32)),
                "vector": _vectors(windows)}))
        self.db.open_table(VIDEOS).update(where=where, values={"ready": True})

    def _add(self, name: str, data: Any) -> None:
        if name in self._tables():
            self.db.open_table(name).add(data)
        else:
            self.db.create_table(name, data)

    def optimise(self) -> None:
        """Compact each table, drop old versions, and index the large ones (run in the
        background)."""
        for name in self._tables():
            table = self.db.open_table(name)
            table.optimize(cleanup_older_than=KEEP_VERSIONS)
            if not name.startswith(("frames_", "windows_")):
                continue
            rows = table.count_rows()
            if rows > ANN_ROWS and not _has_vector_index(table):
                table.create_index(metric="cosine", index_type="IVF_SQ",
                                   num_partitions=max(16, int(np.sqrt(rows) / 2)))
            if rows > ANN_ROWS and "video_idx" not in _index_names(table):
                from lancedb.index import Bitmap

                table.create_index("video", config=Bitmap())

    def rebuild(self) -> None:
        """Start again from the folders (after damage, or to reclaim space)."""
        shutil.rmtree(self.uri, ignore_errors=True)
        self.db = _connect(self.uri)
        self.sync()

    # --- searching ---------------------------------------------------------------------------

    def ready(self) -> list[str]:
        """The ids of the videos searches see."""
        return sorted(r["video"] for r in self._videos() if r["ready"])

    def nearest(self, kind: str, model: str, query: np.ndarray, k: int,
                videos: list[str] | None = None) -> list[Match]:
        """The ``k`` rows of ready videos (``videos``, else all) most like ``query``: exact
        over a few videos or a small table, else by the ANN index with re-ranking."""
        name = group_name(kind, model, len(query))
        rows = self._videos()
        ready = {r["video"] for r in rows if r["ready"]}
        chosen = sorted(ready if videos is None else ready.intersection(videos))
        if not chosen or k <= 0 or name not in self._tables():
            return []
        table = self.db.open_table(name)
        row = "frame" if kind == "frames" else "window"
        search = (table.search(np.asarray(query, np.float32), vector_column_name="vector")
                  .distance_type("cosine").select(["video", row, "_distance"]))
        whole = len(chosen) == len(ready)
        if not whole or len(rows) > len(ready):  # a few videos, or some not ready yet
            search = search.where(_within(chosen), prefilter=True)
        if _has_vector_index(table) and whole:
            search = search.nprobes(NPROBES).refine_factor(REFINE)
        else:
            search = search.bypass_vector_index()
        found = search.limit(k).to_arrow().to_pylist()
        return [Match(r["video"], int(r[row]), 1.0 - float(r["_distance"])) for r in found
                if r["video"] in ready]


def _connect(uri: str) -> Any:
    """A connection whose tables always read the latest commit, by any process (the CLI adds
    videos while the app searches)."""
    import lancedb

    return lancedb.connect(uri, read_consistency_interval=timedelta(0))


def _index_names(table: Any) -> set[str]:
    return {index.name for index in table.list_indices()}


def _has_vector_index(table: Any) -> bool:
    return "vector_idx" in _index_names(table)


def _vectors(array: np.ndarray) -> Any:
    import pyarrow as pa

    values = np.ascontiguousarray(array, np.float16)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), values.shape[1])
