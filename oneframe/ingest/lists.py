"""A list recorded as a collection, and what a user asks of it: choose its videos, read it
again, put some first, retry the failed, leave some out, remove it. Nothing here fetches a
video: :class:`oneframe.ingest.collection.CollectionRun` works the queue these write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from oneframe.core.errors import LibraryError
from oneframe.index.store import follow
from oneframe.ingest.options import IngestOptions
from oneframe.library.collections import (
    DIALOGUE,
    FAILED,
    LISTED,
    PICTURES,
    SKIPPED,
    WAITING,
    Collection,
    Collections,
    Item,
    clean_name,
    collection_id,
    now,
)
from oneframe.library.folders import Library
from oneframe.sources.listing import Listed, Listing, read_list
from oneframe.sources.policy import ServePolicy

SAVED_OPTIONS = ("lang", "interval", "model", "speech", "ocr", "ocr_band", "cookies")


@dataclass
class Choice:
    """Which videos of a list to add: all, the newest ``newest``, those published on or after
    ``since`` (``YYYY-MM-DD``), or the links ticked (``only``)."""

    newest: int | None = None
    since: str | None = None
    only: set[str] | None = None

    def apply(self, items: list[Listed]) -> list[Listed]:
        chosen = [i for i in items if self.only is None or i.url in self.only]
        if self.since:
            chosen = [i for i in chosen if i.published is None or i.published >= self.since]
        if self.newest is not None:
            dated = sorted(chosen, key=lambda i: i.published or "", reverse=True) \
                if any(i.published for i in chosen) else chosen
            chosen = dated[:self.newest]
        return chosen


def start_collection(library: Library, listing: Listing, options: IngestOptions,
                     choice: Choice | None = None, *, pictures: bool = True,
                     name: str | None = None, origin: str = "cli") -> Collection:
    """Record ``listing``'s chosen videos as a collection (or, for a list recorded already,
    choose again: new videos added, those left out skipped); nothing is fetched yet (see
    :class:`CollectionRun`). ``origin``: ``web`` where the web app adds it."""
    chosen = (choice or Choice()).apply(listing.items)
    collections = Collections(library)
    cid = collection_id(listing.source)
    saved = {k: _jsonable(getattr(options, k)) for k in SAVED_OPTIONS}
    try:
        collections.get(cid)
    except LibraryError:
        collections.save(Collection(cid, clean_name(name or listing.title), listing.source,
                                    listing.kind, now(), saved, pictures, origin))
    picked = {i.url for i in chosen}
    with collections.editing(cid) as collection:
        known = {i.url: i for i in collection.items}
        for listed in listing.items:  # those not chosen are kept, skipped: never "new" later
            item = known.get(listed.url)
            if item is None:
                collection.items.append(_item(listed, listed.url in picked))
            elif item.state == SKIPPED and listed.url in picked:
                item.state = LISTED
            elif item.state == LISTED and listed.url not in picked:
                item.state = SKIPPED  # a narrower choice this time
        collection.read, collection.options = now(), saved
        collection.pictures = pictures
        if name:
            collection.name = clean_name(name)
    return collections.get(cid)


def refresh(library: Library, name: str, *, policy: ServePolicy | None = None) -> list[str]:
    """Read a collection's list again and queue the videos that are new; their links."""
    collections = Collections(library)
    collection = collections.get(name)
    options = collection_options(collection)
    listing = read_list(collection.source, cookies=options.cookies, policy=policy)
    known = {i.url for i in collection.items}
    new = [i for i in listing.items if i.url not in known]
    with collections.editing(collection.id) as edited:
        edited.items += [_item(i) for i in new]
        edited.read = now()
    return [i.url for i in new]


def remove_collection(library: Library, name: str) -> list[str]:
    """Remove a collection and its videos' entries; the ids removed."""
    collections = Collections(library)
    collection = collections.get(name)
    if collections.is_running(collection.id):
        raise LibraryError(f"The collection '{collection.name}' is being added: cancel that "
                           "first, then remove it.")
    others = [c for c in collections.all() if c.id != collection.id]
    removed = []
    for vid in collection.owned():
        sharing = next((c for c in others if vid in c.entries()), None)
        if sharing is not None:  # another collection holds it too: it is that one's now
            with collections.editing(sharing.id) as edited:
                for item in edited.items:
                    item.owned = item.owned or item.entry == vid
            continue
        try:
            library.remove(vid)  # the store follows once, below: not once a video
            removed.append(vid)
        except LibraryError:  # removed already
            continue
    collections.remove(collection.id)
    follow(library, removed)
    return removed


def ask_pictures(library: Library, targets: Iterable[str]) -> int:
    """Put the pictures of ``targets`` (collection names or ids, or library ids of their
    videos) first, and turn a dialogue-only collection's picture stage on for them; how many
    videos that concerns."""
    targets = set(targets)
    collections = Collections(library)
    asked = 0
    for collection in collections.all():
        whole = bool({collection.id, collection.name} & targets)
        if not whole and not targets.intersection(collection.entries()):
            continue
        with collections.editing(collection.id) as edited:
            if whole:
                edited.pictures = True
            for item in edited.items:
                if (whole or item.entry in targets) and item.state in (DIALOGUE, WAITING):
                    item.first, asked = True, asked + 1
    return asked


def retry_failed(library: Library, name: str, url: str | None = None) -> int:
    """Queue a collection's failed videos (or the one at ``url``) again; how many."""
    collections = Collections(library)
    cid = collections.get(name).id
    count = 0
    with collections.editing(cid) as edited:
        for item in edited.items:
            if item.state == FAILED and url in (None, item.url):
                item.state = DIALOGUE if item.stage_failed == PICTURES and item.entry else \
                    (WAITING if item.stage_failed == PICTURES else LISTED)
                item.attempts, item.error, count = 0, None, count + 1
    return count


def collection_options(collection: Collection) -> IngestOptions:
    saved = dict(collection.options)
    if isinstance(saved.get("ocr_band"), list):
        saved["ocr_band"] = tuple(saved["ocr_band"])
    return IngestOptions(**saved)


def _item(listed: Listed, chosen: bool = True) -> Item:
    return Item(url=listed.url, title=listed.title, duration=listed.duration,
                published=listed.published, state=LISTED if chosen else SKIPPED,
                captions=listed.captions if listed.captions == "none" else None)


def _jsonable(value: Any) -> Any:
    return str(value) if value is not None and not isinstance(
        value, (str, int, float, bool, tuple, list)) else value


def record_added(library: Library, name: str,
                 added: dict[str, tuple[str | None, str | None, str | None]]) -> None:
    """What another way of adding made of a collection's videos (``ingest-many``): per link,
    ``(library id, None, outcome)`` where it was added whole, ``(None, error, None)`` where it
    failed."""
    collections = Collections(library)
    with collections.editing(collections.get(name).id) as edited:
        for item in edited.items:
            if item.url not in added:
                continue
            vid, error, outcome = added[item.url]
            if vid:
                item.state, item.entry, item.error = PICTURES, vid, None
                item.owned = item.owned or outcome != "existing"
            else:
                item.state, item.error, item.stage_failed = FAILED, error, PICTURES


def pending(collection: Collection) -> bool:
    """Whether a run of ``collection`` has work to do."""
    return any(i.state == LISTED or (i.state in (DIALOGUE, WAITING)
                                     and (collection.pictures or i.first))
               for i in collection.items)


def skip(library: Library, name: str, urls: Iterable[str]) -> None:
    """Leave videos of a collection out (they stay listed as skipped)."""
    urls = set(urls)
    collections = Collections(library)
    with collections.editing(collections.get(name).id) as edited:
        for item in edited.items:
            if item.url in urls and item.state in (LISTED, WAITING):
                item.state = SKIPPED
