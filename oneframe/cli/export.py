"""``oneframe export still|clip|markers|supercut``: found moments taken out of oneframe.

An existing file is kept unless ``--force`` is given (and even then only a regular file is
replaced); a name's suffix says what is written, and one that can't be is an error that
writes nothing."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

from oneframe.cli.values import seconds
from oneframe.core.errors import OneframeError
from oneframe.search.markers import MARKER_FORMATS

NTSC_RATES = (24, 30, 48, 60, 120)
"""Rates whose NTSC kin (``n * 1000 / 1001``) people write as 23.976, 29.97, 59.94..."""


def rate(text: str) -> Fraction:
    """A frame rate: ``24``, ``29.97`` (taken as 30000/1001, and so for 23.976, 59.94...),
    ``30000/1001``."""
    try:
        value = Fraction(text) if "/" in text else Fraction(text).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a frame rate") from None
    value = next((Fraction(n * 1000, 1001) for n in NTSC_RATES
                  if value.denominator != 1 and abs(value - Fraction(n * 1000, 1001)) < 0.01),
                 value)
    if not 1 <= value <= 240:
        raise argparse.ArgumentTypeError(f"must be 1 to 240 frames a second, not {text}")
    return value


def add_parser(sub: Any) -> None:
    """The ``export`` command and its four kinds."""
    p = sub.add_parser("export", help="take found moments out: stills, clips, supercuts, "
                       "markers for editors")
    kinds = p.add_subparsers(dest="kind", required=True)
    k = kinds.add_parser("still", help="the full-size frame at a time, as PNG or JPEG")
    k.add_argument("id", help="a video id (oneframe list)")
    k.add_argument("--at", type=seconds, required=True, metavar="SECONDS")
    k.add_argument("--line", action="store_true", help="draw the line said then under it")
    k.add_argument("-o", "--output", metavar="FILE",
                   help="a .png or .jpg (default: TITLE 0m05.4s.png)")
    _force(k)
    k.set_defaults(func=export_still)
    k = kinds.add_parser("clip", help="a video from START to END, frame-accurate, with sound "
                         "and its lines as subtitles")
    k.add_argument("id", help="a video id (oneframe list)")
    k.add_argument("--start", type=seconds, required=True, metavar="S")
    k.add_argument("--end", type=seconds, required=True, metavar="E")
    k.add_argument("-o", "--output", metavar="FILE", help="a .mp4, .mov or .mkv (default: "
                   "TITLE 0m05s-0m08s.mp4)")
    _force(k)
    k.set_defaults(func=export_clip)
    k = kinds.add_parser("markers", help="the results as an editor's timeline, chapters or "
                         "an SRT")
    k.add_argument("results", help="a file of `oneframe search --json` output; - for stdin")
    k.add_argument("--format", required=True, dest="fmt", choices=list(MARKER_FORMATS),
                   help="; ".join(f"{f.name}: {f.label} ({f.suffix})"
                                  for f in MARKER_FORMATS.values()))
    k.add_argument("-o", "--output", metavar="FILE", help="default: standard output. Chapters "
                   "and SRT are one video's: for moments of several videos, one file each "
                   "(FILE's name, then the video's title)")
    _force(k)
    k.set_defaults(func=export_markers)
    k = kinds.add_parser("supercut", help="every moment of the results joined into one video")
    k.add_argument("results", help="a file of `oneframe search --json` output; - for stdin")
    k.add_argument("--pad", type=seconds, default=0.5, metavar="S",
                   help="seconds added before and after each moment (default 0.5)")
    k.add_argument("--fps", type=rate, metavar="RATE", help="the supercut's frame rate "
                   "(default: the first moment's video's); every part is converted by time")
    k.add_argument("-o", "--output", metavar="FILE", help="a .mp4, .mov or .mkv (default: "
                   "Supercut of QUERY (N moments, ID).mp4)")
    _force(k)
    k.set_defaults(func=export_supercut)


def _force(parser: Any) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace the output file if it exists (a regular file only)")


def _library(args: argparse.Namespace) -> Any:
    from oneframe.library.folders import Library

    return Library(args.library)


def _results(name: str) -> str:
    """The results file (or standard input, ``-``) as text: UTF-8, a byte-order mark left out;
    anything else a clear error."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        return data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        shown = "standard input" if name == "-" else name
        raise OneframeError(f"Cannot read the results {shown} ({why or exc}).") from exc


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
    from oneframe.search.moments import lines_within, moment_at, save_still, still_file_name

    library = _library(args)
    moment = moment_at(library, args.id, args.at)
    if args.line:
        said = [text for start, end, text in lines_within(library, moment)
                if start - 0.5 <= args.at <= end + 0.5]
        moment = dataclasses.replace(moment, line=" ".join(said))
    out = _outside(library, Path(args.output or still_file_name(moment, args.line)))
    save_still(moment, out, line=args.line, replace=args.force)
    print(out)
    _said(moment.note)
    return 0


def export_clip(args: argparse.Namespace) -> int:
    from oneframe.search.moments import clip_file_name, clip_of, save_clip

    library = _library(args)
    moment = clip_of(library, args.id, args.start, args.end)
    out = _outside(library, Path(args.output or clip_file_name(moment)))
    with _bar("clip", moment.end - moment.start) as done:
        save_clip(library, moment, out, done, replace=args.force)
    print(out)
    _said(moment.note)
    return 0


def export_markers(args: argparse.Namespace) -> int:
    from oneframe.media.destination import check, default_name, writing
    from oneframe.search.markers import marker_files, markers
    from oneframe.search.moments import hits_of, moments

    library = _library(args)
    kind = MARKER_FORMATS[args.fmt]
    found = moments(library, hits_of(_results(args.results)))
    if not args.output:
        text = markers(found, args.fmt)  # one file's worth, or an error saying so
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    out = _outside(library, Path(args.output))
    files = marker_files(found, args.fmt)
    if out.suffix.lower() != kind.suffix:
        check(out, [kind.suffix], kind.label)  # says which suffix, writes nothing
    targets = [out] if len(files) == 1 else [
        out.with_name(default_name(f"{out.stem} - {tell}", kind.suffix)) for _, tell, _ in files]
    for target in targets:  # all checked before any is written
        check(target, [kind.suffix], kind.label, args.force)
    for target, (_, _, text) in zip(targets, files, strict=True):
        with writing(target, args.force) as partial:
            partial.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        print(target)
    return 0


def _outside(library: Any, out: Path) -> Path:
    """``out``, unless it is inside the library's folder (an export there could replace a
    video the library keeps)."""
    if out.resolve().is_relative_to(library.root.resolve()):
        raise OneframeError(f"{out} is inside the library ({library.root}); write exports "
                            "somewhere else.")
    return out


def export_supercut(args: argparse.Namespace) -> int:
    from oneframe.search.moments import hits_of, moments, save_supercut, supercut_file_name

    library = _library(args)
    found = moments(library, hits_of(_results(args.results)), pad=args.pad)
    out = _outside(library, Path(args.output or supercut_file_name(found)))
    fps = args.fps or found[0].fps
    mixed = sorted({m.fps for m in found} - {fps})
    with _bar("supercut", sum(m.end - m.start for m in found)) as done:
        save_supercut(library, found, out, done, fps, replace=args.force)
    print(out)
    if mixed or args.fps:
        _said(f"the supercut runs at {float(fps):.3f} fps ("
              + ("as asked" if args.fps else "the first moment's video's")
              + (f"); the parts at {', '.join(f'{float(r):.3f}' for r in mixed)} fps were "
                 "converted by time, so they play at their own speed" if mixed else ")"))
    for note in dict.fromkeys(m.note for m in found if m.note):
        _said(note)
    return 0
