"""``oneframe export still|clip|markers|supercut``: found moments taken out of oneframe."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oneframe.cli.values import seconds
from oneframe.core.errors import OneframeError


def add_parser(sub: Any) -> None:
    """The ``export`` command and its four kinds."""
    p = sub.add_parser("export", help="take found moments out: stills, clips, supercuts, "
                       "markers for editors")
    kinds = p.add_subparsers(dest="kind", required=True)
    k = kinds.add_parser("still", help="the full-size frame at a time, as PNG or JPEG")
    k.add_argument("id", help="a video id (oneframe list)")
    k.add_argument("--at", type=seconds, required=True, metavar="SECONDS")
    k.add_argument("--line", action="store_true", help="draw the line said then under it")
    k.add_argument("-o", "--output", required=True, metavar="FILE", help="a .png or .jpg")
    k.set_defaults(func=export_still)
    k = kinds.add_parser("clip", help="an MP4 from START to END, frame-accurate, with sound "
                         "and its lines as subtitles")
    k.add_argument("id", help="a video id (oneframe list)")
    k.add_argument("--start", type=seconds, required=True, metavar="S")
    k.add_argument("--end", type=seconds, required=True, metavar="E")
    k.add_argument("-o", "--output", metavar="FILE", help="default: TITLE START-END.mp4")
    k.set_defaults(func=export_clip)
    k = kinds.add_parser("markers", help="the results as an editor's timeline, chapters or "
                         "an SRT")
    k.add_argument("results", help="a file of `oneframe search --json` output; - for stdin")
    k.add_argument("--format", required=True, dest="fmt",
                   choices=("edl", "fcpxml", "fcp7xml", "otio", "chapters", "srt"))
    k.add_argument("-o", "--output", metavar="FILE", help="default: standard output")
    k.set_defaults(func=export_markers)
    k = kinds.add_parser("supercut", help="every moment of the results joined into one MP4")
    k.add_argument("results", help="a file of `oneframe search --json` output; - for stdin")
    k.add_argument("--pad", type=seconds, default=0.5, metavar="S",
                   help="seconds added before and after each moment (default 0.5)")
    k.add_argument("-o", "--output", metavar="FILE", help="default: oneframe-supercut.mp4")
    k.set_defaults(func=export_supercut)


def _library(args: argparse.Namespace) -> Any:
    from oneframe.library.folders import Library

    return Library(args.library)


def _results(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise OneframeError(f"Cannot read the results {name} ({exc.strerror or exc}).") from exc


@contextmanager
def _bar(label: str, total: float) -> Iterator[Callable[[float], None]]:
    """A bar on stderr for ``total`` seconds of output; what to tell the seconds written."""
    from tqdm import tqdm

    bar = tqdm(desc=label, total=round(total, 1), unit="s", file=sys.stderr, leave=False,
               dynamic_ncols=True)
    try:
        yield lambda written: bar.update(round(written, 1) - bar.n)
    finally:
        bar.close()


def _said(note: str | None) -> None:
    if note:
        print(f"note: {note}", file=sys.stderr)


def export_still(args: argparse.Namespace) -> int:
    from oneframe.search.moments import lines_within, moment_at, save_still

    library = _library(args)
    moment = moment_at(library, args.id, args.at)
    if args.line:
        said = [text for start, end, text in lines_within(library, moment)
                if start - 0.5 <= args.at <= end + 0.5]
        moment = dataclasses.replace(moment, line=" ".join(said))
    out = Path(args.output)
    save_still(moment, out, line=args.line)
    print(out)
    _said(moment.note)
    return 0


def export_clip(args: argparse.Namespace) -> int:
    from oneframe.core.timefmt import timestamp
    from oneframe.search.moments import clip_of, file_name, save_clip

    library = _library(args)
    moment = clip_of(library, args.id, args.start, args.end)
    out = Path(args.output or file_name(moment.title, timestamp(moment.start).replace(":", "."),
                                        "-", timestamp(moment.end).replace(":", "."),
                                        suffix=".mp4"))
    with _bar("clip", moment.end - moment.start) as done:
        save_clip(library, moment, out, done)
    print(out)
    _said(moment.note)
    return 0


def export_markers(args: argparse.Namespace) -> int:
    from oneframe.search.moments import hits_of, markers, moments

    text = markers(moments(_library(args), hits_of(_results(args.results))), args.fmt)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(args.output)
    else:
        sys.stdout.write(text)
    return 0


def export_supercut(args: argparse.Namespace) -> int:
    from oneframe.search.moments import hits_of, moments, save_supercut

    library = _library(args)
    found = moments(library, hits_of(_results(args.results)), pad=args.pad)
    out = Path(args.output or "oneframe-supercut.mp4")
    with _bar("supercut", sum(m.end - m.start for m in found)) as done:
        save_supercut(library, found, out, done)
    print(out)
    for note in dict.fromkeys(m.note for m in found if m.note):
        _said(note)
    return 0
