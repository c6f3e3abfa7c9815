"""The on-disk library: one folder per video, written atomically, read defensively.

A video is built in a hidden ``.tmp-*`` folder inside the root, owned by a lock held for as long
as its ingest lives, and moved into place in one step when complete (a re-ingest swaps the old
folder and the new one atomically where the OS can), so an interrupted or failed ingest leaves
the library as it was and readers never see half a video. Folder layout::

    <root>/<id>/manifest.json     what it is, where from, how it was indexed (see manifest.py)
               frames/000000.jpg  thumbnails, long side ~512 px
               times.npy          frame times in seconds, float64
               embeddings.npy     L2-normalised frame vectors, float16
               cues.json          cleaned dialogue cues
               windows.npy        runs of 1-3 cues matched as one (first cue, length), int32
               words.json         the cues as words, as matching splits them (made again if
                                  absent or of another version)
               dialog.npy         sentence embeddings of those windows, float16 (if available)
               video.<ext>        the video itself, for playback

Every entry is checked as it is read: a damaged one, or one made by a newer oneframe, is left
out of listings and searches with a message, and can still be removed.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from oneframe.core import settings
from oneframe.core.errors import LibraryError
from oneframe.dialogue.cues import Cue
from oneframe.library.atomic import (
    claim,
    exchange,
    held,
    owner_gone,
    reported_writes,
    write_failure,
)
from oneframe.library.manifest import (
    MANIFEST,
    SCHEMA_VERSION,
    DamagedEntry,
    NewerEntry,
    VideoRecord,
    _vector_width,
    is_valid_id,
    read_manifest,
)

__all__ = ["SCHEMA_VERSION", "DamagedEntry", "Library", "LibraryScan", "MissingEntry", "NewerEntry",
           "VideoIndex", "VideoRecord", "default_root", "is_valid_id"]
LIBRARY_ENV = settings.LIBRARY
LOG = logging.getLogger("oneframe")
STALE_SECONDS = 24 * 3600
"""A staging folder with no lock to ask (from an older oneframe) is swept after this long."""


def default_root() -> Path:
    """``$ONEFRAME_LIBRARY``, else ``$XDG_DATA_HOME/oneframe``, else ``~/.local/share/oneframe``."""
    return settings.library_root()


STATE_FILES = (".shards.json",)
"""Files of the library's own that change how it is searched (the plan of a split store):
part of its ``state``."""


@dataclass
class VideoIndex:
    """What search reads of a video: frame times and vectors, cues and their windows."""

    record: VideoRecord
    times: np.ndarray
    embeddings: np.ndarray
    cues: list[Cue]
    windows: np.ndarray
    dialog_vectors: np.ndarray | None
    _words: Any = field(default=None, repr=False)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    """What search works out once per loaded video (its frames' neutral background)."""

    def words(self) -> Any:
        """Its lines as words (a :class:`~oneframe.dialogue.windows.WordIndex`), made once per
        loaded video."""
        if self._words is None:
            from oneframe.dialogue.windows import WordIndex

            self._words = WordIndex.read(self.record.path, len(self.cues),
                                         self.record.caption_lang) or \
                WordIndex.of(self.cues, self.record.caption_lang)
        return self._words

    def resident(self) -> None:
        """Read its memory-mapped vectors in now, one byte a page: the disk reads of a cold
        page cache and the page faults are paid here, not by the first search."""
        for array in (self.embeddings, self.windows, self.dialog_vectors):
            if isinstance(array, np.memmap) and array.size:
                int(np.asarray(array).reshape(-1).view(np.uint8)[::4096].sum())


@dataclass
class LibraryScan:
    """Every entry of the library: the usable ones, the damaged ones, the newer ones."""

    records: list[VideoRecord] = field(default_factory=list)
    damaged: list[DamagedEntry] = field(default_factory=list)
    newer: list[NewerEntry] = field(default_factory=list)


class MissingEntry(LibraryError):
    """No such video in the library (never added, or removed meanwhile)."""


def _missing(vid: str) -> MissingEntry:
    shown = vid if len(str(vid)) <= 80 else str(vid)[:80] + "…"
    return MissingEntry(f"No video '{shown}' in the library (it may have been removed). "
                        "Run `oneframe list` to see what is there.")


class Library:
    """The folder of ingested videos."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root else default_root()

    def _ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"Cannot create the library folder {self.root} ({exc.strerror}). "
                               f"Set {LIBRARY_ENV} to a folder you can write to.") from exc

    def ids(self) -> list[str]:
        """The ids of every entry folder (usable, damaged or newer alike)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if is_valid_id(p.name) and (p / MANIFEST).is_file())

    def state(self) -> tuple[tuple[str, int, int], ...]:
        """A cheap fingerprint of the library's contents, for caches: it changes whenever a
        video is added, replaced or removed, by this process or any other (the CLI)."""
        if not self.root.is_dir():
            return ()
        found = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.name in STATE_FILES:  # how it is searched changed (split anew)
                    stat = entry.stat()
                    found.append((entry.name, stat.st_mtime_ns, stat.st_ino))
                if entry.name.startswith("."):
                    continue
                try:
                    stat = os.stat(os.path.join(entry.path, MANIFEST))
                except OSError:
                    continue
                found.append((entry.name, stat.st_mtime_ns, stat.st_ino))
        return tuple(sorted(found))

    def scan(self) -> LibraryScan:
        """Every entry, sorted into usable (newest first), damaged and newer."""
        scan = LibraryScan()
        for vid in self.ids():
            try:
                scan.records.append(self.get(vid))
            except DamagedEntry as exc:
                scan.damaged.append(exc)
            except NewerEntry as exc:
                scan.newer.append(exc)
            except LibraryError:  # removed meanwhile
                continue
        scan.records.sort(key=lambda r: r.created, reverse=True)
        return scan

    def list(self) -> list[VideoRecord]:
        """Every usable video, newest first."""
        return self.scan().records

    def get(self, vid: str) -> VideoRecord:
        """The checked record of ``vid``: LibraryError if absent, DamagedEntry if damaged,
        NewerEntry if made by a newer oneframe."""
        if not is_valid_id(vid) or not (self.root / vid / MANIFEST).is_file():
            raise _missing(vid)
        return read_manifest(self.root / vid)

    def find(self, vid: str, params: tuple[Any, ...]) -> VideoRecord | None:
        """The stored video if it was indexed with the same parameters (a cache hit)."""
        try:
            record = self.get(vid)
        except LibraryError:
            return None
        return record if record.params() == params else None

    def entries_of(self, source_id: str) -> builtins.list[VideoRecord]:
        """Every usable entry of one source: its own id first, then those added beside it with
        other choices (``<id>-2``, ``<id>-3``...)."""
        found = []
        for vid in self.ids():
            if vid != source_id and not (vid.startswith(source_id + "-")
                                         and vid[len(source_id) + 1:].isdigit()):
                continue
            with contextlib.suppress(LibraryError):
                record = self.get(vid)
                if record.source_id == source_id:
                    found.append(record)
        return sorted(found, key=lambda r: (r.id != source_id, len(r.id), r.id))

    def find_source(self, source_id: str, params: tuple[Any, ...]) -> VideoRecord | None:
        """An entry of the source indexed with the same parameters (a cache hit), if any."""
        return next((r for r in self.entries_of(source_id) if r.params() == params), None)

    def remove(self, vid: str) -> None:
        """Remove an entry, damaged or not; LibraryError if it is gone already or can't go."""
        if not is_valid_id(vid) or not (self.root / vid).is_dir():
            raise _missing(vid)
        trash = self.root / f".removed-{uuid.uuid4().hex}"
        try:
            with held(self.root / ".lock"):
                os.rename(self.root / vid, trash)
        except FileNotFoundError as exc:  # another session or process removed it first
            raise _missing(vid) from exc
        except OSError as exc:
            raise write_failure(exc, f"remove '{vid}'") from exc
        shutil.rmtree(trash, ignore_errors=True)

    def load(self, vid: str, mmap: bool = False) -> VideoIndex:
        """Frame times, vectors and cues of a video, for search; DamagedEntry if they don't
        agree with each other or with the manifest.

        With ``mmap`` the vector arrays are memory-mapped: read on use, not copied to the heap.
        """
        record = self.get(vid)
        mode: Literal["r"] | None = "r" if mmap else None
        try:
            times = np.load(record.path / "times.npy")
            embeddings = np.load(record.path / "embeddings.npy", mmap_mode=mode)
            cues = [Cue.from_json(c) for c in
                    json.loads((record.path / "cues.json").read_text(encoding="utf-8"))]
            windows = np.load(record.path / "windows.npy")
            vectors_file = record.path / "dialog.npy"
            vectors = np.load(vectors_file, mmap_mode=mode) if vectors_file.is_file() else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DamagedEntry(vid, f"its index can't be read: {exc}") from exc
        problem = _inconsistency(record, times, embeddings, windows, vectors, len(cues))
        if problem:
            raise DamagedEntry(vid, problem)
        return VideoIndex(record, times, embeddings, cues, windows, vectors)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A private folder inside the root to build a video in; removed unless committed.

        A lock beside it is held for as long as the block runs: a sweep by any process (on any
        host sharing the library) removes only staging folders whose owner is gone.
        """
        self._ensure_root()
        self.sweep()
        name = f".tmp-{uuid.uuid4().hex}"
        lock = self.root / f"{name}.lock"
        try:
            owner = claim(lock)
            (self.root / name).mkdir()
        except OSError as exc:
            raise write_failure(exc, "start adding the video") from exc
        try:
            yield self.root / name
        finally:
            shutil.rmtree(self.root / name, ignore_errors=True)
            with contextlib.suppress(OSError):
                lock.unlink()
            if owner is not None:
                owner.close()

    def commit(self, stage: Path, record: VideoRecord, replace: bool = True) -> VideoRecord:
        """Move a fully built folder into place; the first of two equal ingests wins (its
        record comes back with ``outcome`` ``existing``).

        Where ``record.id`` is taken by an entry with other parameters, ``replace`` replaces
        it; otherwise the new one is added beside it as ``<id>-2`` (``-3``...). A replacement
        swaps the new folder for the old one in one step where the OS can; where it can't, the
        old one waits as ``.replaced-<id>-*`` until the new one is in place, and a sweep puts it
        back if a crash came between the two moves.
        """
        with reported_writes("save the video in the library"):
            if record.dim is None:
                record.dim = _vector_width(stage)
            with held(self.root / ".lock"):
                existing = self.find_source(record.source_id, record.params())
                if existing is not None:
                    existing.outcome = "existing"
                    return existing
                twin = self._taken(record.id)
                if twin is not None and not replace:
                    record.origin = record.source_id
                    record.id = self._free_id(record.source_id)
                target = self.root / record.id
                (stage / MANIFEST).write_text(json.dumps(record.to_json(), indent=1),
                                              encoding="utf-8")
                if not target.exists():
                    os.rename(stage, target)
                elif not exchange(stage, target):
                    old = self.root / f".replaced-{record.id}-{uuid.uuid4().hex[:8]}"
                    os.rename(target, old)
                    os.rename(stage, target)
                    shutil.rmtree(old, ignore_errors=True)
        added = self.get(record.id)
        added.outcome = "added" if twin is None else "replaced" if replace else "beside"
        added.twin = twin
        return added

    def _taken(self, vid: str) -> VideoRecord | None:
        """The entry at ``vid``, if there is one (a damaged one as a bare placeholder)."""
        if not (self.root / vid).exists():
            return None
        try:
            return self.get(vid)
        except LibraryError:
            return VideoRecord(vid, vid, "", None, 0.0, "?", 1.0, "", None, None, 0, 0, None, "")

    def _free_id(self, source_id: str) -> str:
        n = 2
        while (self.root / f"{source_id}-{n}").exists():
            n += 1
        return f"{source_id}-{n}"

    def sweep(self) -> None:
        """Clear what ended ingests and removals left: staging folders whose owner is gone,
        half-removed folders; and put back an old version that a crash left replaced by none."""
        if not self.root.is_dir():
            return
        try:
            with held(self.root / ".lock"):
                for path in sorted(self.root.glob(".*")):
                    self._sweep_one(path)
        except OSError as exc:  # leftovers only take space: the next sweep tries again
            LOG.warning("oneframe: sweeping the library's leftovers failed (%s)", exc)

    def _sweep_one(self, path: Path) -> None:
        name = path.name
        if name.startswith(".removed-") or name.startswith(".trash-"):
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(".replaced-") and path.is_dir():
            vid = name[len(".replaced-"):].rsplit("-", 1)[0]
            if is_valid_id(vid) and not (self.root / vid).exists():
                os.rename(path, self.root / vid)  # the crash came between the two moves
            else:
                shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(".tmp-") and path.is_dir():
            lock = path.with_name(name + ".lock")
            if lock.is_file():
                gone = owner_gone(lock)
            else:  # an older oneframe's staging: no lock to ask, so only when long abandoned
                gone = time.time() - path.stat().st_mtime > STALE_SECONDS
            if gone:
                shutil.rmtree(path, ignore_errors=True)
                with contextlib.suppress(OSError):
                    lock.unlink()
        elif (name.startswith(".tmp-") and name.endswith(".lock")
              and not path.with_name(name[:-len(".lock")]).exists() and owner_gone(path)):
            with contextlib.suppress(OSError):
                path.unlink()


def _inconsistency(record: VideoRecord, times: np.ndarray, embeddings: np.ndarray,
                   windows: np.ndarray, vectors: np.ndarray | None, cues: int) -> str | None:
    """What doesn't add up between an entry's files and its manifest, if anything."""
    if times.ndim != 1 or embeddings.ndim != 2 or len(times) != len(embeddings):
        return f"{len(times)} frame times for {embeddings.shape} frame vectors"
    if record.dim is not None and embeddings.shape[1] != record.dim:
        return f"frame vectors {embeddings.shape[1]} wide where the manifest says {record.dim}"
    if windows.ndim != 2 or (len(windows) and windows.shape[1] != 2):
        return f"dialogue windows of shape {windows.shape}"
    if len(windows) and (windows.min() < 0 or int((windows[:, 0] + windows[:, 1]).max()) > cues):
        return "dialogue windows that point past its lines"
    if vectors is not None and (vectors.ndim != 2 or len(vectors) != len(windows)):
        return f"{len(windows)} dialogue windows for {vectors.shape} dialogue vectors"
    return None

