"""Collections: a channel, playlist, feed or folder kept as one named part of the library.

A collection is one JSON file in ``<library>/.collections/``: the list's link, when it was read,
how its videos are added, and each video with its stage. That file *is* the queue: whatever
adds a collection's videos reads what is left from it and writes each step back (atomically),
so a process that dies resumes where it was, and an entry already in the library is never
added twice (its id is on the video, and the library finds it by source anyway).

A video's stages::

    listed ──► dialogue (its lines searchable, its picture not fetched yet) ──► pictures
       └─────► waiting (no captions: its lines come with the picture stage) ──┘
    any of them ──► failed (the error named; retried on request)   skipped: left out by choice
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from oneframe.core.errors import LibraryError
from oneframe.library.atomic import claim, held, reported_writes
from oneframe.library.folders import Library

FOLDER = ".collections"
LISTED, DIALOGUE, WAITING, PICTURES, FAILED, SKIPPED = (
    "listed", "dialogue", "waiting", "pictures", "failed", "skipped")
STATES = (LISTED, DIALOGUE, WAITING, PICTURES, FAILED, SKIPPED)
_NAME = re.compile(r"[^\w .,()'&+-]+", re.UNICODE)


@dataclass
class Item:
    """One video of a collection and where it stands."""

    url: str
    title: str
    duration: float | None = None
    published: str | None = None
    state: str = LISTED
    entry: str | None = None
    """Its library entry's id, once it has one."""
    captions: str | None = None
    """Where its lines come from once looked at (``manual``, ``auto``, ``file``, ``none``)."""
    error: str | None = None
    error_visitor: str | None = None
    """``error`` as a visitor of the web app may read it (no operator's settings or paths)."""
    stage_failed: str | None = None
    """The stage it failed in (``dialogue`` or ``pictures``)."""
    attempts: int = 0
    first: bool = False
    """Asked to have its picture fetched before the others."""
    owned: bool = False
    """Whether the collection added its entry (removing the collection removes it); False for
    a video the library held already."""


@dataclass
class Collection:
    """A list of videos in the library."""

    id: str
    name: str
    source: str
    kind: str
    read: str
    """When the list was last read (ISO time, UTC)."""
    options: dict[str, Any] = field(default_factory=dict)
    """How its videos are added (:class:`IngestOptions` fields, as JSON)."""
    pictures: bool = True
    """Whether its pictures are fetched after its dialogue (False: dialogue only)."""
    origin: str = "cli"
    """``web`` where the web app added it (its server resumes it, under its serving policy);
    ``cli`` where the command line or a script did (resumed there: `oneframe refresh`)."""
    items: list[Item] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many videos are at each stage; ``searchable``: by their lines or more."""
        found = {state: 0 for state in STATES}
        for item in self.items:
            found[item.state] += 1
        found["searchable"] = sum(i.entry is not None and i.state in (DIALOGUE, PICTURES, FAILED)
                                  for i in self.items)
        found["listed_total"] = len(self.items) - found[SKIPPED]
        found["looked_at"] = found["listed_total"] - found[LISTED]
        return found

    def owned(self) -> list[str]:
        """The library ids of the entries it added itself."""
        return [i.entry for i in self.items if i.entry and i.owned]

    def entries(self) -> list[str]:
        """The library ids of its videos that have one."""
        return [i.entry for i in self.items if i.entry]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Collection:
        known = {f.name for f in fields(Item)}
        items = [Item(**{k: v for k, v in i.items() if k in known}) for i in data["items"]]
        own = {f.name for f in fields(cls)} - {"items"}
        return cls(**{k: v for k, v in data.items() if k in own}, items=items)


def collection_id(source: str) -> str:
    """A collection's id, from its link or folder: the same list is the same collection."""
    return "c-" + hashlib.sha1(source.strip().encode()).hexdigest()[:12]


def clean_name(name: str) -> str:
    """A list's title as a collection's name: printable, one line, at most 80 characters."""
    return " ".join(_NAME.sub(" ", name).split())[:80] or "collection"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Collections:
    """The collections of a library."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.folder = library.root / FOLDER

    def all(self) -> list[Collection]:
        """Every readable collection, by name."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("c-*.json")):
            with contextlib.suppress(LibraryError):
                found.append(self._read(path))
        return sorted(found, key=lambda c: c.name.lower())

    def get(self, name: str) -> Collection:
        """The collection named ``name`` (or with that id); LibraryError naming those there."""
        everything = self.all()
        for collection in everything:
            if name == collection.id:
                return collection
        named = [c for c in everything if c.name == name] or \
            [c for c in everything if c.name.lower() == name.strip().lower()]
        if len(named) == 1:
            return named[0]
        if named:
            raise LibraryError(f"{len(named)} collections are called '{name[:80]}': name one "
                               f"by its id ({', '.join(c.id for c in named)}).")
        there = ", ".join(f"{c.name} ({c.id})" for c in everything) or "none yet"
        raise LibraryError(f"No collection '{name[:80]}' in the library (there: {there}). Run "
                           "`oneframe collections` to list them.")

    def _read(self, path: Path) -> Collection:
        try:
            return Collection.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LibraryError(f"The collection file {path.name} can't be read ({exc}). Remove "
                               "it and add the list again.") from exc

    def reload(self, collection: Collection) -> Collection:
        return self._read(self.folder / f"{collection.id}.json")

    def save(self, collection: Collection) -> None:
        """Write ``collection`` in one step (a reader sees the old file or the new one)."""
        with reported_writes("save the collection"):
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{collection.id}.json"
            part = self.folder / f".{collection.id}.{uuid.uuid4().hex[:8]}.part"
            with part.open("w", encoding="utf-8") as fh:
                json.dump(collection.to_json(), fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, target)

    @contextlib.contextmanager
    def editing(self, collection_id: str) -> Iterator[Collection]:
        """The collection, read under its lock and saved when the block ends: one writer at a
        time, in this process or another."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with held(self.folder / f"{collection_id}.lock"):
            collection = self._read(self.folder / f"{collection_id}.json")
            yield collection
            self.save(collection)

    def running(self, collection_id: str) -> IO[str] | None:
        """Claim the right to add the collection's videos (held until the file returned is
        closed or this process ends); None where another process has it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            return claim(self.folder / f"{collection_id}.run")
        except BlockingIOError:
            return None

    def is_running(self, collection_id: str) -> bool:
        from oneframe.library.atomic import owner_gone

        lock = self.folder / f"{collection_id}.run"
        return lock.is_file() and not owner_gone(lock)

    def remove(self, collection_id: str) -> None:
        """Forget the collection (its entries are removed by the caller first)."""
        for suffix in (".json", ".lock", ".run"):
            with contextlib.suppress(FileNotFoundError):
                (self.folder / f"{collection_id}{suffix}").unlink()
