"""The on-disk library: one folder per video, written atomically.

A video is built in a hidden ``.tmp-PID-*`` folder inside the root and renamed into place when
complete, so an interrupted or failed ingest leaves nothing behind, and readers never see half a
video. Folder layout::

    <root>/<id>/manifest.json     what it is, where from, how it was indexed (schema-versioned)
               frames/000000.jpg  thumbnails, long side ~512 px
               times.npy          frame times in seconds, float64
               embeddings.npy     L2-normalised frame vectors, float16
               cues.json          cleaned dialogue cues
               windows.npy        runs of 1-3 cues matched as one (first cue, length), int32
               dialog.npy         sentence embeddings of those windows, float16 (if available)
               video.<ext>        the video itself, for playback
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.captions import Cue
from oneframe.errors import LibraryError

SCHEMA_VERSION = 1
LIBRARY_ENV = "ONEFRAME_LIBRARY"
MANIFEST = "manifest.json"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def is_valid_id(vid: str) -> bool:
    """Whether ``vid`` has the shape of a library id (``yt-...``, ``file-...``): a folder name
    that cannot point outside the library."""
    return isinstance(vid, str) and _ID.fullmatch(vid) is not None


def default_root() -> Path:
    """``$ONEFRAME_LIBRARY``, else ``$XDG_DATA_HOME/oneframe``, else ``~/.local/share/oneframe``."""
    if os.environ.get(LIBRARY_ENV):
        return Path(os.environ[LIBRARY_ENV]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "oneframe"


@dataclass
class VideoRecord:
    """A video's manifest: identity, provenance, indexing parameters and counts."""

    id: str
    title: str
    source: str
    url: str | None
    duration: float
    model: str
    interval: float
    caption_key: str
    caption_kind: str | None
    caption_lang: str | None
    frames: int
    cues: int
    video_file: str | None
    created: str
    notes: list[str] = field(default_factory=list)
    dialog_key: str | None = None
    dialog_model: str | None = None
    ocr_key: str = "off"
    burned_in: int = 0
    schema: int = SCHEMA_VERSION
    path: Path = field(default=Path("."), compare=False)

    def params(self) -> tuple:
        """What makes two ingests of one source the same: a cache hit if equal."""
        return (self.schema, self.model, round(self.interval, 3), self.caption_key,
                self.dialog_key, self.ocr_key)

    @property
    def dialogue_sources(self) -> list[str]:
        """Where this video's dialogue comes from: its caption track, burned-in subtitles."""
        sources = [self.caption_kind] if self.caption_kind else []
        return sources + (["burned-in"] if self.burned_in else [])

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> VideoRecord:
        known = {f.name for f in fields(cls)} - {"path"}
        return cls(**{k: v for k, v in data.items() if k in known}, path=path)

    @property
    def video_path(self) -> Path | None:
        return self.path / self.video_file if self.video_file else None

    def frame_path(self, index: int) -> Path:
        return self.path / "frames" / f"{index:06d}.jpg"


@dataclass
class VideoIndex:
    """What search reads of a video: frame times and vectors, cues and their windows."""

    record: VideoRecord
    times: np.ndarray
    embeddings: np.ndarray
    cues: list[Cue]
    windows: np.ndarray
    dialog_vectors: np.ndarray | None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """An exclusive lock on the library for the brief moment of a rename."""
    try:
        import fcntl
    except ImportError:  # Windows: renames are still atomic, just not serialised
        yield
        return
    with (root / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())

    def state(self) -> tuple[tuple[str, int, int], ...]:
        """A cheap fingerprint of the library's contents, for caches: it changes whenever a
        video is added, replaced or removed, by this process or any other (the CLI)."""
        if not self.root.is_dir():
            return ()
        found = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    stat = os.stat(os.path.join(entry.path, MANIFEST))
                except OSError:
                    continue
                found.append((entry.name, stat.st_mtime_ns, stat.st_ino))
        return tuple(sorted(found))

    def list(self) -> list[VideoRecord]:
        """Every readable video, newest first."""
        records = []
        for vid in self.ids():
            with contextlib.suppress(LibraryError):
                records.append(self.get(vid))
        return sorted(records, key=lambda r: r.created, reverse=True)

    def get(self, vid: str) -> VideoRecord:
        if not is_valid_id(vid) or not (self.root / vid / MANIFEST).is_file():
            shown = vid if len(str(vid)) <= 80 else str(vid)[:80] + "…"
            raise LibraryError(f"No video '{shown}' in the library (it may have been removed). "
                               "Run `python -m oneframe list` to see what is there.")
        path = self.root / vid
        try:
            data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            return VideoRecord.from_json(data, path)
        except (OSError, ValueError, TypeError) as exc:
            raise LibraryError(
                f"The library entry '{vid}' is damaged ({exc}). Remove it with "
                f"`python -m oneframe remove {vid}` and ingest the video again."
            ) from exc

    def find(self, vid: str, params: tuple) -> VideoRecord | None:
        """The stored video if it was indexed with the same parameters (a cache hit)."""
        try:
            record = self.get(vid)
        except LibraryError:
            return None
        return record if record.params() == params else None

    def remove(self, vid: str) -> None:
        record = self.get(vid)
        self._ensure_root()
        trash = self.root / f".trash-{uuid.uuid4().hex}"
        with _locked(self.root):
            os.rename(record.path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def load(self, vid: str, mmap: bool = False) -> VideoIndex:
        """Frame times, vectors and cues of a video, for search.

        With ``mmap`` the vector arrays are memory-mapped: read on use, not copied to the heap.
        """
        record = self.get(vid)
        mode = "r" if mmap else None
        try:
            times = np.load(record.path / "times.npy")
            embeddings = np.load(record.path / "embeddings.npy", mmap_mode=mode)
            cues = [Cue.from_json(c) for c in
                    json.loads((record.path / "cues.json").read_text(encoding="utf-8"))]
            windows = np.load(record.path / "windows.npy")
            vectors_file = record.path / "dialog.npy"
            vectors = np.load(vectors_file, mmap_mode=mode) if vectors_file.is_file() else None
        except (OSError, ValueError, KeyError) as exc:
            raise LibraryError(f"The index of '{vid}' is damaged ({exc}). Remove it and ingest "
                               "the video again.") from exc
        if len(times) != len(embeddings) or (vectors is not None and len(vectors) != len(windows)):
            raise LibraryError(f"The index of '{vid}' is inconsistent. Remove it and ingest the "
                               "video again.")
        return VideoIndex(record, times, embeddings, cues, windows, vectors)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A private folder inside the root to build a video in; removed unless committed."""
        self._ensure_root()
        self._sweep()
        stage = self.root / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        stage.mkdir()
        try:
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def commit(self, stage: Path, record: VideoRecord) -> VideoRecord:
        """Move a fully built folder into place; the first of two equal ingests wins."""
        (stage / MANIFEST).write_text(json.dumps(record.to_json(), indent=1), encoding="utf-8")
        target = self.root / record.id
        with _locked(self.root):
            existing = self.find(record.id, record.params())
            if existing is not None:
                return existing
            if target.exists():
                trash = self.root / f".trash-{uuid.uuid4().hex}"
                os.rename(target, trash)
                os.rename(stage, target)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.rename(stage, target)
        return self.get(record.id)

    def _sweep(self) -> None:
        """Remove what crashed processes left: their staging folders and trash."""
        for path in self.root.glob(".t*-*"):
            name = path.name
            if name.startswith(".trash-"):
                shutil.rmtree(path, ignore_errors=True)
            elif name.startswith(".tmp-"):
                pid = name.split("-")[1]
                if pid.isdigit() and not _pid_alive(int(pid)):
                    shutil.rmtree(path, ignore_errors=True)
