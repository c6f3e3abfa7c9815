"""Moments cut out of stored videos with PyAV: a frame-accurate clip, a supercut of many spans
(a still is :mod:`oneframe.media.still`). Everything streams (:mod:`oneframe.media.streams`),
so time and memory follow the moment's length, not the film's.

The output has one frame rate (a clip's source's, a supercut's first source's, or one asked
for) and every span is converted to it by time: output frame ``k`` of a span shows the source
frame on screen at ``start + k / rate``, so a 24 fps part of a 30 fps supercut plays at its
own speed, a variable-rate source keeps its timing, and a span lasts its length whatever the
source's timestamps do. Sound is cut to each part's exact length (resampled to 48 kHz
stereo, whatever each source has), and each part's lines start where the part does, so
picture, sound and subtitles stay in step over any number of parts.

A clip is cut smart where it can be: the partial groups of pictures at its edges are
re-encoded (H.264); the whole groups between are the source's own packets, copied, where the
source allows it (:mod:`oneframe.media.groups`: same codec, size and constant rate, closed
groups, regular timestamps). The encoder then starts every stretch with a keyframe carrying
its parameter sets, and the track is tagged ``avc3``. Anything else, or a copy the muxer
refuses, is re-encoded whole (and the log says so). Lines go in as a soft subtitle track
(mov_text in MP4 and MOV, ASS in Matroska).
"""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.core.errors import OneframeError
from oneframe.core.printable import printable
from oneframe.media.destination import check, writing
from oneframe.media.groups import Copy, copy_plan
from oneframe.media.spans import Line, Span
from oneframe.media.streams import audio, facts, frames, reading, sources

__all__ = ["CONTAINERS", "Line", "Span", "cut", "frame_number", "frames_in"]

Done = Callable[[float], None]
"""Told the seconds of output written so far; may raise to stop (a cancel)."""
AUDIO_RATE = 48_000
PRESETS = ("veryfast", "ultrafast")
"""x264's speed for a clip, and for a supercut (many spans: 1080p ran 28 % faster than
superfast, files 14 % larger; bench/export.py)."""
CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
"""What a clip can be written as, by suffix. WebM takes only VP8/VP9 and Opus/Vorbis, which
would mean encoding every frame slowly: refused, with the ones above offered."""
COPIES = ("mp4", "mov")
"""Containers whose H.264 track may change parameter sets in-band (``avc3``): only these get
copied groups."""
LOG = logging.getLogger("oneframe")
MOV_TEXT_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, "
    b"PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, "
    b"StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
    b"MarginL, MarginR, MarginV, Encoding\nStyle: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,"
    b"0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n[Events]\nFormat: Layer, Start, End, Style, "
    b"Name, MarginL, MarginR, MarginV, Effect, Text\n")
"""What FFmpeg's muxers must be given with a mov_text or ASS track (an ASS header)."""


class SpliceError(Exception):
    """Copied and encoded packets would not follow each other, or the muxer refused a copied
    packet."""


def frames_in(start: float, end: float, fps: Fraction) -> int:
    """How many frames at ``fps`` a stretch from ``start`` to ``end`` seconds shows: from the
    one on screen at ``start`` to the last before ``end``."""
    return max(0, math.ceil((end - start) * fps - Fraction(1, 10**6)))


class Writer:
    """A video file being written: H.264 of one size and rate, AAC audio, lines as subtitles;
    spans are appended one after another, each converted to the output's rate by time.

    With ``delay`` (frames B-frames are decoded ahead, of the groups to copy), the encoder
    starts every stretch it encodes with a keyframe carrying its parameter sets, and its
    packets are decoded ``delay`` frames ahead, so that copied groups splice between them."""

    def __init__(self, out: Path, container: str, size: tuple[int, int], fps: Fraction,
                 lines: bool, done: Done | None = None, delay: int | None = None,
                 preset: str = PRESETS[0]) -> None:
        import av

        self.container = av.open(str(out), "w", format=container)
        self.fps = fps
        self.video = self.container.add_stream("libx264", rate=fps)
        self.video.width, self.video.height = size
        self.video.pix_fmt = "yuv420p"
        self.video.options = {"crf": "20", "preset": preset}
        self.delay = delay
        if delay is not None:  # every packet out at once; parameter sets in every keyframe
            self.video.options |= {"tune": "zerolatency", "forced-idr": "1",
                                   "x264-params": "repeat-headers=1"}
            self.video.codec_context.codec_tag = "avc3"  # parameter sets may change in-band
        self.audio = self.container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        self.text = None
        self.ass = container == "matroska"
        if lines:
            self.text = self.container.add_stream("ass" if self.ass else "mov_text")
            self.text.codec_context.subtitle_header = MOV_TEXT_HEADER
            self.text.time_base = Fraction(1, 1000)
        self.frames = 0
        self.copied = 0
        """Frames stream-copied rather than encoded."""
        self.samples = 0
        self.said = 0
        """Lines written (and where the last ends, in ms: ``_said_until``)."""
        self._said_until = 0
        self.done = done
        self._last_dts: int | None = None

    def span(self, span: Span, copy: Copy | None = None, count: int | None = None) -> None:
        """Append ``span``: as many pictures as it lasts at the output's rate (within a
        frame; the groups of ``copy`` copied, not encoded), its sound, its lines."""
        first = self.frames
        offset = first / self.fps
        total = count or max(frames_in(span.start, span.end, self.fps), 1)
        if copy is None or self.delay != copy.delay:
            self._timed(span.video, span.start, total)
        else:
            self._timed(span.video, span.start, frames_in(span.start, copy.first, self.fps))
            self._copy(span.video, copy)
            self._timed(span.video, copy.last, first + total - self.frames)
        length = (self.frames - first) / self.fps
        self._sound(span, float(length))
        for start, end, text in span.lines:
            self._line(float(offset) + max(start - span.start, 0.0),
                       float(offset) + min(end, span.end) - span.start, text)

    def _timed(self, path: Path, start: float, count: int) -> None:
        """``count`` pictures from ``start`` on at the output's rate: frame ``k`` shows the
        source's frame on screen at ``start + k / rate``; the first a keyframe where packets
        are to be copied next to it."""
        if count <= 0:
            return
        source = frames(path, start)
        held = next(source, None)
        if held is None:
            raise OneframeError(f"{path.name} has no picture at {start:.3f} s.")
        upcoming = next(source, None)
        for k in range(count):
            at = start + k / self.fps
            while upcoming is not None and upcoming[0] <= at + 1e-6:
                held, upcoming = upcoming, next(source, None)
            self._picture(held[1], key=self.delay is not None and k == 0)

    def _picture(self, frame: Any, key: bool = False) -> None:
        import av

        width, height = self.video.width, self.video.height
        if (frame.width, frame.height) != (width, height):
            frame = av.VideoFrame.from_ndarray(
                _fit(frame.to_ndarray(format="rgb24"), width, height), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts, frame.time_base = self.frames, 1 / self.fps
        frame.pict_type = av.video.frame.PictureType.I if key else \
            av.video.frame.PictureType.NONE
        self.frames += 1
        for packet in self.video.encode(frame):
            self._mux(packet)
        self._tell()

    def _copy(self, path: Path, copy: Copy) -> None:
        """Mux the packets of ``copy``'s groups as they are, re-timed to follow what was
        written (made Annex B with their parameter sets in-band, as the encoder's are)."""
        import av
        from av.bitstream import BitStreamFilterContext

        with reading(path) as container:
            stream = container.streams.video[0]
            base = stream.time_base
            assert base is not None
            annex_b = BitStreamFilterContext("h264_mp4toannexb", stream)
            frame = 1 / (self.fps * base)
            first = round(copy.first / base)
            container.seek(first, stream=stream, backward=True)
            began, taken = self.frames, 0
            for packet in container.demux(stream):
                if packet.pts is None or packet.dts is None or packet.dts < first - \
                        copy.delay * frame - 0.5:
                    continue
                if taken >= copy.frames:
                    break
                shown = began + round((packet.pts - first) / frame)
                decoded = began + round((packet.dts - first) / frame)
                for out in annex_b.filter(packet):
                    out.pts, out.dts, out.time_base = shown, decoded, 1 / self.fps
                    out.duration = 1  # one frame of the output, not the source's ticks
                    out.stream = self.video
                    try:
                        self._mux(out, retimed=False)
                    except av.FFmpegError as exc:  # e.g. timestamps the muxer won't take
                        raise SpliceError(f"the muxer refused a copied packet ({exc})") from exc
                taken += 1
                self.frames += 1
                self.copied += 1
                self._tell()
        if taken != copy.frames:
            raise SpliceError(f"copied {taken} of {copy.frames} frames")

    def _mux(self, packet: Any, retimed: bool = True) -> None:
        """Mux a video packet, decoded ``delay`` frames ahead of showing where groups are
        copied; SpliceError if it would be decoded before the last one."""
        if self.delay is not None and retimed and packet.pts is not None:
            packet.dts = packet.pts - self.delay
        if self._last_dts is not None and packet.dts is not None and \
                packet.dts <= self._last_dts:
            raise SpliceError(f"decoding order broken at {packet.dts}")
        self._last_dts = packet.dts
        self.container.mux(packet)

    def _tell(self) -> None:
        if self.done is not None and self.frames % 12 == 0:
            self.done(float(self.frames / self.fps))

    def _sound(self, span: Span, length: float) -> None:
        """The span's sound, exactly ``length`` seconds of it (silence where it has none),
        resampled from whatever rate and layout its source has."""
        import av

        want = round(length * AUDIO_RATE)
        got = 0
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        for chunk in _chunks(audio(span.video, span.start, span.end, resampler, AUDIO_RATE),
                             resampler):
            take = chunk[:, :want - got]
            self._samples(take)
            got += take.shape[1]
            if got >= want:
                break
        if got < want:
            self._samples(np.zeros((2, want - got), np.float32))

    def _samples(self, samples: np.ndarray) -> None:
        import av

        for at in range(0, samples.shape[1], 1024):
            piece = np.ascontiguousarray(samples[:, at:at + 1024], np.float32)
            frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = AUDIO_RATE, self.samples
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.samples += piece.shape[1]
            for packet in self.audio.encode(frame):
                self.container.mux(packet)

    def _line(self, start: float, end: float, text: str) -> None:
        """A subtitle from ``start`` to ``end`` seconds of the output (none where it would be
        empty or start before the last one ended)."""
        import av

        begin, finish = round(start * 1000), round(end * 1000)
        if self.text is None or finish <= max(begin, self._said_until):
            return
        begin = max(begin, self._said_until)
        body = _ass_text(text, self.said) if self.ass else _mov_text(text)
        packet = av.Packet(body)
        packet.stream = self.text
        packet.time_base = Fraction(1, 1000)
        packet.pts = packet.dts = begin
        packet.duration = finish - begin
        self.container.mux(packet)
        self.said += 1
        self._said_until = finish

    def close(self) -> None:
        for packet in self.video.encode():
            self._mux(packet)
        for packet in self.audio.encode():
            self.container.mux(packet)
        if self.text is not None and not self.ass:  # the text track as long as the cut
            self._line(self._said_until / 1000, float(self.frames / self.fps), "")
        self.container.close()


def _chunks(samples: Iterator[np.ndarray], resampler: Any) -> Iterator[np.ndarray]:
    """``samples``, then what ``resampler`` still holds."""
    yield from samples
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(2, -1)


def _mov_text(text: str) -> bytes:
    body = printable(text).encode("utf-8")[:65_000]
    return struct.pack(">H", len(body)) + body


def _ass_text(text: str, order: int) -> bytes:
    """A Matroska ASS event: read order, layer, style and margins, then the text (its line
    breaks as ASS writes them, braces kept from being read as overrides)."""
    clean = "\\N".join(" ".join(line.split()) for line in printable(text).splitlines()
                        if line.strip())
    clean = clean.replace("{", "(").replace("}", ")")
    return f"{order},0,Default,,0,0,0,,{clean}".encode()[:65_000]


def _fit(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """``rgb`` scaled to fit ``width`` x ``height``, letterboxed in black."""
    import cv2

    scale = min(width / rgb.shape[1], height / rgb.shape[0])
    w, h = max(2, int(rgb.shape[1] * scale)), max(2, int(rgb.shape[0] * scale))
    canvas = np.zeros((height, width, 3), np.uint8)
    x, y = (width - w) // 2, (height - h) // 2
    canvas[y:y + h, x:x + w] = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    return canvas


def even(n: int) -> int:
    """H.264 in 4:2:0 wants even sides."""
    return max(2, n - n % 2)


def cut(spans: Sequence[Span], out: Path, done: Done | None = None,
        fps: Fraction | None = None, replace: bool = False) -> Path:
    """The spans, in order, as one video at ``out`` (MP4, MOV or Matroska by its suffix): a
    clip (one span) or a supercut (many, fitted to the first video's frame size, at ``fps`` or
    the first video's rate). Written to a file of its own beside ``out`` and moved into place
    when whole (an existing ``out`` only if ``replace``); nothing is left on failure."""
    if not spans:
        raise OneframeError("Nothing to cut: no moments were given.")
    check(out, list(CONTAINERS), "clip", replace)
    for span in spans:
        if not (math.isfinite(span.start) and math.isfinite(span.end)
                and span.end > span.start >= 0):
            raise OneframeError(f"A clip must end after it starts ({span.start:.3f} s to "
                                f"{span.end:.3f} s).")
    first = facts(spans[0].video)
    size = (even(first.width), even(first.height))
    rate = fps or first.fps
    container = CONTAINERS[out.suffix.lower()]
    with sources(), writing(out, replace) as partial:
        copies = [copy_plan(span, rate, size) if container in COPIES else None
                  for span in spans]
        delay = next((c.delay for c in copies if c is not None), None)
        try:
            _write(spans, copies, partial, container, size, rate, delay, done)
        except SpliceError as exc:  # a source that only looked regular: encode it all
            LOG.warning("oneframe: copying groups of pictures into %s failed (%s); encoding "
                        "them instead", out.name, exc)
            _write(spans, [None] * len(spans), partial, container, size, rate, None, done)
    return out


def _write(spans: Sequence[Span], copies: Sequence[Copy | None], partial: Path,
           container: str, size: tuple[int, int], fps: Fraction, delay: int | None,
           done: Done | None) -> None:
    writer = Writer(partial, container, size, fps, any(s.lines for s in spans), done, delay,
                    PRESETS[len(spans) > 1])
    try:
        for span, copy, count in zip(spans, copies, _counts(spans, fps), strict=True):
            writer.span(span, copy, count)
        writer.close()
    except BaseException:
        writer.container.close()
        raise


def _counts(spans: Sequence[Span], fps: Fraction) -> list[int]:
    """Frames each span gets: a clip, all it shows (from the frame on screen at its start to
    the last before its end); the parts of a supercut, their share of the whole, rounded as
    they go, so that the cut lasts the spans' sum within a frame however many they are."""
    if len(spans) == 1:
        return [max(frames_in(spans[0].start, spans[0].end, fps), 1)]
    counts, made, elapsed = [], 0, Fraction(0)
    for span in spans:
        elapsed += Fraction(span.end - span.start)
        count = max(round(elapsed * fps) - made, 1)
        counts.append(count)
        made += count
    return counts


def frame_number(seconds: float, fps: Fraction) -> int:
    """The frame on screen at ``seconds``."""
    return math.floor(seconds * fps + 1e-6)
