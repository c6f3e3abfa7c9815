"""Moments cut out of stored videos with PyAV: a frame-accurate clip, a supercut of many spans
(a still is :mod:`oneframe.media.still`). Everything streams (:mod:`oneframe.media.streams`),
so time and memory follow the moment's length, not the film's.

A clip is cut smart: frame-exact at both ends wherever the source's keyframes fall. The
partial groups of pictures at its edges are re-encoded (H.264); the whole groups between are
the source's own packets, copied, where the source allows it (:mod:`oneframe.media.groups`).
The encoder then starts every stretch with a keyframe carrying its parameter sets, and the
track is tagged ``avc3``, so a player takes each stretch's parameters as they come. Anything
else (another codec, size or rate, open groups, a splice that would break decoding order) is
re-encoded whole. Sound is re-encoded (AAC). A clip carries the span's lines as a soft
subtitle track (mov_text).
"""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.core.errors import OneframeError
from oneframe.media.groups import Copy, copy_plan
from oneframe.media.streams import audio, facts, frames, reading, sources, writable

Line = tuple[float, float, str]
"""A line of dialogue: start and end in seconds (of the video it is in), and its text."""
Done = Callable[[float], None]
"""Told the seconds of output written so far; may raise to stop (a cancel)."""
AUDIO_RATE = 48_000
PRESETS = ("veryfast", "superfast")
"""x264's speed for a clip, and for a supercut (many spans: a fifth faster, files a tenth
larger; bench/export.py)."""
LOG = logging.getLogger("oneframe")
MOV_TEXT_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, "
    b"PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, "
    b"StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
    b"MarginL, MarginR, MarginV, Encoding\nStyle: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,"
    b"0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n[Events]\nFormat: Layer, Start, End, Style, "
    b"Name, MarginL, MarginR, MarginV, Effect, Text\n")
"""What FFmpeg's MP4 muxer must be given with a mov_text track."""


@dataclass(frozen=True)
class Span:
    """A stretch of one video to cut: ``start`` to ``end`` seconds, with its lines."""

    video: Path
    start: float
    end: float
    lines: Sequence[Line] = field(default=())


class SpliceError(Exception):
    """Copied and encoded packets would not follow each other in decoding order."""


class Writer:
    """An MP4 being written: H.264 video of one size and rate, AAC audio, mov_text lines;
    spans are appended one after another, each re-timed to follow the last.

    With ``delay`` (frames B-frames are decoded ahead, of the groups to copy), the encoder
    starts every stretch it encodes with a keyframe carrying its parameter sets, and its
    packets are decoded ``delay`` frames ahead, so that copied groups splice between them."""

    def __init__(self, out: Path, size: tuple[int, int], fps: Fraction, lines: bool,
                 done: Done | None = None, delay: int | None = None,
                 preset: str = PRESETS[0]) -> None:
        import av

        self.container = av.open(str(out), "w", format="mp4")
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
        if lines:
            self.text = self.container.add_stream("mov_text")
            self.text.codec_context.subtitle_header = MOV_TEXT_HEADER
            self.text.time_base = Fraction(1, 1000)
        self.frames = 0
        self.copied = 0
        """Frames stream-copied rather than encoded."""
        self.samples = 0
        self.offset = 0.0
        """Where the span being written starts in the output, in seconds."""
        self.done = done
        self._last_dts: int | None = None
        self._resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)

    def span(self, span: Span, copy: Copy | None = None) -> None:
        """Append ``span``: its frames from the one on screen at ``start`` to the last before
        ``end``, fitted to the output's size (the groups of ``copy`` copied, not encoded);
        its sound; its lines."""
        first = self.frames
        if copy is None or self.delay != copy.delay:
            self._encode(span.video, span.start, span.end, at_least_one=True)
        else:
            self._encode(span.video, span.start, copy.first)
            self._copy(span.video, copy)
            self._encode(span.video, copy.last, span.end)
        length = (self.frames - first) / float(self.fps)
        self._sound(span, length)
        for start, end, text in span.lines:
            self._line(self.offset + max(start - span.start, 0.0),
                       self.offset + min(end, span.end) - span.start, text)
        self.offset += length

    def _encode(self, path: Path, start: float, until: float, at_least_one: bool = False) -> None:
        """Encode the frames from the one on screen at ``start`` to the last before ``until``;
        the first a keyframe where packets are to be copied next to it."""
        began = self.frames
        for at, frame in frames(path, start):
            if at >= until - 1e-6 and (self.frames > began or not at_least_one):
                break
            self._picture(frame, key=self.delay is not None and self.frames == began)

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
                    out.stream = self.video
                    self._mux(out, retimed=False)
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
            self.done(self.frames / float(self.fps))

    def _sound(self, span: Span, length: float) -> None:
        """The span's sound, exactly ``length`` seconds of it (silence where it has none)."""
        want = round(length * AUDIO_RATE)
        got = 0
        for chunk in audio(span.video, span.start, span.end, self._resampler, AUDIO_RATE):
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
        import av

        if self.text is None or end <= start:
            return
        body = text.encode("utf-8")[:65_000]
        packet = av.Packet(struct.pack(">H", len(body)) + body)
        packet.stream = self.text
        packet.time_base = Fraction(1, 1000)
        packet.pts = packet.dts = round(start * 1000)
        packet.duration = max(1, round((end - start) * 1000))
        self.container.mux(packet)

    def close(self) -> None:
        for packet in self.video.encode():
            self._mux(packet)
        for packet in self.audio.encode():
            self.container.mux(packet)
        self.container.close()


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


def cut(spans: Sequence[Span], out: Path, done: Done | None = None) -> Path:
    """The spans, in order, as one MP4 at ``out``: a clip (one span) or a supercut (many,
    fitted to the first video's frame size and rate). Written beside ``out`` and moved into
    place when whole; nothing is left on failure."""
    if not spans:
        raise OneframeError("Nothing to cut: no moments were given.")
    writable(out)
    for span in spans:
        if not span.end > span.start:
            raise OneframeError(f"A clip must end after it starts ({span.start:.3f} s to "
                                f"{span.end:.3f} s).")
    first = facts(spans[0].video)
    size = (even(first.width), even(first.height))
    with sources():
        copies = [copy_plan(span, first.fps, size) for span in spans]
        delay = next((c.delay for c in copies if c is not None), None)
        try:
            return _write(spans, copies, out, size, first.fps, delay, done)
        except SpliceError as exc:  # a source that only looked regular: encode it all
            LOG.warning("oneframe: copying groups of pictures failed (%s); encoding them", exc)
            return _write(spans, [None] * len(spans), out, size, first.fps, None, done)


def _write(spans: Sequence[Span], copies: Sequence[Copy | None], out: Path,
           size: tuple[int, int], fps: Fraction, delay: int | None, done: Done | None) -> Path:
    partial = out.with_name(f".{out.name}.part")
    writer = Writer(partial, size, fps, any(s.lines for s in spans), done, delay,
                    PRESETS[len(spans) > 1])
    try:
        for span, copy in zip(spans, copies, strict=True):
            writer.span(span, copy)
        writer.close()
        partial.replace(out)
    except BaseException:
        try:
            writer.container.close()
        finally:
            partial.unlink(missing_ok=True)
        raise
    return out


def frame_number(seconds: float, fps: Fraction) -> int:
    """The frame on screen at ``seconds``."""
    return math.floor(seconds * fps + 1e-6)
