"""Found moments as files for editors and viewers: a timeline (CMX 3600 EDL, FCPXML, FCP 7
XML, OpenTimelineIO: ``timelines.py``), YouTube chapters, an SRT of the moments. One registry,
``MARKER_FORMATS``, that the command line's choices and the pages' menus are made from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from oneframe.core.errors import OneframeError
from oneframe.core.printable import one_line
from oneframe.core.timefmt import timestamp
from oneframe.search.timelines import edl, fcp7xml, fcpxml, otio_json, source_facts

if TYPE_CHECKING:  # the registry is read by --help: it imports no media code
    from oneframe.search.moments import Moment

CHAPTER_GAP = 10.0
"""YouTube's shortest chapter, in seconds."""
CHAPTER_TITLE = 60
"""The longest chapter title, in characters (cut at a word)."""


@dataclass(frozen=True)
class MarkerFormat:
    """A kind of marker file: its name on the command line, its label on the pages, its file
    suffix and type, what one file holds, and what writes it."""

    name: str
    label: str
    suffix: str
    mime: str
    split: str | None
    """What one file holds: one ``video``'s moments, one frame ``rate``'s, or all (None)."""
    write: Callable[[Sequence[Moment]], str]



def chapters(found: Sequence[Moment]) -> str:
    """YouTube chapters of one video, as YouTube takes them: the first at 0:00, at least
    three, each at least 10 s long, distinct titles of at most ``CHAPTER_TITLE`` characters
    cut at a word; OneframeError saying why where the moments can't make them."""
    moment = found[0]
    length = source_facts(moment.path).seconds
    kept: list[Moment] = []
    for m in sorted(found, key=lambda m: m.start):
        if kept and m.start - kept[-1].start < CHAPTER_GAP:
            if m.score > kept[-1].score:
                kept[-1] = m  # the better of two moments too close for two chapters
            continue
        kept.append(m)
    starts = [0.0 if i == 0 and m.start < CHAPTER_GAP else math.floor(m.start)
              for i, m in enumerate(kept)]
    titles = [_chapter_title(m.line or m.title) for m in kept]
    if not starts or starts[0] > 0:
        starts.insert(0, 0.0)
        titles.insert(0, _chapter_title(moment.title))
    while len(starts) > 1 and length - starts[-1] < CHAPTER_GAP:
        starts.pop()  # YouTube's last chapter, too, lasts 10 s
        titles.pop()
    if len(starts) < 3:
        raise OneframeError(
            f"YouTube takes chapters only where there are at least three, each at least "
            f"{CHAPTER_GAP:g} s long: the moments of “{one_line(moment.title, 80)}” make "
            f"{len(starts)} (moments closer than {CHAPTER_GAP:g} s are one chapter). Export "
            "them as an SRT or markers instead, or search for more moments.")
    return "".join(f"{_clock(t)} {title}\n" for t, title in
                   zip(starts, _distinct(titles), strict=True))


def _chapter_title(text: str) -> str:
    text = one_line(text) or "Moment"
    if len(text) <= CHAPTER_TITLE:
        return text
    cut = text[:CHAPTER_TITLE - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:.-") + "…"


def _distinct(titles: list[str]) -> list[str]:
    """``titles``, each one that is already taken given the first free ``(n)``."""
    taken: set[str] = set()
    out = []
    for title in titles:
        given, n = title, 1
        while given in taken:
            n += 1
            given = f"{title[:CHAPTER_TITLE - 6]} ({n})"
        taken.add(given)
        out.append(given)
    return out


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def srt(found: Sequence[Moment]) -> str:
    """An SRT of one video's moments, in time order: a block per moment, its line (made of
    lines without empty ones, so no block breaks)."""
    def stamp(t: float) -> str:
        ms = round(max(t, 0.0) * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = []
    for n, moment in enumerate(sorted(found, key=lambda m: (m.start, m.end)), 1):
        text = moment.line or f"{moment.title} at {timestamp(moment.time)}"
        said = [one_line(line) for line in text.splitlines()]
        said = [line for line in said if line] or ["…"]
        blocks.append(f"{n}\n{stamp(moment.start)} --> {stamp(moment.end)}\n"
                      + "\n".join(said) + "\n")
    return "\n".join(blocks)


MARKER_FORMATS = {f.name: f for f in (
    MarkerFormat("edl", "EDL (CMX 3600)", ".edl", "text/plain", "rate", edl),
    MarkerFormat("fcpxml", "FCPXML (Final Cut Pro, Resolve)", ".fcpxml", "application/xml",
                 None, fcpxml),
    MarkerFormat("fcp7xml", "FCP 7 XML (Premiere)", ".xml", "application/xml", None, fcp7xml),
    MarkerFormat("otio", "OpenTimelineIO", ".otio", "application/json", None, otio_json),
    MarkerFormat("chapters", "YouTube chapters", ".txt", "text/plain", "video", chapters),
    MarkerFormat("srt", "SRT of the moments", ".srt", "application/x-subrip", "video", srt),
)}


def marker_files(found: Sequence[Moment], fmt: str) -> list[tuple[Moment, str, str]]:
    """The moments as ``fmt``: ``(a moment of the file, what tells the file apart, its
    text)``, one file for a timeline; one per video for chapters and SRT; one per frame rate
    for an EDL (a CMX 3600 list counts one rate)."""
    if fmt not in MARKER_FORMATS:
        raise OneframeError(f"Unknown marker format '{fmt}': use one of "
                            f"{', '.join(MARKER_FORMATS)}.")
    if not found:
        raise OneframeError("No moments to mark.")
    kind = MARKER_FORMATS[fmt]
    if kind.split is None:
        return [(found[0], "", kind.write(found))]
    key: Callable[[Moment], Any] = (lambda m: m.video) if kind.split == "video" else \
        (lambda m: m.fps)
    groups = list(dict.fromkeys(key(m) for m in found))
    out = []
    for group in groups:
        own = [m for m in found if key(m) == group]
        tell = one_line(own[0].title, 100) if kind.split == "video" else rate_label(own[0].fps)
        out.append((own[0], tell, kind.write(own)))
    if kind.split == "video":  # titles two videos share get their ids
        titles = [t for _, t, _ in out]
        out = [(m, t if titles.count(t) == 1 else f"{t} {m.video}", text)
               for m, t, text in out]
    return out


def rate_label(fps: Fraction) -> str:
    """``24 fps``, ``29.97 fps``."""
    return f"{float(fps):.3f}".rstrip("0").rstrip(".") + " fps"


def markers(found: Sequence[Moment], fmt: str) -> str:
    """The moments as one ``fmt`` text; OneframeError where the format splits them (by video
    or by rate) and they make several files."""
    files = marker_files(found, fmt)
    if len(files) > 1:
        kind = MARKER_FORMATS[fmt]
        what = "videos" if kind.split == "video" else "frame rates"
        raise OneframeError(f"{kind.label}: these moments are of {len(files)} {what}, and a "
                            f"file holds one. Write them to files (-o NAME{kind.suffix}): one "
                            f"is made for each ({', '.join(t for _, t, _ in files)}).")
    return files[0][2]
