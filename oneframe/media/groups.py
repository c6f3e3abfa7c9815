"""Which groups of pictures of a span a clip can copy from its source as they are: whole,
closed groups of 8-bit 4:2:0 H.264 at the output's size and constant rate. Reads packets,
decodes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from oneframe.media.spans import Span
from oneframe.media.streams import reading


@dataclass(frozen=True)
class Copy:
    """The groups of pictures of a span that can be copied as they are: from keyframe
    ``first`` (seconds) up to keyframe ``last``, ``frames`` pictures decoded ``delay`` frames
    ahead of their showing (B-frames)."""

    first: float
    last: float
    frames: int
    delay: int


def copy_plan(span: Span, fps: Fraction, size: tuple[int, int]) -> Copy | None:
    """Which whole groups of pictures of ``span`` can be stream-copied into an H.264 output of
    ``fps`` and ``size``: None unless the source is 8-bit 4:2:0 H.264 of that size and rate,
    at a constant rate, with closed groups (no picture shown before a keyframe is decoded
    after it) and at least one whole group inside the span. Reads packets, decodes nothing."""

    with reading(span.video) as container:
        stream = container.streams.video[0]
        context = stream.codec_context
        base = stream.time_base
        if (context.name != "h264" or context.pix_fmt not in ("yuv420p", "yuvj420p")
                or (context.width, context.height) != size or base is None
                or Fraction(stream.average_rate or 0) != fps):
            return None
        prefix = length_size(context.extradata)
        container.seek(max(0, int(span.start / base)), stream=stream, backward=True)
        packets: list[Packet] = []
        for packet in container.demux(stream):
            if packet.pts is None or packet.dts is None:
                continue
            packets.append((packet.pts, packet.dts,
                            packet.is_keyframe and instantaneous(bytes(packet), prefix)))
            if packet.dts * base > span.end + 1:  # past the span, and any late B-frames
                break
    return copyable(packets, span.start, span.end, fps, base)


Packet = tuple[int, int, bool]
"""A video packet's showing time, decoding time (in the stream's ticks) and whether it is an
instantaneous decoder refresh (a keyframe after which nothing refers to what came before)."""


def instantaneous(data: bytes, length_size: int | None) -> bool:
    """Whether an H.264 packet holds an IDR slice: its NAL units prefixed by their length in
    ``length_size`` bytes (as MP4 and Matroska store them, their ``avcC`` says how many), or
    by start codes (``None``). An open group's keyframe is a plain I slice: later pictures may
    refer across it, and FFmpeg's Annex B filter gives it no parameter sets, so it can't
    start a copied stretch."""
    if length_size is None:
        return any(part and part[0] & 0x1F == 5 for part in data.split(b"\0\0\1")[1:])
    at = 0
    while at + length_size < len(data):
        size = int.from_bytes(data[at:at + length_size], "big")
        if data[at + length_size] & 0x1F == 5:
            return True
        at += length_size + max(size, 1)
    return False


def length_size(extradata: bytes | None) -> int | None:
    """How many bytes prefix each NAL unit, from an ``avcC`` record (None: start codes)."""
    if extradata and len(extradata) > 4 and extradata[0] == 1:
        return (extradata[4] & 3) + 1
    return None


def copyable(packets: Sequence[Packet], start: float, end: float, fps: Fraction,
             base: Fraction) -> Copy | None:
    """The whole groups of pictures among ``packets`` (in decoding order) between ``start``
    and ``end`` seconds that can be copied: None where there are fewer than two keyframes
    inside, a picture shown between them is decoded outside them (an open group), the
    rate is not constant, the pictures are not decoded a frame apart in order (timestamps
    that jump, as in a file looped by stream copy) or the keyframes are decoded different
    distances ahead."""
    frame = 1 / (fps * base)  # a frame's length in the stream's ticks
    keys = [i for i, (pts, _, key) in enumerate(packets)
            if key and start - 1e-6 <= pts * base <= end + 1e-6]
    if len(keys) < 2:
        return None
    first, last = keys[0], keys[-1]
    pts_first, pts_last = packets[first][0], packets[last][0]
    inside = sorted(p[0] for p in packets[first:last])
    shown = sorted(p[0] for p in packets if pts_first <= p[0] < pts_last)
    steps = [(pts - pts_first) / frame for pts in inside]
    delays = {(packets[i][0] - packets[i][1]) / frame for i in (first, last)}
    decoded = [p[1] for p in packets[first:last + 1]]
    if (inside != shown or any(abs(step - n) > 0.01 for n, step in enumerate(steps))
            or len(delays) != 1 or any(b - a < frame - 0.01 for a, b in zip(
                decoded, decoded[1:], strict=False))):  # decoded a frame apart, in order
        return None
    delay = delays.pop()
    if abs(delay - round(delay)) > 0.01 or delay < 0:
        return None
    return Copy(float(pts_first * base), float(pts_last * base), len(inside), round(delay))
