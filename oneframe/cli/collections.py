"""``oneframe ingest LIST``, ``collections``, ``refresh`` and ``pictures``: channels,
playlists, feeds and folders as collections, dialogue first and pictures after."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import date
from typing import Any

from oneframe.core.errors import OneframeError


def since_date(text: str) -> str:
    """``--since``: a date written ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"write the date as YYYY-MM-DD, not {text!r}") from None


class CountsLine:
    """A collection's counts on stderr as they change, at most once a second."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet, self.shown, self.at = quiet, "", 0.0

    def __call__(self, collection: Any, final: bool = False) -> None:
        line = counts_text(collection)
        if self.quiet or line == self.shown or (not final and time.monotonic() - self.at < 1):
            return
        self.shown, self.at = line, time.monotonic()
        print(f"{collection.name}: {line}", file=sys.stderr, flush=True)


def counts_text(collection: Any) -> str:
    c = collection.counts()
    parts = [f"{c['listed_total']} listed", f"{c['searchable']} searchable by dialogue",
             f"{c['pictures']} with pictures"]
    if c["waiting"]:
        parts.append(f"{c['waiting']} without captions (lines come with the pictures)")
    if c["failed"]:
        parts.append(f"{c['failed']} failed")
    return ", ".join(parts)


def run_collection(library: Any, name: str, *, json_out: bool = False,
                   pictures: bool | None = None) -> int:
    """Work a collection's queue here (Ctrl+C stops it; it resumes at the next run); 1 if
    some of its videos failed."""
    from oneframe.api import CollectionRun

    show = CountsLine(quiet=json_out)
    stop = threading.Event()
    run = CollectionRun(library, name, on_change=show, stop=stop, pictures=pictures)
    try:
        collection = run.run()
    except KeyboardInterrupt:
        stop.set()
        print("interrupted: what was added is kept; run `oneframe refresh "
              f"{name}` to go on", file=sys.stderr)
        return 130
    show(collection, final=True)
    failed = [i for i in collection.items if i.state == "failed"]
    for item in failed:
        print(f"error: {item.url}: {item.error}", file=sys.stderr)
    if json_out:
        print(json.dumps(summary(collection), ensure_ascii=False))
    else:
        print(f"{collection.id}\t{collection.name}")
    return 1 if failed else 0


def summary(collection: Any) -> dict[str, Any]:
    return {"id": collection.id, "name": collection.name, "source": collection.source,
            "kind": collection.kind, "read": collection.read, "pictures": collection.pictures,
            "counts": collection.counts(),
            "videos": [{"url": i.url, "title": i.title, "state": i.state, "id": i.entry,
                        "captions": i.captions, "published": i.published, "error": i.error}
                       for i in collection.items]}


def ingest_list(args: argparse.Namespace, options: Any) -> int:
    """``oneframe ingest LIST``: read the list, record the videos chosen, add them."""
    from oneframe.api import Choice, open_library, read_list, start_collection

    library = open_library(args.library)
    listing = read_list(args.source, cookies=options.cookies)
    chosen = Choice(newest=args.limit, since=args.since).apply(listing.items)
    if not args.json:
        print(f"{listing.title}: {len(listing.items)} videos ({listing.kind}), {len(chosen)} "
              "chosen; their dialogue first" + ("" if args.dialogue_only else
                                                ", then their pictures"), file=sys.stderr)
    if not chosen:
        raise OneframeError(f"None of the {len(listing.items)} videos of {listing.title} is "
                            "newer than --since or within --limit: nothing to add.")
    collection = start_collection(library, listing, options,
                                  Choice(newest=args.limit, since=args.since),
                                  pictures=not args.dialogue_only)
    return run_collection(library, collection.id, json_out=args.json)


def cmd_collections(args: argparse.Namespace) -> int:
    from oneframe.api import Collections, open_library, remove_collection, retry_failed

    library = open_library(args.library)
    if args.action == "remove":
        removed = remove_collection(library, _name(args))
        print(f"removed the collection and its {len(removed)} videos", file=sys.stderr)
        return 0
    if args.action == "retry":
        count = retry_failed(library, _name(args))
        print(f"{count} failed videos queued again", file=sys.stderr)
        return run_collection(library, _name(args), json_out=args.json) if count else 0
    collections = Collections(library)
    chosen = [collections.get(args.name)] if args.name else collections.all()
    if args.json:
        print(json.dumps([summary(c) for c in chosen], ensure_ascii=False))
        return 0
    for c in chosen:
        print(f"{c.id}\t{c.name}\t{c.kind}\tread {c.read}\t{counts_text(c)}\t{c.source}")
        if args.name:
            for item in c.items:
                print(f"  {item.state:9}  {item.entry or '-':24}  {item.title}"
                      + (f"  ({item.error})" if item.error else ""))
    if not chosen:
        print("No collections yet. Add a channel, playlist, feed or folder: oneframe ingest "
              "LIST_URL", file=sys.stderr)
    return 0


def _name(args: argparse.Namespace) -> str:
    if not args.name:
        raise OneframeError(f"Name the collection to {args.action} (oneframe collections "
                            "lists them).")
    return str(args.name)


def cmd_refresh(args: argparse.Namespace) -> int:
    from oneframe.api import open_library, refresh

    library = open_library(args.library)
    new = refresh(library, args.name)
    print(f"{len(new)} new videos", file=sys.stderr)
    return run_collection(library, args.name, json_out=args.json)


def cmd_pictures(args: argparse.Namespace) -> int:
    from oneframe.api import Collections, ask_pictures, open_library

    library = open_library(args.library)
    asked = ask_pictures(library, args.targets)
    if not asked:
        raise OneframeError("None of " + ", ".join(args.targets) + " is a collection or a "
                            "video of one waiting for its pictures (oneframe collections "
                            "lists them).")
    print(f"pictures of {asked} videos first", file=sys.stderr)
    status = 0
    for collection in Collections(library).all():
        if any(i.first for i in collection.items):
            status = max(status, run_collection(library, collection.id, json_out=args.json))
    return status


class ListedSources:
    """The collections an ``ingest-many`` list named, to record what became of their videos."""

    def __init__(self, library: Any) -> None:
        self.library = library
        self.collections: list[tuple[str, set[str]]] = []

    def record(self, outcomes: Any) -> None:
        from oneframe.api import record_added

        for cid, urls in self.collections:
            record_added(self.library, cid, {o.source: (o.video, o.error, o.outcome)
                                             for o in outcomes if o.source in urls})


def expand_lists(sources: list[str], library: Any, options: Any) -> tuple[list[str],
                                                                           ListedSources]:
    """``ingest-many``'s sources with each list (a channel, playlist, feed or folder) replaced
    by its videos, each list recorded as a collection; a list that can't be read is an error
    line and the rest goes on."""
    from oneframe.api import looks_like_list, read_list, start_collection

    found: list[str] = []
    lists = ListedSources(library)
    for source in sources:
        if not looks_like_list(source):
            found.append(source)
            continue
        try:
            listing = read_list(source, cookies=options.cookies)
        except OneframeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            continue
        collection = start_collection(library, listing, options)
        urls = [i.url for i in listing.items]
        lists.collections.append((collection.id, set(urls)))
        print(f"note: {listing.title}: {len(urls)} videos ({listing.kind}), added whole",
              file=sys.stderr)
        found += urls
    return list(dict.fromkeys(found)), lists


def add_parsers(sub: Any) -> None:
    """``collections``, ``refresh`` and ``pictures``."""
    p = sub.add_parser("collections", help="list the channels, playlists, feeds and folders "
                       "added, remove one, or retry its failed videos",
                       description="Collections: lists of videos added together, each "
                       "searchable by its dialogue first and by its pictures once fetched.")
    p.add_argument("action", nargs="?", choices=["list", "remove", "retry"], default="list")
    p.add_argument("name", nargs="?", help="a collection's name or id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_collections)

    p = sub.add_parser("refresh", help="read a collection's list again and add what is new",
                       description="Read a collection's list again, add the videos that are "
                       "new (their dialogue first), and resume what was left unfinished.")
    p.add_argument("name", help="the collection's name or id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_refresh)

    p = sub.add_parser("pictures", help="fetch the pictures of collections or videos first",
                       description="Fetch and embed the pictures of these first: a "
                       "collection (all its videos, even a dialogue-only one) or video ids.")
    p.add_argument("targets", nargs="+", metavar="NAME|ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pictures)


def add_list_flags(p: argparse.ArgumentParser) -> None:
    """The flags ``ingest`` takes for a list (a channel, playlist, feed or folder)."""
    from oneframe.cli.values import count

    p.add_argument("--dialogue-only", action="store_true", help="a list: add its videos' "
                   "dialogue only (searchable within seconds); `oneframe pictures NAME` "
                   "fetches their pictures later")
    p.add_argument("--limit", type=count, metavar="N", help="a list: its newest N videos")
    p.add_argument("--since", type=since_date, metavar="DATE",
                   help="a list: its videos published on or after DATE (YYYY-MM-DD)")
