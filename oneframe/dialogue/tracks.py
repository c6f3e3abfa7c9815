"""Subtitle tracks inside a video file (MKV, MP4, MOV, WebM), read with PyAV.

Text tracks (SubRip, ASS/SSA, WebVTT, mov_text) become cues directly: FFmpeg hands every one of
them over as ASS dialogue, which is cleaned like an ASS file. Bitmap tracks (PGS, VobSub, DVB)
are pictures of text: each is read with the OCR that reads burned-in subtitles.

A track is chosen as site captions are: the language asked for, then English, then any; within
a language a full track before a "forced" one (those carry only the foreign-language lines),
and text before pictures. A track without a language tag is of unknown language, not English.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from oneframe.core.errors import CaptionError
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.dialogue.captions import clean_cues, max_cues, too_many_cues
from oneframe.dialogue.cues import Cue, RawCue
from oneframe.dialogue.subformats import DRAWING as _DRAWING
from oneframe.dialogue.subformats import is_dialogue

BITMAP_CODECS = {"hdmv_pgs_subtitle": "PGS", "pgssub": "PGS", "dvd_subtitle": "VobSub",
                 "dvdsub": "VobSub", "dvb_subtitle": "DVB", "dvbsub": "DVB", "xsub": "XSUB"}
_FORCED = 0x40  # AV_DISPOSITION_FORCED
UNKNOWN = "unknown"
"""The codec of a track FFmpeg can't name (it gives no decoder at all): listed, never read."""
MAX_SHOWN = 8.0
"""Seconds a subtitle without its own end (some PGS streams) is taken to show at most."""


@dataclass(frozen=True)
class Track:
    """One subtitle stream of a file."""

    number: int
    """1-based, among the file's subtitle tracks (what ``--subtitle-track`` takes)."""
    index: int
    """The stream's index in the container."""
    codec: str
    language: str | None
    """A BCP 47 tag (``en``, ``pt-BR``), None where the file doesn't say."""
    title: str | None
    forced: bool

    @property
    def bitmap(self) -> bool:
        return self.codec in BITMAP_CODECS

    def label(self) -> str:
        """How the track is named to users: "English subtitle track", "Spanish (forced)..."."""
        name = language_name(self.language) if self.language else "Subtitle track"
        kind = "subtitle track" if self.language else ""
        forced = " (forced)" if self.forced else ""
        return f"{name}{forced} {kind}".strip() if self.language else f"{name}{forced}"

    def describe(self) -> str:
        """The label with what tells tracks apart: number, title, codec."""
        title = f" “{self.title}”" if self.title else ""
        return f"#{self.number} {self.label()}{title} ({BITMAP_CODECS.get(self.codec, self.codec)})"

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "index": self.index, "codec": self.codec,
                "language": self.language, "title": self.title, "forced": self.forced}


def language_tag(code: str | None) -> str | None:
    """A container's language code (ISO 639-2 ``eng``, ``ger``...) as a BCP 47 tag (``en``);
    None for none or ``und``."""
    if not code or code.lower() in ("und", "unk", "mis", "zxx", "none"):
        return None
    import langcodes

    try:
        return langcodes.standardize_tag(code)
    except (ValueError, LookupError):
        return code.lower()


def language_name(tag: str) -> str:
    import langcodes

    try:
        return langcodes.Language.get(tag).display_name()
    except (ValueError, LookupError):
        return tag


def list_tracks(path: Path | BinaryIO) -> list[Track]:
    """The subtitle tracks of a video file (a path, or a file object such as an upload), in
    stream order; none if it can't be read."""
    import av

    try:
        with av.open(str(path) if isinstance(path, Path) else path) as container:
            streams = list(container.streams.subtitles)
            return [Track(n, s.index, s.codec_context.name if s.codec_context else UNKNOWN,
                          language_tag(s.language or s.metadata.get("language")),
                          s.metadata.get("title") or None,
                          bool(int(getattr(s, "disposition", 0) or 0) & _FORCED))
                    for n, s in enumerate(streams, 1)]
    except (av.FFmpegError, OSError, ValueError):
        return []


def _same(tag: str | None, want: str) -> bool:
    return tag is not None and tag.lower().split("-")[0] == want.lower().split("-")[0]


def choose_track(tracks: list[Track], lang: str, number: int | None = None) -> Track | None:
    """The track to read: ``number`` if given (CaptionError if there is no such track), else
    the language asked for, English, then any; full before forced, text before pictures."""
    if number is not None:
        found = [t for t in tracks if t.number == number]
        if not found:
            raise CaptionError(f"This video has no subtitle track {number}; it has "
                               f"{len(tracks) or 'none'}" + (": " + ", ".join(
                                   t.describe() for t in tracks) if tracks else "") + ".")
        return found[0]
    for matches in (lambda t: _same(t.language, lang), lambda t: _same(t.language, "en"),
                    lambda t: True):
        candidates = [t for t in tracks if matches(t) and t.codec != UNKNOWN]
        if candidates:
            return min(candidates, key=lambda t: (t.forced, t.bitmap, t.number))
    return None


def read_track(path: Path, track: Track, reader: Any = None,
               progress: Progress = no_progress, until: float | None = None) -> list[RawCue]:
    """The raw cues of a track; a bitmap track's pictures are read with ``reader`` (RapidOCR).
    Pictures that start after ``until`` (the video's end) are skipped unread; ``progress`` is
    told the time reached after every packet.

    CaptionError if the track can't be decoded, holds nothing, or more than
    ``$ONEFRAME_MAX_CUES`` lines.
    """
    import av

    cues: list[RawCue] = []
    limit, name = max_cues(), f"Subtitle track {track.describe()}"
    if track.codec == UNKNOWN:
        raise CaptionError(f"{name} is in a format FFmpeg doesn't know, so it can't be read; the "
                           "video was added without it.")
    try:
        with av.open(str(path)) as container:
            stream = container.streams[track.index]
            offset = (container.start_time or 0) / 1e6  # where the file's clock starts: 0 s
            total = int(until or 0)
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                start = max(float(packet.pts * packet.time_base) - offset, 0.0)
                progress(Stage.CAPTIONS, min(int(start), total), total)
                if until is not None and start > until and track.bitmap:
                    continue  # no OCR for pictures after the end (text is counted, then left)
                shown = float(packet.duration * packet.time_base) if packet.duration else 0.0
                if track.codec in PGS_CODECS and pgs_too_large(bytes(packet)):
                    continue  # FFmpeg would allocate the whole picture to decode it
                for subtitle in packet.decode():
                    cues.extend(_raw_cues(subtitle, start, shown, reader))
                if len(cues) > limit:
                    raise too_many_cues(name, len(cues))
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise CaptionError(f"Subtitle track {track.describe()} can't be decoded ({exc}); the "
                           "video was added without it.") from exc
    cues = _close_open_ends(cues)
    if not cues:
        raise CaptionError(f"Subtitle track {track.describe()} holds no lines.")
    return cues


def _raw_cues(subtitle: Any, start: float, shown: float, reader: Any) -> list[RawCue]:
    end = start + shown if shown > 0 else -1.0  # -1: until the next one (closed below)
    if hasattr(subtitle, "dialogue"):
        # "ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text", as in an ASS file
        fields = subtitle.ass.decode("utf-8", "replace").split(",", 8)
        if len(fields) == 9 and not is_dialogue(fields[2], fields[7]):
            return []
        text = _DRAWING.sub("", subtitle.dialogue.decode("utf-8", "replace"))
        return [RawCue(start, end, text)] if text.strip() else []
    if reader is None:
        return []
    from oneframe.dialogue.ocr import read_band

    image = bitmap_image(subtitle)
    if image is None:
        return []
    text = read_band(reader, image).text
    return [RawCue(start, end, text)] if text else []


NO_PALETTE = np.array([0, 255, 0, 128], np.uint8)
"""Greys for colour indices 0-3 where a stream gives no palette (VobSub's lives in the DVD's IFO
file): background and outline dark, the letters light."""


MAX_BITMAP_PIXELS = 2_100_000
"""A subtitle picture larger than this (a 1080p one, 2.07 megapixels, is not) is read at a
lower resolution: every k-th pixel of every k-th row, before any copy (a 16000x16000 picture
took 2.4 GB and 52 s)."""


PGS_CODECS = ("hdmv_pgs_subtitle", "pgssub")
MAX_DECODED_PIXELS = 16_000_000
"""A PGS picture declaring more than this (4K is 8.3 megapixels) is never decoded at all."""


def pgs_too_large(data: bytes) -> bool:
    """Whether a PGS packet holds a picture over ``MAX_DECODED_PIXELS``, read from its object
    segment's header (type 0x15: id, version, sequence flags, length, width, height)."""
    at = 0
    while at + 3 <= len(data):
        kind, size = data[at], int.from_bytes(data[at + 1:at + 3], "big")
        body = data[at + 3:at + 3 + size]
        if kind == 0x15 and len(body) >= 11 and body[3] & 0x80:  # an object's first part
            width, height = int.from_bytes(body[7:9], "big"), int.from_bytes(body[9:11], "big")
            if width * height > MAX_DECODED_PIXELS:
                return True
        at += 3 + size
    return False


def bitmap_image(subtitle: Any) -> np.ndarray | None:
    """A bitmap subtitle drawn light on dark, padded, as BGR for OCR; at most
    ``MAX_BITMAP_PIXELS``, memory in proportion to that, not to the picture."""
    planes = getattr(subtitle, "planes", None)
    width, height = getattr(subtitle, "width", 0), getattr(subtitle, "height", 0)
    if not planes or not width or not height:
        return None
    indices = np.frombuffer(planes[0], np.uint8)  # a view of FFmpeg's buffer, not a copy
    indices = indices[:len(indices) // height * height].reshape(height, -1)[:, :width]
    step = max(1, int(np.ceil(np.sqrt(width * height / MAX_BITMAP_PIXELS))))
    indices = np.ascontiguousarray(indices[::step, ::step])
    if len(planes) > 1:
        palette = np.frombuffer(planes[1], np.uint8).reshape(-1, 4).astype(np.float32)  # RGBA
        lut = (palette[:, :3].mean(axis=1) * palette[:, 3] / 255.0).astype(np.uint8)
        grey = lut[np.minimum(indices, len(lut) - 1)]
    else:
        grey = NO_PALETTE[np.minimum(indices, 3)]
    return np.pad(np.repeat(grey[..., None], 3, axis=2), ((16, 16), (16, 16), (0, 0)))


def _close_open_ends(cues: list[RawCue]) -> list[RawCue]:
    """A cue that didn't say when it ends lasts until the next begins (at most MAX_SHOWN);
    a bitmap stream's empty "clear" packets only end the one before."""
    closed = []
    ordered = sorted(cues, key=lambda c: c.start)
    for i, cue in enumerate(ordered):
        end = cue.end
        if end < 0:
            following = ordered[i + 1].start if i + 1 < len(ordered) else cue.start + MAX_SHOWN
            end = min(following, cue.start + MAX_SHOWN)
        closed.append(RawCue(cue.start, max(end, cue.start), cue.raw))
    return closed


def track_cues(path: Path, track: Track, reader: Any = None,
               progress: Progress = no_progress, until: float | None = None) -> list[Cue]:
    """The cleaned cues of a track (as a caption file's are)."""
    return clean_cues(read_track(path, track, reader, progress, until))
