"""Sources that break naive cutters, made from bar-code videos (:func:`media.barcode_video`):
a file looped by stream copy, one whose timestamps start before zero, one at a variable
frame rate; and a table of what each shows when, read by decoding it whole."""

from __future__ import annotations

import bisect
from fractions import Fraction
from pathlib import Path

from media import barcode_picture, frame_number_of


def looped(source: Path, out: Path, times: int = 4, overlap: float = 0.05) -> Path:
    """What ``ffmpeg -stream_loop N -c copy`` makes of ``source``: its packets again and again,
    each pass shifted by the input's length (its longest stream's end) less ``overlap``, and
    decoding times that would run backwards at the joins pushed on as FFmpeg's muxer pushes
    them: timestamps that jump at every join."""
    import av

    with av.open(str(source)) as given:
        packets, ends = [], {}
        for p in given.demux():
            if p.pts is None or p.dts is None:
                continue
            base = p.stream.time_base
            packets.append((p.stream.index, p.pts, p.dts, p.duration, bytes(p), p.is_keyframe))
            ends[p.stream.index] = max(ends.get(p.stream.index, 0), (p.pts + p.duration) * base)
        length = max(ends.values()) - Fraction(overlap).limit_denominator(1000)
        with av.open(str(out), "w") as written:
            streams = {s.index: written.add_stream_from_template(s) for s in given.streams}
            last: dict[int, int] = {}
            for n in range(times):
                for index, pts, dts, duration, data, key in packets:
                    base = given.streams[index].time_base
                    shift = round(length * n / base)
                    packet = av.Packet(data)
                    packet.stream, packet.time_base = streams[index], base
                    packet.pts, packet.dts, packet.duration = pts + shift, dts + shift, duration
                    if index in last and packet.dts <= last[index]:
                        packet.dts = last[index] + 1
                        packet.pts = max(packet.pts, packet.dts)
                    last[index] = packet.dts
                    packet.is_keyframe = key
                    written.mux(packet)
    return out


def shifted(source: Path, out: Path, seconds: float) -> Path:
    """``source`` remuxed with every timestamp ``seconds`` earlier: its first pictures and
    sound before zero (an MP4 says so with an edit list)."""
    import av

    with av.open(str(source)) as given, av.open(str(out), "w") as written:
        streams = {s.index: written.add_stream_from_template(s) for s in given.streams}
        for p in given.demux():
            if p.pts is None or p.dts is None:
                continue
            shift = round(Fraction(seconds).limit_denominator(1000) / p.stream.time_base)
            p.pts, p.dts = p.pts - shift, p.dts - shift
            p.stream = streams[p.stream.index]
            written.mux(p)
    return out


def variable_rate(out: Path, frames: int, size: tuple[int, int] = (160, 90)) -> Path:
    """An H.264 MP4 of bar-code frames shown for 1, 2 or 3 ticks of 1/30 s in turn: a variable
    frame rate (about 15 frames a second)."""
    import av

    width, height = size
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 30)
        stream.codec_context.time_base = Fraction(1, 30)
        stream.options = {"preset": "ultrafast", "crf": "18", "g": "30", "bf": "0"}
        tick = 0
        for n in range(frames):
            frame = av.VideoFrame.from_ndarray(barcode_picture(n, width, height), format="rgb24")
            frame.pts, frame.time_base = tick, Fraction(1, 30)
            tick += 1 + n % 3
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


class Shown:
    """What a video shows when: each decoded frame's time and bar-code number."""

    def __init__(self, path: Path) -> None:
        import av

        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            pairs = sorted((float(f.pts * stream.time_base), frame_number_of(
                f.to_ndarray(format="rgb24"))) for f in container.decode(stream)
                if f.pts is not None)
        self.times = [t for t, _ in pairs]
        self.numbers = [n for _, n in pairs]

    def at(self, seconds: float) -> int:
        """The number of the frame on screen at ``seconds``."""
        return self.numbers[max(0, bisect.bisect_right(self.times, seconds + 1e-6) - 1)]

    def near(self, seconds: float, number: int, frames: int = 1) -> bool:
        """Whether ``number`` is on screen within ``frames`` frames of ``seconds``."""
        at = max(0, bisect.bisect_right(self.times, seconds + 1e-6) - 1)
        return number in self.numbers[max(0, at - frames):at + frames + 1]
