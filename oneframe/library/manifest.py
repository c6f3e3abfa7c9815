"""A library entry's manifest: what it holds, checked on every read, and older ones migrated.

A manifest carries a schema version (rclip's ``VERSION`` plus migrations is the model). One
written by an older oneframe is migrated as it is read (in memory: the file stays readable by
the oneframe that wrote it); one written by a newer oneframe is left alone and named as such;
one that is not what it claims (not an object, a field of the wrong type, a folder copied
under another name, a video file outside its folder) is damaged, and skipped everywhere with a
message that says how to remove it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from oneframe.core.errors import LibraryError

SCHEMA_VERSION = 2
"""1: the first library. 2: ``dim``, the width of the frame vectors, recorded."""
MANIFEST = "manifest.json"
NO_PICTURES = "none"
"""The picture model of a dialogue-only entry: its lines are in, its picture is not fetched yet
(its frames are the times of its lines, with vectors 0 wide and no thumbnails)."""
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def is_valid_id(vid: object) -> bool:
    """Whether ``vid`` has the shape of a library id (``yt-...``, ``file-...``): a folder name
    that cannot point outside the library."""
    return isinstance(vid, str) and _ID.fullmatch(vid) is not None


class DamagedEntry(LibraryError):
    """A library entry that can't be read as what it claims; skipped, offered for removal."""

    def __init__(self, vid: str, reason: str) -> None:
        self.vid, self.reason = vid, reason
        super().__init__(f"The library entry '{vid}' is damaged ({reason}). Remove it "
                         f"(`oneframe remove {vid}`) and add the video again.",
                         visitor=f"The library entry '{vid}' is damaged ({reason}). Remove it "
                         "on the Library page and add the video again.")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return type(self), (self.vid, self.reason)


class NewerEntry(LibraryError):
    """A library entry written by a newer oneframe: left alone."""

    def __init__(self, vid: str, schema: int) -> None:
        self.vid, self.schema = vid, schema
        super().__init__(f"The library entry '{vid}' was made by a newer oneframe (library "
                         f"format {schema}; this one reads up to {SCHEMA_VERSION}). It is left "
                         "as it is; upgrade oneframe to search it.")

    def __reduce__(self) -> tuple[type, tuple[str, int]]:
        return type(self), (self.vid, self.schema)


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
    track: dict[str, Any] | None = None
    """The subtitle track the dialogue came from (number, codec, language, title, forced)."""
    speech: int = 0
    """Lines transcribed from the audio."""
    speech_model: str | None = None
    dim: int | None = None
    origin: str | None = None
    """The source's own id, where this entry is a second one of the same source added with
    other choices (its id then ends ``-2``, ``-3``...); None where the id is the source's."""
    schema: int = SCHEMA_VERSION
    path: Path = field(default=Path("."), compare=False)
    outcome: str = field(default="", compare=False)
    """What the ingest that returned this record did (never saved): ``added``, ``existing``
    (the same source with the same choices was there), ``replaced`` (as asked) or ``beside``
    (added as a new entry beside one with other choices); ``twin`` is that other entry."""
    twin: VideoRecord | None = field(default=None, compare=False, repr=False)

    @property
    def source_id(self) -> str:
        """The id the source itself gives (shared by every entry of the same video)."""
        return self.origin or self.id

    def params(self) -> tuple[Any, ...]:
        """What makes two ingests of one source the same: a cache hit if equal."""
        return (self.schema, self.model, round(self.interval, 3), self.caption_key,
                self.dialog_key, self.ocr_key)

    @property
    def dialogue_sources(self) -> list[str]:
        """Where this video's dialogue comes from: its caption track, burned-in subtitles."""
        sources = [self.caption_kind] if self.caption_kind else []
        return sources + (["speech"] if self.speech else []) + (
            ["burned-in"] if self.burned_in else [])

    def to_json(self) -> dict[str, Any]:
        data = asdict(dataclasses.replace(self, twin=None))
        for name in TRANSIENT:
            data.pop(name)
        return data

    @property
    def video_path(self) -> Path | None:
        """The entry's own video file; never a path outside its folder."""
        if not self.video_file or not _plain_name(self.video_file):
            return None
        return self.path / self.video_file

    @property
    def has_pictures(self) -> bool:
        """Whether its frames were fetched and embedded (not a dialogue-only entry)."""
        return self.model != NO_PICTURES

    def frame_path(self, index: int) -> Path:
        return self.path / "frames" / f"{index:06d}.jpg"


TRANSIENT = ("path", "outcome", "twin")
"""Record fields that are not saved in the manifest."""


def _plain_name(name: object) -> bool:
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name
            and "\\" not in name and "\0" not in name)


def _number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: object) -> bool:
    return isinstance(value, str)


def _text_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "id": (is_valid_id, "a library id"), "title": (_text, "text"), "source": (_text, "text"),
    "url": (_text_or_none, "text or null"), "duration": (_number, "a number of seconds"),
    "model": (lambda v: isinstance(v, str) and bool(v), "a model id"),
    "interval": (lambda v: _number(v) and float(v) > 0, "a positive number"),  # type: ignore[arg-type]
    "caption_key": (_text, "text"), "caption_kind": (_text_or_none, "text or null"),
    "caption_lang": (_text_or_none, "text or null"), "frames": (_count, "a count"),
    "cues": (_count, "a count"),
    "video_file": (lambda v: v is None or _plain_name(v), "a file name in the entry's folder"),
    "created": (_text, "a date"),
    "notes": (lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
              "a list of texts"),
    "dialog_key": (_text_or_none, "text or null"), "dialog_model": (_text_or_none, "text or null"),
    "ocr_key": (_text, "text"), "burned_in": (_count, "a count"),
    "track": (lambda v: v is None or isinstance(v, dict), "a subtitle track's description"),
    "speech": (_count, "a count"), "speech_model": (_text_or_none, "text or null"),
    "dim": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
            "the width of the frame vectors"),
    "origin": (lambda v: v is None or is_valid_id(v), "a library id or null"),
}
REQUIRED = {f.name for f in fields(VideoRecord)
            if f.default is MISSING and f.default_factory is MISSING}


def _vector_width(folder: Path) -> int:
    """The width of ``embeddings.npy``, from its header only."""
    import numpy as np

    with (folder / "embeddings.npy").open("rb") as fh:
        version = np.lib.format.read_magic(fh)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, _ = read(fh)
    if len(shape) != 2:
        raise ValueError(f"frame vectors of shape {shape}")
    return int(shape[1])


def _v1_to_v2(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Record the width of the frame vectors (from their file's header)."""
    return {**data, "dim": _vector_width(folder), "schema": 2}


MIGRATIONS: dict[int, Callable[[dict[str, Any], Path], dict[str, Any]]] = {1: _v1_to_v2}
"""``MIGRATIONS[n]`` turns a manifest of schema ``n`` into one of schema ``n + 1``."""


def parse_manifest(data: object, folder: Path) -> VideoRecord:
    """The record of the entry in ``folder``; DamagedEntry or NewerEntry if it can't be used."""
    vid = folder.name
    if not isinstance(data, dict):
        raise DamagedEntry(vid, f"its manifest is {type(data).__name__}, not an object")
    schema = data.get("schema", 1)
    if not _count(schema) or schema < 1:
        raise DamagedEntry(vid, f"its library format is {schema!r}")
    if schema > SCHEMA_VERSION:
        raise NewerEntry(vid, schema)
    try:
        while schema < SCHEMA_VERSION:
            data = MIGRATIONS[schema](data, folder)
            schema += 1
    except (OSError, ValueError, KeyError) as exc:
        raise DamagedEntry(vid, f"it could not be brought up to date: {exc}") from exc
    missing = sorted(n for n in REQUIRED if n not in data)
    if missing:
        raise DamagedEntry(vid, f"its manifest lacks {', '.join(missing)}")
    for name, (check, meaning) in CHECKS.items():
        if name in data and not check(data[name]):
            raise DamagedEntry(vid, f"its {name} is {str(data[name])[:40]!r}, not {meaning}")
    if (data["model"] == NO_PICTURES) != (data.get("dim") == 0):
        raise DamagedEntry(vid, f"its frame vectors are {data.get('dim')} wide for picture "
                           f"model '{data['model']}'")
    if data["id"] != vid:
        raise DamagedEntry(vid, f"its manifest names '{data['id']}': a copied or renamed folder")
    known = {f.name for f in fields(VideoRecord)} - set(TRANSIENT)
    return VideoRecord(**{k: v for k, v in data.items() if k in known}, path=folder)


def read_manifest(folder: Path) -> VideoRecord:
    """Read and check the manifest in ``folder`` (see :func:`parse_manifest`)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedEntry(folder.name, f"its manifest can't be read: {exc}") from exc
    return parse_manifest(data, folder)
