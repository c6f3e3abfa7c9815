"""Found moments taken out of oneframe: full-size stills, frame-accurate clips and supercuts
(markers for editors are :mod:`oneframe.search.markers`).

A moment is a hit of a search (``Hit``, or a line of ``oneframe search --json``) resolved
against the library: its video file, frame rate and span. A dialogue hit spans its lines; a
picture hit, ``PICTURE_PAD`` seconds either side of its frame. A results file may have been
edited by hand: every time, span and score in it is checked (a finite number, inside the
video, a start before its end) and a bad one named. The same line of the same video found
twice within ``SAME_LINE_SECONDS`` is one moment (the better scored).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from oneframe.core.errors import OneframeError
from oneframe.core.timefmt import timestamp
from oneframe.dialogue.cues import Cue
from oneframe.dialogue.text import words
from oneframe.library.folders import Library, MissingEntry
from oneframe.library.manifest import VideoRecord
from oneframe.media.cut import Done, Span, cut
from oneframe.media.destination import clock, default_name
from oneframe.media.still import still
from oneframe.media.streams import facts
from oneframe.search.floor import SAME_LINE_SECONDS

PICTURE_PAD = 3.0
"""Seconds either side of a moment found by its picture, for a clip of it."""


@dataclass(frozen=True)
class Moment:
    """One found moment, ready to cut: which video, where, what was said, how well."""

    video: str
    title: str
    path: Path
    fps: Fraction
    start: float
    end: float
    time: float
    line: str = ""
    score: float = 0.0
    query: str | None = None
    note: str | None = None
    """What a user should know of its picture ("kept at 480p" for a downloaded video)."""


def clip_file_name(moment: Moment, suffix: str = ".mp4") -> str:
    """``Title 0m05s-0m08s.mp4``: a clip's default file name, its span always in it."""
    return default_name(moment.title, suffix, f"{clock(moment.start)}-{clock(moment.end)}")


def still_file_name(moment: Moment, line: bool = False, suffix: str = ".png") -> str:
    """``Title 0m05.4s.png`` (``... line.png`` with its line drawn)."""
    return default_name(moment.title, suffix, clock(moment.time), *(["line"] if line else []))


def supercut_file_name(found: Sequence[Moment]) -> str:
    """``Supercut of QUERY (N moments, 1a2b3c).mp4``: what it is, and a digest of its spans."""
    digest = hashlib.sha1(repr([(m.video, round(m.start, 3), round(m.end, 3))
                                for m in found]).encode()).hexdigest()[:6]
    query = next((m.query for m in found if m.query), None)
    count = f"{len(found)} moment" + ("s" if len(found) != 1 else "")
    return default_name(f"Supercut of {query}" if query else "Supercut", ".mp4",
                        f"({count}, {digest})")


def hits_of(results: str) -> list[tuple[dict[str, Any], str | None]]:
    """``(hit, query)`` from ``oneframe search --json`` output (one JSON object a line, or
    one document); OneframeError if it isn't that."""
    found: list[tuple[dict[str, Any], str | None]] = []
    texts = [results] if results.lstrip().startswith("{") and "\n{" not in results.strip() \
        else [line for line in results.splitlines() if line.strip()]
    for number, text in enumerate(texts, 1):
        try:
            item = json.loads(text)
            hits = item["hits"]
            if not isinstance(hits, list):
                raise TypeError("hits is not a list")
            found += [(hit, item.get("query")) for hit in hits]
        except RecursionError:
            raise OneframeError(f"Results line {number} is nested too deeply to be search "
                                "results.") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise OneframeError(f"Results line {number} is not a line of `oneframe search "
                                f"--json` output ({exc}).") from exc
    if not found:
        raise OneframeError("The results hold no moments: nothing to export.")
    return found


def moments(library: Library, hits: Iterable[tuple[dict[str, Any], str | None]],
            pad: float = 0.0) -> list[Moment]:
    """The hits as moments of the library's videos, each span widened by ``pad`` seconds, the
    same line found twice close by kept once; OneframeError naming a video the library no
    longer has, or a hit whose time, span or score is not one."""
    records: dict[str, tuple[VideoRecord, Fraction]] = {}
    out = []
    for number, (hit, query) in enumerate(hits, 1):
        if not isinstance(hit, dict) or not isinstance(hit.get("video"), str) or \
                not hit["video"]:
            raise OneframeError(f"Hit {number} of the results is not a hit: an object with a "
                                "\"video\" id and a \"time\". Search again, or correct the "
                                "file.")
        if not isinstance(hit.get("text") or "", str):
            raise OneframeError(f"Hit {number} of the results has a \"text\" that is not "
                                "text. Search again, or correct the file.")
        vid = hit["video"]
        if vid not in records:
            records[vid] = _video(library, vid)
        record, fps = records[vid]
        time, start, end = _times(hit, number, record)
        start, end = max(0.0, start - pad), min(record.duration, end + pad)
        out.append(Moment(vid, record.title, _file(record), fps, start, max(end, start + 0.04),
                          time, str(hit.get("text") or ""), _score(hit, number, record),
                          query if isinstance(query, str) else None, kept_note(record)))
    return distinct(out)


def _times(hit: dict[str, Any], number: int, record: VideoRecord) -> tuple[float, float, float]:
    """A hit's time and span, checked: finite, inside its video, the span's start before its
    end (a picture hit spans ``PICTURE_PAD`` either side of its time)."""
    def bad(what: str) -> OneframeError:
        return OneframeError(
            f"Hit {number} of the results (“{record.title[:80]}”, {record.id}) has {what}: a "
            f"time is seconds from 0 to {record.duration:g} (the video's length), a span two "
            "such times, the start before the end. Search again, or correct the file.")

    time = hit.get("time", 0.0)
    if not _finite(time) or not 0 <= time <= record.duration + 0.5:
        raise bad(f"the time {_shown(time)}")
    time = min(float(time), record.duration)
    span = hit.get("span")
    if span is None or hit.get("matched_line") is not True:
        return time, time - PICTURE_PAD, time + PICTURE_PAD
    if not isinstance(span, list | tuple) or len(span) != 2 or not all(map(_finite, span)):
        raise bad(f"the span {_shown(span)}")
    start, end = float(span[0]), float(span[1])
    if not (0 <= start < end <= record.duration + 0.5 and start < record.duration):
        raise bad(f"the span {start:g} to {end:g} s")
    return time, start, end


def _score(hit: dict[str, Any], number: int, record: VideoRecord) -> float:
    score = hit.get("score")
    if score is None:
        return 0.0
    if not _finite(score):
        raise OneframeError(f"Hit {number} of the results (“{record.title[:80]}”) has the "
                            f"score {_shown(score)}, which is not a number. Search again, or "
                            "correct the file.")
    return float(score)


def _shown(value: Any) -> str:
    """A value from a results file as a message quotes it (short, one line)."""
    text = repr(value) if isinstance(value, str) else str(value)
    return " ".join(text.split())[:60]


def _finite(value: Any) -> bool:
    """A number that is a number: not a bool, not NaN or infinite, not an integer too large to
    be a float."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def distinct(found: Sequence[Moment]) -> list[Moment]:
    """``found`` with the same line of the same video found again within
    ``SAME_LINE_SECONDS`` kept once, where it was first listed, with the better score."""
    out: list[Moment] = []
    said: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for moment in found:
        key = (moment.video, tuple(words(moment.line)))
        if key[1]:
            same = next((i for i in said.get(key, [])
                         if abs(out[i].start - moment.start) <= SAME_LINE_SECONDS), None)
            if same is not None:
                if moment.score > out[same].score:
                    out[same] = moment
                continue
            said.setdefault(key, []).append(len(out))
        out.append(moment)
    return out


def _video(library: Library, vid: str, named: bool = True) -> tuple[VideoRecord, Fraction]:
    """A video's record and frame rate; a video the results ``named`` that is gone says so
    (one asked for by its id gets the library's own "no video" message)."""
    try:
        record = library.get(vid)
    except MissingEntry as exc:
        if not named:
            raise
        raise OneframeError(f"The results name '{vid[:80]}', which is no longer in the library "
                            "(removed since the search?). Search again, or leave it out.") from exc
    return record, facts(_file(record)).fps


def _file(record: VideoRecord) -> Path:
    path = record.video_path
    if not record.has_pictures:
        raise OneframeError(f"“{record.title}” ({record.id}) is in the library by its dialogue "
                            "only: its picture is not fetched yet, so nothing can be cut from "
                            "it. Fetch its pictures first (Library page, or `oneframe pictures "
                            f"{record.id}`).")
    if path is None or not path.is_file():
        raise OneframeError(f"The library no longer holds the video file of “{record.title}” "
                            f"({record.id}), so nothing can be cut from it; add it again.")
    return path


def kept_note(record: VideoRecord) -> str | None:
    """Says so where the library keeps a smaller copy than the source (a web video)."""
    if not record.url:
        return None
    height = facts(_file(record)).height
    return f"exported at the kept {height}p (the library keeps downloads at most 480p)"


def moment_at(library: Library, vid: str, seconds: float) -> Moment:
    """A moment of ``vid`` at ``seconds`` (for a still or a clip asked by time); OneframeError
    if the video isn't there or the time is outside it."""
    record, fps = _video(library, vid, named=False)
    if not 0 <= seconds <= record.duration:
        raise OneframeError(f"{seconds:g} s is outside “{record.title}”, which lasts "
                            f"{timestamp(record.duration)} ({record.duration:g} s).")
    return Moment(vid, record.title, _file(record), fps, seconds, seconds, seconds,
                  note=kept_note(record))


def save_still(moment: Moment, out: Path, line: bool = False, replace: bool = False) -> Path:
    """The frame at the moment's time, full size (PNG or JPEG by ``out``'s suffix); with
    ``line``, the moment's line drawn under it."""
    return still(moment.path, moment.time, out, moment.line if line else None, replace)


def lines_within(library: Library, moment: Moment) -> list[tuple[float, float, str]]:
    """The dialogue lines of the moment's video that overlap its span (not burned-in ones,
    which the picture already shows)."""
    cues: list[Cue] = library.load(moment.video, mmap=True).cues
    return [(c.start, c.end, c.text) for c in cues if c.end > moment.start
            and c.start < moment.end and c.source != "burned-in"]


def save_clip(library: Library, moment: Moment, out: Path, done: Done | None = None,
              replace: bool = False) -> Path:
    """The moment's span as a video file (MP4, MOV or MKV by ``out``'s suffix),
    frame-accurate at both ends, its lines as subtitles."""
    return cut([Span(moment.path, moment.start, moment.end, lines_within(library, moment))],
               out, done, replace=replace)


def save_supercut(library: Library, found: Sequence[Moment], out: Path,
                  done: Done | None = None, fps: Fraction | None = None,
                  replace: bool = False) -> Path:
    """Every moment's span in order, joined into one video at ``fps`` (default the first
    moment's rate), each with its line as a subtitle."""
    return cut([Span(m.path, m.start, m.end, [(m.start, m.end, m.line)] if m.line else [])
                for m in found], out, done, fps, replace)


def clip_of(library: Library, vid: str, start: float, end: float) -> Moment:
    """A moment of ``vid`` from ``start`` to ``end`` seconds; OneframeError if the span is
    backwards or outside the video."""
    if not end > start:
        raise OneframeError(f"A clip must end after it starts (from {start:g} s to {end:g} s).")
    moment = moment_at(library, vid, start)
    record = library.get(vid)
    if start >= record.duration:
        raise OneframeError(f"{start:g} s is the end of “{record.title}”, which lasts "
                            f"{timestamp(record.duration)} ({record.duration:g} s): a clip must "
                            "start before it.")
    if end > record.duration + 0.5:
        raise OneframeError(f"{end:g} s is past the end of “{record.title}”, which lasts "
                            f"{timestamp(record.duration)} ({record.duration:g} s).")
    return replace(moment, end=min(end, record.duration))
