"""``oneframe ingest|ingest-many|search|export|model|list|remove|reindex|captions``: the command
line over the core (each command a few calls to it).

Heavy modules (torch, transformers, yt-dlp) are imported inside the commands that need them,
so ``captions`` and ``list`` start fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from oneframe.cli.collections import add_list_flags, ingest_list
from oneframe.cli.collections import add_parsers as add_collections
from oneframe.cli.doctor import add_parser as add_doctor
from oneframe.cli.export import add_parser as add_export
from oneframe.cli.model import add_parser as add_model
from oneframe.cli.values import count, filename, readable, seconds, share
from oneframe.core.errors import OneframeError
from oneframe.core.progress import Stage
from oneframe.search.floor import MIN_SCORE

if TYPE_CHECKING:
    from oneframe.library.folders import Library

DESCRIPTION = ("Find the exact frame of a video by describing what is seen or said: add videos "
               "(links or files, with their captions) to a library, then search it.")


class UsageError(OneframeError):
    """The command line asked for something malformed: exit status 2, as argparse's own."""


class BarProgress:
    """A tqdm bar on stderr: bytes while downloading, video seconds while indexing."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.phase: str | None = None

    def __call__(self, stage: Stage, done: int, total: int) -> None:
        from tqdm import tqdm

        phase = {Stage.DOWNLOAD: "download", Stage.FRAMES: "indexing", Stage.EMBED: "indexing",
                 Stage.SPEECH: "transcribing"}.get(stage)
        if stage == Stage.EMBED and self.phase is None:  # re-indexing: frames alone, by count
            phase = "embedding"
        if phase is None or (stage == Stage.DOWNLOAD and total <= 1):  # a local file: no bytes
            return
        if phase != self.phase:
            self.close()
            self.phase = phase
            unit = {"download": "B", "embedding": " frames"}.get(phase, "s")
            self.bar = tqdm(desc=phase, unit=unit, unit_scale=unit == "B", file=sys.stderr,
                            leave=False, dynamic_ncols=True)
        if stage == Stage.EMBED and phase == "indexing":
            self.bar.set_postfix_str(f"{done} frames embedded", refresh=False)
            return
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar = self.phase = None


_JSON_OUT: list[Any] = []
"""Where JSON lines go while :func:`json_only_on_stdout` holds stdout for them."""


def _print_json(obj: Any) -> None:
    out = _JSON_OUT[-1] if _JSON_OUT else sys.stdout
    print(json.dumps(obj, ensure_ascii=False), file=out, flush=True)


@contextlib.contextmanager
def json_only_on_stdout(active: bool) -> Iterator[None]:
    """While active, anything else written to file descriptor 1 (Ray's "(raylet)" lines, a
    C library's prints) goes to stderr: stdout carries only the JSON lines."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    out = os.fdopen(os.dup(saved), "w", encoding="utf-8")
    os.dup2(2, 1)
    _JSON_OUT.append(out)
    try:
        yield
    finally:
        _JSON_OUT.pop()
        out.close()
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def cmd_captions(args: argparse.Namespace) -> int:
    from oneframe.core.errors import CaptionError
    from oneframe.dialogue.captions import read_captions

    failed = 0
    for name in args.files:
        try:
            cues = read_captions(name)
        except CaptionError as exc:
            failed += 1
            if args.json:
                _print_json({"file": name, "error": str(exc)})
            else:
                print(f"error: {exc}", file=sys.stderr)
            continue
        if args.json:
            _print_json({"file": name, "cues": [c.to_json() for c in cues]})
        else:
            if len(args.files) > 1:  # which file the cues below are from, as `head` says
                print(f"==> {name} <==")
            for cue in cues:
                print(f"{cue.start:9.3f} {cue.end:9.3f}  {cue.text}")
    return 1 if failed else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from oneframe.api import add, looks_like_list, open_library, outcome_message
    from oneframe.core.errors import PlaylistLink

    options = ingest_options(args)
    if args.dialogue_only or args.limit or args.since or looks_like_list(args.source):
        return ingest_list(args, options)
    bar = BarProgress()
    try:
        record = add(args.source, options, library=open_library(args.library), progress=bar)
    except PlaylistLink:  # a page of several videos: a list
        bar.close()
        return ingest_list(args, options)
    finally:
        bar.close()
    if args.json:
        _print_json({"id": record.id, "title": record.title, "duration": record.duration,
                     "frames": record.frames, "cues": record.cues,
                     "captions": record.caption_kind, "lang": record.caption_lang,
                     "burned_in": record.burned_in, "dialogue": record.dialogue_sources,
                     "outcome": record.outcome})
    else:
        print(record.id)
    if message := outcome_message(record):
        print(f"note: {message}", file=sys.stderr)
    if record.outcome != "existing":
        for note in record.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def cmd_ingest_many(args: argparse.Namespace) -> int:
    from pathlib import Path

    from oneframe.cli.collections import expand_lists
    from oneframe.ingest.many import Outcome, ingest_many, read_sources
    from oneframe.library.folders import Library

    options = ingest_options(args, many=True)
    sources, lists = expand_lists(read_sources(args.list), Library(args.library), options)

    def done(outcome: Outcome) -> None:
        if args.json:
            _print_json({"source": outcome.source, "id": outcome.video, "error": outcome.error,
                         "outcome": outcome.outcome, "node": outcome.node})
        elif outcome.video:
            print(f"{outcome.video}\t{outcome.source}", flush=True)
            if outcome.message:
                print(f"note: {outcome.source}: {outcome.message}", file=sys.stderr, flush=True)
        else:  # named once: most messages name the source already
            named = outcome.source in (outcome.error or "") or \
                Path(outcome.source).name in (outcome.error or "")
            print(f"error: {'' if named else outcome.source + ': '}{outcome.error}",
                  file=sys.stderr, flush=True)

    with json_only_on_stdout(args.json):
        outcomes = ingest_many(sources, Library(args.library), options, ray_address=args.ray,
                               cpus=args.cpus_per_task, gpus=args.gpus_per_task, done=done)
    lists.record(outcomes)
    failed = sum(o.error is not None for o in outcomes)
    there = sum(o.outcome == "existing" for o in outcomes)
    if (failed or there) and not args.json:
        print(f"{len(outcomes) - failed - there} of {len(outcomes)} added"
              + (f"; {there} already in the library" if there else "")
              + (f"; {failed} failed (above)" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


def _format_hit(hit: Any) -> str:
    minutes, seconds = divmod(hit.time, 60)
    dialog = "  -  " if hit.dialog is None else f"{hit.dialog:.2f}"
    picture = "  -  " if hit.visual is None else f"{hit.visual:5.2f}"
    text = hit.marked.replace("\n", " ")
    return (f"{hit.score:6.3f}  {hit.video}  {int(minutes):02d}:{seconds:04.1f}  "
            f"picture {picture}  dialogue {dialog}  {text}  {hit.url or ''}")


def _queries(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The queries asked, each parsed once (``asked``, a Query) beside its own settings."""
    from oneframe.api import Query, read_image

    if not args.queries:
        if not args.query and not args.image:
            raise UsageError("Give a query (in quotes), --image PATH or --queries FILE.")
        if args.image:
            return [{"query": None, "asked": Query.of(image=read_image(args.image))}]
        try:
            return [{"query": args.query, "asked": Query.of(args.query)}]
        except OneframeError as exc:
            raise UsageError(str(exc)) from None
    items = []
    for number, line in enumerate(_lines(args.queries), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("query"), str):
                raise ValueError("each line needs a \"query\" string")
            item["asked"] = Query.of(item["query"])
        except (ValueError, OneframeError) as exc:
            raise UsageError(f"{args.queries}, line {number}: not a JSON query line ({exc}); "
                             'write {"query": "..."} per line.') from None
        items.append(item)
    return items


def _lines(name: str) -> list[str]:
    """The lines of a file, a pipe or standard input (``-``)."""
    from pathlib import Path

    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise OneframeError(f"Cannot read {name} ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start}).") \
            from None
    return text.splitlines()


def _item_value(item: dict[str, Any], key: str, default: Any, check: Any) -> Any:
    """A per-query setting of a ``--queries`` line, checked like its command-line option."""
    if key not in item:
        return default
    try:
        return check(str(item[key]))
    except argparse.ArgumentTypeError as exc:
        raise OneframeError(f"{key} {exc}.") from None


def _searcher(library: Any) -> Any:
    """The library's searcher, its notes printed; a clear error where nothing can be
    searched."""
    from oneframe.api import Searcher

    index = Searcher(library, optimise=False)
    for message in index.skipped:  # damaged entries, a store that can't be used
        print(f"note: {message}", file=sys.stderr)
    if not len(index) and index.left_out:
        raise OneframeError("No video in the library can be searched: "
                            + " ".join(index.left_out.values()))
    if not len(index):
        raise OneframeError("The library is empty. Add a video first: "
                            "oneframe ingest URL_OR_FILE")
    return index


def cmd_search(args: argparse.Namespace) -> int:
    from oneframe.api import DEFAULT_VISUAL_WEIGHT, collection_videos, open_library

    items = _queries(args)
    library = open_library(args.library)
    scope = None
    if args.collection:
        scope = collection_videos(library, args.collection)
        if not scope:
            raise OneframeError(f"The collection '{args.collection}' has no searchable video "
                                "yet: its dialogue is still being fetched, or none had any.")
    index = _searcher(library)
    failed = 0
    for item in items:
        videos = item.get("video", args.video)
        videos = [videos] if isinstance(videos, str) else videos
        if scope is not None and videos:
            if not (videos := [v for v in videos if v in scope]):
                raise UsageError(f"None of the videos asked for is in the collection "
                                 f"'{args.collection}'.")
        elif scope is not None:
            videos = scope
        asked = item["asked"]  # parsed once, where the words came in
        weight = _item_value(item, "visual_weight", args.visual_weight, share)
        if weight is None:
            weight = asked.weight(DEFAULT_VISUAL_WEIGHT)
        if (read_as := asked.describe()) and not (args.json or args.queries):
            print(f"note: read as {read_as} (picture weight {weight:g})", file=sys.stderr)
        try:
            result = index.search(
                asked, videos=videos, visual_weight=weight,
                top_k=_item_value(item, "top_k", args.top_k, count), min_gap=args.min_gap,
                min_score=args.min_score, picture_at_zero=False)
        except OneframeError as exc:
            if not args.json and not args.queries:
                raise
            failed += 1
            _print_json({"query": item.get("query"), "error": str(exc)})
            continue
        for warning in result.warnings:  # a shard not searched, a model that can't load
            print(f"note: {warning}", file=sys.stderr)
        if args.json or args.queries:
            _print_json({"query": item.get("query"), "hits": [h.to_json() for h in result.hits]}
                        | ({"warnings": result.warnings} if result.warnings else {}))
        else:
            if result.dialog_absent and item.get("query"):
                print("note: no dialogue in the searched videos; ranked by picture alone",
                      file=sys.stderr)
            if not result.hits and args.min_score > 0:
                print(f"note: nothing matched well: no moment scored {args.min_score:g} or "
                      "more (--min-score 0 shows the closest moments anyway)", file=sys.stderr)
            for hit in result.hits:
                print(_format_hit(hit))
    return 1 if failed else 0


def cmd_list(args: argparse.Namespace) -> int:
    from oneframe.library.folders import Library

    scan = Library(args.library).scan()
    records = scan.records
    if args.json:
        _print_json([r.to_json() for r in records])
    else:
        for r in records:
            caps = " + ".join(f"{s}/{r.caption_lang or '?'}" if s == r.caption_kind else s
                              for s in r.dialogue_sources) or "no dialogue"
            frames = f"{r.frames:6d} frames" if r.has_pictures else "no picture yet"
            print(f"{r.id}\t{r.duration / 60:6.1f} min\t{frames}\t{caps}\t{r.title}")
    for problem in [*scan.damaged, *scan.newer]:
        print(f"note: {problem}", file=sys.stderr)
    if not records and not args.json:
        print("The library is empty. Add a video: oneframe ingest URL_OR_FILE",
              file=sys.stderr)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from oneframe.encoders.dual import resolve_model
    from oneframe.ingest.reindex import reindex
    from oneframe.library.folders import Library

    library = Library(args.library)
    ids = args.ids or [r.id for r in library.list() if r.has_pictures]  # dialogue-only: no
    model = resolve_model(args.model)  # frames to embed yet
    for vid in ids:
        bar = BarProgress()
        try:
            record = reindex(library, vid, model, progress=bar)
        finally:
            bar.close()
        print(f"{record.id}\t{record.model}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from oneframe.ingest.remove import remove
    from oneframe.library.folders import Library

    remove(Library(args.library), args.id)
    print(f"removed {args.id}", file=sys.stderr)
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    from oneframe.index.store import store_uri, stores_of
    from oneframe.library.folders import Library

    library = Library(args.library)
    if args.action in ("shard", "shards"):
        return _shards(library, args)
    try:
        held: list[str] = []
        for store in stores_of(library):
            if args.action == "rebuild":
                store.rebuild()
            elif args.action == "sync":
                added, removed = store.sync()
                print(f"{store.uri}: {len(added)} videos added, {len(removed)} dropped",
                      file=sys.stderr)
            else:
                store.optimise(force=True)
            held += store.ready()
    except OneframeError:
        raise
    except Exception as exc:  # the object store unreachable, credentials refused...
        raise OneframeError(
            f"The library's store at {store_uri(library)} could not be brought in line "
            f"({args.action}: {type(exc).__name__}: {str(exc).strip()[:300]}). Check that its "
            "storage answers (the AWS_* variables: endpoint, credentials, region), then run "
            f"`oneframe store {args.action}` again: it picks up where this stopped.") from exc
    print(f"{store_uri(library)}: {len(held)} videos, the library has {len(library.ids())}")
    return 0 if sorted(held) == sorted(library.ids()) else 1


def _shards(library: Library, args: argparse.Namespace) -> int:
    """``store shard`` (split the store, or re-split it) and ``store shards`` (what each
    shard holds, its server)."""
    from oneframe.core import settings
    from oneframe.index.shard_servers import stop_servers
    from oneframe.index.shards import read_plan
    from oneframe.index.splitting import shard_report, split_store

    if args.action == "shard":
        try:
            split_store(library, args.count, lambda line: print(line, file=sys.stderr))
        except OneframeError:
            raise
        except Exception as exc:  # the object store unreachable, a disk full...
            raise OneframeError(
                f"Splitting the store stopped ({type(exc).__name__}: {str(exc).strip()[:300]}); "
                "the library still searches the store it had. Run `oneframe store shard` "
                "again: it picks up the shards already made.") from exc
    elif args.stop:
        plan, address = read_plan(library), settings.text(settings.RAY_ADDRESS)
        if plan is None or not address:
            raise UsageError("--stop ends a split store's Ray actors: the library must be "
                             "split (oneframe store shard) and ONEFRAME_RAY_ADDRESS set.")
        print(f"{stop_servers(library, list(plan.uris), address)} shard actors stopped",
              file=sys.stderr)
    rows = shard_report(library)
    for row in rows:
        if args.json:
            print(json.dumps(row))
            continue
        server = row.get("server")
        where = "" if server is None else (
            f"; {server}" if isinstance(server, str) else
            f"; actor pid {server['pid']} on node {str(server['node'])[:12]}, "
            f"{server['rss_mb']} MB")
        print(f"shard {row['shard']} of {row['of']}: {row['uri']}: {row['videos']} videos"
              f" (the library has {row['library']} for it){where}")
    return 0 if all(r["videos"] == r["library"] for r in rows) else 1


def add_ingest_options(p: argparse.ArgumentParser, many: bool = False) -> None:
    """The flags of :class:`IngestOptions` (``many``: those every source of a list shares)."""
    from oneframe.ingest.options import IngestOptions

    for option in IngestOptions.cli_fields(many):
        meta = option.metadata
        flag = "--" + option.name.replace("_", "-")
        if meta["flag"]:
            p.add_argument(flag, action="store_true", help=meta["help"])
        elif meta["choices"]:
            p.add_argument(flag, choices=meta["choices"], default=option.default,
                           help=meta["help"])
        else:
            p.add_argument(flag, type=_argument(meta["parse"]), metavar=meta["metavar"],
                           default=meta["shown"] or option.default, help=meta["help"])


def _argument(parse: Any) -> Any:
    """``parse`` as an argparse type: its ValueError's words are the usage error."""
    def read(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    read.__name__ = getattr(parse, "__name__", "value").strip("_")
    return read


def ingest_options(args: argparse.Namespace, many: bool = False) -> Any:
    """The :class:`IngestOptions` the command line's flags give."""
    from oneframe.ingest.options import IngestOptions

    return IngestOptions(**{f.name: getattr(args, f.name)
                            for f in IngestOptions.cli_fields(many)})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oneframe", description=DESCRIPTION)
    parser.add_argument("--library", help="library folder (default: $ONEFRAME_LIBRARY, else "
                        "$XDG_DATA_HOME/oneframe, else ~/.local/share/oneframe)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_ingest(sub)
    _add_search(sub)
    _add_library(sub)
    add_export(sub)
    add_model(sub)
    add_doctor(sub)
    add_collections(sub)
    p = sub.add_parser("captions", help="print the cleaned cues of caption files")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.set_defaults(func=cmd_captions)
    return parser


def _add_ingest(sub: Any) -> None:
    """``ingest`` and ``ingest-many``."""
    p = sub.add_parser("ingest", help="index a video from a URL or a local file, or a list of "
                       "them (a channel, playlist, feed or folder: its dialogue first)")
    p.add_argument("source", help="a video URL (YouTube or any yt-dlp site) or a local file; "
                   "or a channel, playlist or feed link, or a folder")
    add_ingest_options(p)
    add_list_flags(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ingest-many", help="index every source listed in a file, in parallel "
                       "with Ray if asked")
    p.add_argument("list", type=filename, help="a text file: one URL or video file a line")
    p.add_argument("--ray", metavar="ADDRESS", help="run on Ray: 'local' (this machine's "
                   "cores), 'auto' (on a cluster node) or ray://HEAD:10001 (default: no Ray, "
                   "one after another)")
    p.add_argument("--cpus-per-task", type=float, default=1.0, help="CPUs a video's task asks "
                   "Ray for (default 1)")
    p.add_argument("--gpus-per-task", type=float, default=0.0, help="GPUs a video's task asks "
                   "Ray for, e.g. 0.5 (default 0)")
    add_ingest_options(p, many=True)
    p.add_argument("--json", action="store_true", help="one JSON object per source per line")
    p.set_defaults(func=cmd_ingest_many)


def _add_search(sub: Any) -> None:
    p = sub.add_parser("search", help="find moments by what is seen or said")
    p.add_argument("query", nargs="?", help="what you remember, in quotes")
    p.add_argument("--video", action="append", help="search this video id (repeatable; "
                   "default: the whole library)")
    p.add_argument("--collection", metavar="NAME", help="search the videos of this collection "
                   "(a channel, playlist, feed or folder added as one; oneframe collections)")
    p.add_argument("--visual-weight", type=share, default=None,
                   help="0 = dialogue only, 1 = picture only; default: what the query suggests "
                   "(0.2 for a described line, 0.5 for a line and a picture or a plain query, "
                   "1 for seen: parts alone, 0 for said: parts alone)")
    p.add_argument("--top-k", type=count, default=10, help="number of moments (default 10)")
    p.add_argument("--min-gap", type=seconds, default=2.0,
                   help="seconds between two moments of one video (default 2)")
    p.add_argument("--min-score", type=share, default=MIN_SCORE,
                   help="leave out moments that match worse than this (default "
                   f"{MIN_SCORE}; 0 shows the closest moments even when nothing matches well)")
    p.add_argument("--image", type=filename, help="an image file: find frames that look like it")
    p.add_argument("--queries", type=readable,
                   help="JSON lines {\"query\": ..., \"visual_weight\": ..., "
                   "\"video\": ...} (a file, a pipe, or - for standard input): one JSON line "
                   "of hits per query")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)


def _add_library(sub: Any) -> None:
    """``list``, ``reindex``, ``remove`` and ``store``."""
    p = sub.add_parser("list", help="list the videos in the library",
                       description="List the videos in the library: id, length, frames, where "
                       "the dialogue comes from, title.")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("reindex", help="embed stored videos' frames with another picture model")
    p.add_argument("ids", nargs="*", help="video ids (default: every video)")
    p.add_argument("--model", required=True, help="model id or folder to embed with")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("remove", help="remove a video from the library",
                       description="Remove a video from the library: its folder, its frames "
                       "and dialogue, its rows in the store. Nothing else is touched.")
    p.add_argument("id", help="the video's id (oneframe list)")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("store", help="bring the library's store (ONEFRAME_STORE, or its .store "
                       "folder) in line with its folders, rebuild it, or optimise it",
                       description="The store is the LanceDB index a library of more than 24 "
                       "videos is searched through; it is made from the library's folders.")
    p.add_argument("action", choices=["sync", "rebuild", "optimise", "shard", "shards"],
                   help="sync: add and remove what the folders added and removed; rebuild: "
                   "make it again from the folders; optimise: compact it and update its "
                   "indexes; shard: split it by video into --count shards (or re-split it; "
                   "1: one store again), each searched in parallel (by a Ray actor each "
                   "where ONEFRAME_RAY_ADDRESS is set); shards: what each shard holds")
    p.add_argument("--count", type=count,
                   help="store shard: how many shards (default: one per 1,000 videos)")
    p.add_argument("--stop", action="store_true",
                   help="store shards: end the shards' Ray actors (the next search starts them)")
    p.add_argument("--json", action="store_true", help="store shards: a JSON object a shard")
    p.set_defaults(func=cmd_store)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # a usage error exits 2 with its message
    try:
        return args.func(args)
    except OneframeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.details:
            print(f"details: {exc.details}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print("interrupted; the library is unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
