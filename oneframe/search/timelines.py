"""Found moments as timelines for editors: a CMX 3600 EDL and FCPXML written here, FCP 7
XML and OpenTimelineIO through OpenTimelineIO's adapters. Every event carries its own source's
rate: an EDL's source timecodes count the source's frames (drop-frame at 29.97 and 59.94, with
its ``FCM`` line), its record timecodes the timeline's (the first moment's rate); FCPXML gives
each source an asset with a format of its own. Any text a line holds reaches every format whole
where it can carry it and made safe where it can't: no line break reaches an EDL event, no
control character an XML file, and quotes, ``&``, ``<`` or ``]]>`` are escaped by the XML
writer.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from oneframe.core.errors import OneframeError
from oneframe.core.printable import one_line
from oneframe.core.timefmt import timestamp

if TYPE_CHECKING:  # the registry is read by --help: it imports no media code
    from oneframe.search.moments import Moment

DROP_FRAME = (Fraction(30000, 1001), Fraction(60000, 1001))
"""Rates whose timecode drops frame numbers to keep up with the clock."""
NTSC = (Fraction(24000, 1001), *DROP_FRAME)


def clip_label(moment: Moment) -> str:
    """A clip's name: its line, else its video's title and time."""
    return (one_line(moment.line, 500)
            or one_line(f"{moment.title} at {timestamp(moment.time)}", 500))


def frames_of(moment: Moment) -> tuple[int, int]:
    """The moment's first frame and the frame after its last, at its source's rate."""
    first = math.floor(moment.start * moment.fps + Fraction(1, 10**6))
    return first, max(first + 1, math.ceil(moment.end * moment.fps - Fraction(1, 10**6)))


def timecode(frame: int, fps: Fraction) -> str:
    """SMPTE timecode of ``frame`` at ``fps``: drop-frame (``;``) at 29.97 and 59.94."""
    base = round(fps)
    if fps in DROP_FRAME:
        dropped = 2 * base // 30  # frame numbers skipped each minute but every tenth
        per_ten = base * 600 - dropped * 9
        tens, rest = divmod(frame, per_ten)
        extra = 0 if rest < dropped else dropped * ((rest - dropped) // (base * 60 - dropped))
        frame += dropped * 9 * tens + extra
    hours, rest = divmod(frame, base * 3600)
    minutes, rest = divmod(rest, base * 60)
    seconds, frames = divmod(rest, base)
    mark = ";" if fps in DROP_FRAME else ":"
    return f"{hours % 24:02d}:{minutes:02d}:{seconds:02d}{mark}{frames:02d}"


def reel_names(found: Sequence[Moment]) -> dict[str, str]:
    """A CMX 3600 reel name (eight letters and digits) for each video, distinct: the start of
    its id, then a digest of it."""
    reels: dict[str, str] = {}
    for video in dict.fromkeys(m.video for m in found):
        head = re.sub(r"[^A-Z0-9]", "", video.upper())[:4]
        digest = base64.b32encode(hashlib.sha1(video.encode()).digest()).decode()
        reel = (head + digest)[:8]
        n = 0
        while reel in reels.values():
            n += 1
            reel = (head + digest)[:8 - len(str(n))] + str(n)
        reels[video] = reel
    return reels


def edl(found: Sequence[Moment]) -> str:
    """A CMX 3600 EDL of moments of one frame rate: an event per moment, its reel naming its
    video, its name, file and video in comments; record timecodes from 01:00:00:00."""
    rate = found[0].fps
    assert all(m.fps == rate for m in found), "an EDL counts one rate"
    _timecode_rate(rate, "An EDL")
    reels = reel_names(found)
    title = one_line(found[0].query or "oneframe moments", 70)
    drop = rate in DROP_FRAME
    lines = [f"TITLE: {title}", f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}", ""]
    record = round(3600 * rate) if drop else 3600 * round(rate)  # 01:00:00:00
    for number, moment in enumerate(found, 1):
        first, after = frames_of(moment)
        lines.append(f"{number:03d}  {reels[moment.video]:<8} V     C        "
                     f"{timecode(first, rate)} {timecode(after, rate)} "
                     f"{timecode(record, rate)} {timecode(record + after - first, rate)}")
        lines.append(f"* FROM CLIP NAME: {clip_label(moment)[:250]}")
        lines.append(f"* SOURCE FILE: {one_line(str(moment.path), 250)}")
        lines.append(f"* SOURCE: {one_line(moment.title, 200)} ({one_line(moment.video, 80)})")
        lines.append("")
        record += after - first
    return "\n".join(lines)


def _timecode_rate(fps: Fraction, what: str) -> None:
    """OneframeError unless timecode can count ``fps``: whole frames a second up to 60, or
    an NTSC rate (23.976, 29.97, 59.94)."""
    if fps.denominator == 1 and 1 <= fps <= 60 or fps in NTSC:
        return
    raise OneframeError(f"{what} counts frames by timecode, which takes whole rates up to 60 "
                        f"frames a second and NTSC's (23.976, 29.97, 59.94); a video at "
                        f"{float(fps):g} fps can't be written so. Export FCPXML or "
                        "OpenTimelineIO, which take any rate.")


def _seconds(value: Fraction) -> str:
    """A time as FCPXML writes it: a rational number of seconds."""
    value = Fraction(value)
    return f"{value.numerator}s" if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}s"


def fcpxml(found: Sequence[Moment]) -> str:
    """FCPXML 1.8: a format per source rate and size, an asset per source with its own
    format, and a project whose spine holds a clip per moment with a marker at its time."""
    root = ElementTree.Element("fcpxml", version="1.8")
    resources = ElementTree.SubElement(root, "resources")
    formats: dict[tuple[Fraction, int, int], str] = {}
    assets: dict[str, str] = {}
    for moment in found:
        info = source_facts(moment.path)
        key = (moment.fps, info.width, info.height)
        if key not in formats:
            formats[key] = f"r{len(formats) + len(assets) + 1}"
            ElementTree.SubElement(resources, "format", id=formats[key],
                                   frameDuration=_seconds(1 / moment.fps),
                                   width=str(info.width), height=str(info.height),
                                   name=f"FFVideoFormat{info.height}p{float(moment.fps):g}")
        if moment.video not in assets:
            assets[moment.video] = f"r{len(formats) + len(assets) + 1}"
            length = Fraction(math.ceil(info.seconds * moment.fps), moment.fps)
            ElementTree.SubElement(
                resources, "asset", id=assets[moment.video], name=one_line(moment.title, 500),
                uid=hashlib.sha1(moment.video.encode()).hexdigest().upper(),
                start="0s", duration=_seconds(length), hasVideo="1",
                hasAudio="1" if info.audio else "0", format=formats[key],
                src=moment.path.resolve().as_uri())
    library = ElementTree.SubElement(root, "library")
    event = ElementTree.SubElement(library, "event", name="oneframe")
    project = ElementTree.SubElement(event, "project",
                                     name=one_line(found[0].query or "oneframe moments", 200))
    rate = found[0].fps
    sequence_format = formats[(rate, *_size(found[0]))]
    sequence = ElementTree.SubElement(project, "sequence", format=sequence_format,
                                      tcStart="0s", tcFormat="DF" if rate in DROP_FRAME
                                      else "NDF")
    spine = ElementTree.SubElement(sequence, "spine")
    offset = Fraction(0)
    for moment in found:
        first, after = frames_of(moment)
        start, length = Fraction(first, 1) / moment.fps, Fraction(after - first) / moment.fps
        length = Fraction(max(1, round(length * rate)), 1) / rate  # whole timeline frames
        clip = ElementTree.SubElement(spine, "asset-clip", ref=assets[moment.video],
                                      name=clip_label(moment), offset=_seconds(offset),
                                      start=_seconds(start), duration=_seconds(length),
                                      format=formats[(moment.fps, *_size(moment))])
        at = Fraction(min(max(math.floor(moment.time * moment.fps), first), after - 1),
                      1) / moment.fps
        ElementTree.SubElement(clip, "marker", start=_seconds(at), duration=_seconds(
            1 / moment.fps), value=clip_label(moment)[:250])
        offset += length
    sequence.set("duration", _seconds(offset))
    ElementTree.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n'
            + ElementTree.tostring(root, encoding="unicode") + "\n")


def source_facts(path: Any) -> Any:
    """The source file's facts (size, length, sound): read only when a file is written."""
    from oneframe.media.streams import facts

    return facts(path)


def _size(moment: Moment) -> tuple[int, int]:
    info = source_facts(moment.path)
    return info.width, info.height


def timeline(found: Sequence[Moment]) -> Any:
    """The moments as an OpenTimelineIO timeline: a clip per moment, named by its line, with
    a marker at its time and its score and query as metadata."""
    import opentimelineio as otio

    timeline = otio.schema.Timeline(name=one_line(found[0].query or "oneframe moments", 200))
    track = otio.schema.Track(name="Moments", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    references: dict[str, Any] = {}
    for rank, moment in enumerate(found, 1):
        rate = float(moment.fps)
        if moment.video not in references:
            length = source_facts(moment.path).seconds
            references[moment.video] = otio.schema.ExternalReference(
                target_url=moment.path.resolve().as_uri(),
                available_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate),
                    otio.opentime.RationalTime(math.ceil(length * rate), rate)))
            references[moment.video].name = one_line(moment.title, 200)
        first, after = frames_of(moment)
        name = clip_label(moment)
        clip = otio.schema.Clip(name=name, media_reference=references[moment.video],
                                source_range=otio.opentime.TimeRange(
                                    otio.opentime.RationalTime(first, rate),
                                    otio.opentime.RationalTime(after - first, rate)))
        clip.metadata["oneframe"] = {"rank": rank, "score": round(moment.score, 4),
                                     "query": one_line(moment.query or "", 500) or None,
                                     "video": one_line(moment.video, 200),
                                     "title": one_line(moment.title, 500),
                                     "time": round(moment.time, 3)}
        at = math.floor(moment.time * moment.fps + Fraction(1, 10**6))
        clip.markers.append(otio.schema.Marker(
            name=name, marked_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(min(max(at, first), after - 1), rate),
                otio.opentime.RationalTime(0, rate)),
            metadata={"oneframe": {"score": round(moment.score, 4),
                                   "query": one_line(moment.query or "", 500) or None}}))
        track.append(clip)
    return timeline


def fcp7xml(found: Sequence[Moment]) -> str:
    import opentimelineio as otio

    for rate in dict.fromkeys(m.fps for m in found):
        _timecode_rate(rate, "FCP 7 XML")  # its timebase is whole, or NTSC
    _any_rate_timecode()
    return str(otio.adapters.write_to_string(timeline(found), "fcp_xml"))


def _any_rate_timecode() -> None:
    """Let the FCP 7 XML adapter write a timecode at any rate: OpenTimelineIO's own knows only
    the broadcast ones and refuses a 10 or 15 fps video (a screen recording, a webcam), which
    Premiere reads as it reads any other timebase."""
    import opentimelineio as otio

    adapter = otio.adapters.from_name("fcp_xml").module()  # as OpenTimelineIO loads it
    original = adapter._build_timecode
    if getattr(original, "oneframe", False):
        return

    def build(time: Any, fps: float, drop_frame: bool = False,
              additional_metadata: Any = None) -> Any:
        try:
            return original(time, fps, drop_frame, additional_metadata)
        except ValueError:  # not a broadcast rate: counted plainly, non-drop
            element = ElementTree.Element("timecode")
            element.append(adapter._build_rate(fps))
            frame = round(time.value_rescaled_to(fps))
            rate = Fraction(fps).limit_denominator(1001)
            for tag, text in (("string", timecode(frame, rate)), ("frame", str(frame)),
                              ("displayformat", "NDF")):
                ElementTree.SubElement(element, tag).text = text
            return element

    build.oneframe = True  # type: ignore[attr-defined]
    adapter._build_timecode = build


def otio_json(found: Sequence[Moment]) -> str:
    import opentimelineio as otio

    return str(otio.adapters.write_to_string(timeline(found), "otio_json"))
