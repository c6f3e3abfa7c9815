"""Found moments taken out of oneframe: full-size stills, frame-accurate clips, supercuts, and
markers for editors (an OpenTimelineIO timeline written as CMX 3600 EDL, FCPXML, FCP 7 XML or
OTIO; YouTube-style chapters; an SRT of the hits).

A moment is a hit of a search (``Hit``, or a line of ``oneframe search --json``) resolved
against the library: its video file, frame rate and span. A dialogue hit spans its lines; a
picture hit, ``PICTURE_PAD`` seconds either side of its frame. Timecodes are at the source's
own frame rate, drop-frame at 29.97 and 59.94.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from oneframe.core.errors import OneframeError
from oneframe.core.timefmt import timestamp
from oneframe.dialogue.cues import Cue
from oneframe.library.folders import Library, MissingEntry
from oneframe.library.manifest import VideoRecord
from oneframe.media.cut import Done, Span, cut
from oneframe.media.still import still
from oneframe.media.streams import facts

PICTURE_PAD = 3.0
"""Seconds either side of a moment found by its picture, for a clip of it."""
FORMATS = {"edl": ("cmx_3600", ".edl"), "fcpxml": ("fcpx_xml", ".fcpxml"),
           "fcp7xml": ("fcp_xml", ".xml"), "otio": ("otio_json", ".otio"),
           "chapters": (None, ".txt"), "srt": (None, ".srt")}
"""Marker formats: the OpenTimelineIO adapter that writes each, and its file suffix."""
FRAME_DURATIONS = {Fraction(24000, 1001): "1001/24000s", Fraction(30000, 1001): "1001/30000s",
                   Fraction(60000, 1001): "1001/60000s"}
"""What the FCPXML adapter leaves empty at NTSC rates (it looks them up rounded)."""


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


def file_name(*parts: str, suffix: str) -> str:
    """A file name from a (hostile) title and times: word characters and a few marks, at
    most 100 of them, never empty or hidden."""
    text = re.sub(r"[^\w.,;+ -]+", "_", " ".join(parts)).strip(" ._") or "oneframe"
    return text[:100] + suffix


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
            found += [(dict(hit), item.get("query")) for hit in hits]
        except (ValueError, KeyError, TypeError) as exc:
            raise OneframeError(f"Results line {number} is not a line of `oneframe search "
                                f"--json` output ({exc}).") from exc
    if not found:
        raise OneframeError("The results hold no moments: nothing to export.")
    return found


def moments(library: Library, hits: Iterable[tuple[dict[str, Any], str | None]],
            pad: float = 0.0) -> list[Moment]:
    """The hits as moments of the library's videos, each span widened by ``pad`` seconds;
    OneframeError naming a video the library no longer has."""
    records: dict[str, tuple[VideoRecord, Fraction]] = {}
    out = []
    for hit, query in hits:
        vid = str(hit.get("video", ""))
        if vid not in records:
            records[vid] = _video(library, vid)
        record, fps = records[vid]
        time = float(hit.get("time", 0.0))
        if hit.get("span") and hit.get("matched_line"):
            start, end = (float(t) for t in hit["span"])
        else:
            start, end = time - PICTURE_PAD, time + PICTURE_PAD
        start, end = max(0.0, start - pad), min(record.duration, end + pad)
        out.append(Moment(vid, record.title, _file(record), fps, start, max(end, start + 0.04),
                          time, str(hit.get("text") or ""), float(hit.get("score") or 0.0),
                          query, kept_note(record)))
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


def save_still(moment: Moment, out: Path, line: bool = False) -> Path:
    """The frame at the moment's time, full size (PNG or JPEG by ``out``'s suffix); with
    ``line``, the moment's line drawn under it."""
    return still(moment.path, moment.time, out, moment.line if line else None)


def lines_within(library: Library, moment: Moment) -> list[tuple[float, float, str]]:
    """The dialogue lines of the moment's video that overlap its span (not burned-in ones,
    which the picture already shows)."""
    cues: list[Cue] = library.load(moment.video, mmap=True).cues
    return [(c.start, c.end, c.text) for c in cues if c.end > moment.start
            and c.start < moment.end and c.source != "burned-in"]


def save_clip(library: Library, moment: Moment, out: Path, done: Done | None = None) -> Path:
    """The moment's span as an MP4, frame-accurate at both ends, its lines as subtitles."""
    return cut([Span(moment.path, moment.start, moment.end, lines_within(library, moment))],
               out, done)


def save_supercut(library: Library, found: Sequence[Moment], out: Path,
                  done: Done | None = None) -> Path:
    """Every moment's span in order, joined into one MP4, each with its line as a subtitle."""
    return cut([Span(m.path, m.start, m.end, [(m.start, m.end, m.line)] if m.line else [])
                for m in found], out, done)


def clip_of(library: Library, vid: str, start: float, end: float) -> Moment:
    """A moment of ``vid`` from ``start`` to ``end`` seconds; OneframeError if the span is
    backwards or outside the video."""
    if not end > start:
        raise OneframeError(f"A clip must end after it starts (from {start:g} s to {end:g} s).")
    moment = moment_at(library, vid, start)
    record = library.get(vid)
    if end > record.duration + 0.5:
        raise OneframeError(f"{end:g} s is past the end of “{record.title}”, which lasts "
                            f"{timestamp(record.duration)} ({record.duration:g} s).")
    return replace(moment, end=min(end, record.duration))


def markers(found: Sequence[Moment], fmt: str) -> str:
    """The moments as ``fmt`` (see ``FORMATS``): a timeline of a clip per moment, named by
    its line and carrying its score and query, for an editor; chapters; or an SRT."""
    if fmt not in FORMATS:
        raise OneframeError(f"Unknown marker format '{fmt}': use one of "
                            f"{', '.join(FORMATS)}.")
    if not found:
        raise OneframeError("No moments to mark.")
    if fmt == "chapters":
        return _chapters(found)
    if fmt == "srt":
        return _srt(found)
    import opentimelineio as otio

    adapter = FORMATS[fmt][0]
    timeline = _timeline(found)
    text = otio.adapters.write_to_string(timeline, adapter)
    if adapter == "fcpx_xml":  # the adapter looks NTSC rates up rounded, and misses them
        rate = FRAME_DURATIONS.get(found[0].fps)
        if rate:
            text = text.replace('frameDuration=""', f'frameDuration="{rate}"')
    return text


def _timeline(found: Sequence[Moment]) -> Any:
    import opentimelineio as otio

    timeline = otio.schema.Timeline(name=found[0].query or "oneframe moments")
    track = otio.schema.Track(name="Moments", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    references: dict[str, Any] = {}
    for rank, moment in enumerate(found, 1):
        rate = float(moment.fps)
        if moment.video not in references:
            length = facts(moment.path).seconds
            references[moment.video] = otio.schema.ExternalReference(
                target_url=moment.path.resolve().as_uri(),
                available_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate),
                    otio.opentime.RationalTime(math.ceil(length * rate), rate)))
        first = math.floor(moment.start * moment.fps + Fraction(1, 10**6))
        last = max(first + 1, math.ceil(moment.end * moment.fps - Fraction(1, 10**6)))
        name = (moment.line or f"{moment.title} at {timestamp(moment.time)}")[:120]
        clip = otio.schema.Clip(name=name, media_reference=references[moment.video],
                                source_range=otio.opentime.TimeRange(
                                    otio.opentime.RationalTime(first, rate),
                                    otio.opentime.RationalTime(last - first, rate)))
        clip.metadata["oneframe"] = {"rank": rank, "score": round(moment.score, 4),
                                     "query": moment.query, "video": moment.video,
                                     "title": moment.title, "time": round(moment.time, 3)}
        at = math.floor(moment.time * moment.fps + Fraction(1, 10**6))
        clip.markers.append(otio.schema.Marker(
            name=name, marked_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(min(max(at, first), last - 1), rate),
                otio.opentime.RationalTime(0, rate)),
            metadata={"oneframe": {"score": round(moment.score, 4), "query": moment.query}}))
        track.append(clip)
    return timeline


def _chapters(found: Sequence[Moment]) -> str:
    """YouTube-style chapters, per video: ``0:00`` first (as YouTube asks), then each moment."""
    parts = []
    for vid in dict.fromkeys(m.video for m in found):
        own = sorted((m for m in found if m.video == vid), key=lambda m: m.start)
        rows = ["0:00 " + own[0].title] if own[0].start >= 1 else []
        rows += [f"{_clock(m.start)} {(m.line or m.title).splitlines()[0][:100]}" for m in own]
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _srt(found: Sequence[Moment]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    several = len({m.video for m in found}) > 1
    blocks = []
    for n, moment in enumerate(found, 1):
        text = moment.line or f"{moment.title} at {timestamp(moment.time)}"
        if several:
            text = f"[{moment.title}] {text}"
        blocks.append(f"{n}\n{stamp(moment.start)} --> {stamp(moment.end)}\n{text}\n")
    return "\n".join(blocks)
