"""Taking moments out: a still, a 10-s clip and a supercut of 20 hits, from the middle of a
two-hour film, with time and peak memory (each in a process of its own).

Usage: .venv/bin/python bench/export.py [--sizes 854x480 1920x1080] [--hours 2]

A mixed supercut joins 20 spans taking turns between a 24 fps film and a 30 fps one (each at
the size and length of the row), at 24 fps: every 30 fps part converted by time.

The films are H.264 (x264 veryfast, a keyframe every 2 s, B-frames, as downloads and camera
files are) with AAC sound, 24 fps, of moving textured scenes. A ten-minute film is encoded
once and repeated (packets copied, re-timed) to two hours, so the long film costs seconds to
make; its ten-minute start is measured too, to show memory flat in the film's length. The
clip starts between keyframes, so its edges are re-encoded and its middle copied; the
supercut's 20 spans (2.5 s each, padded 0.5 s either side, 3.5 s) are spread over the film.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from common import OUT, ROOT, cpu_summary, table

FPS = 24
CHILD = """
import json, sys, time
from pathlib import Path
from oneframe.media.cut import Span, cut
from oneframe.media.groups import copy_plan
from oneframe.media.still import still
from oneframe.media.streams import facts
film, op, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
other = Path(sys.argv[4]) if len(sys.argv) > 4 else film
length = facts(film).seconds
middle = length / 2 + 0.37  # between keyframes
started = time.perf_counter()
copied = 0
if op == "still":
    still(film, middle, out)
elif op == "clip":
    span = Span(film, middle, middle + 10, [(middle + 1, middle + 3, "A line.")])
    info = facts(film)
    plan = copy_plan(span, info.fps, (info.width, info.height))
    copied = plan.frames if plan else 0
    cut([span], out)
else:
    step = length / 21
    spans = [Span(film if i % 2 == 0 or op == "supercut" else other, step * (i + 1) - 0.5,
                  step * (i + 1) + 3.0, [(step * (i + 1), step * (i + 1) + 2.5,
                                          f"Line {i + 1}.")]) for i in range(20)]
    cut(spans, out)
seconds = time.perf_counter() - started
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "copied": copied}))
"""


def base_film(size: tuple[int, int], minutes: float = 10, fps: int = FPS) -> Path:
    """Ten minutes of H.264 at ``size``: textured scenes of 4 s with moving shapes, a tone."""
    import av

    path = OUT / f"export-{size[0]}x{size[1]}-{minutes:g}min" \
        f"{'' if fps == FPS else f'-{fps}fps'}.mp4"
    if path.is_file():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    width, height = size
    rng = np.random.default_rng(0)
    partial = path.with_suffix(".part.mp4")
    with av.open(str(partial), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23", "g": str(2 * fps),
                         "keyint_min": str(2 * fps), "sc_threshold": "0"}
        audio = container.add_stream("aac", rate=48000, layout="stereo")
        frames = int(minutes * 60 * fps)
        ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
        for i in range(frames):
            if i % (4 * fps) == 0:
                a, b = rng.integers(0, 255, (2, 3)).astype(np.float32)
                noise = rng.integers(0, 30, (height, width, 1), dtype=np.uint8)
                scene = (a * (1 - ramp) + b * ramp).astype(np.uint8) + noise
                box = rng.integers(0, 255, 3).astype(np.uint8)
            picture = np.roll(scene, i % (4 * fps) * 3, axis=1)
            x = (i * 7) % (width - height // 4)
            picture[height // 3:height // 3 + height // 4, x:x + height // 4] = box
            for packet in video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        t = np.arange(int(minutes * 60 * 48000)) / 48000
        tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        for at in range(0, len(tone), 1024):
            chunk = av.AudioFrame.from_ndarray(np.stack([tone[at:at + 1024]] * 2),
                                               format="fltp", layout="stereo")
            chunk.sample_rate, chunk.pts = 48000, at
            for packet in audio.encode(chunk):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    partial.replace(path)
    return path


def repeated(base: Path, hours: float) -> Path:
    """``base`` played over and over to ``hours``: its packets copied, re-timed."""
    import av

    path = base.with_name(base.stem.replace("10min", f"{hours:g}h") + ".mp4")
    if path.is_file():
        return path
    partial = path.with_suffix(".part.mp4")
    with av.open(str(base)) as source, av.open(str(partial), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in (source.streams.video[0],
                                                                      source.streams.audio[0])}
        ends = {index: 0 for index in streams}  # each stream's own length, in its ticks
        starts = dict(ends)
        for packet in source.demux(*source.streams):
            if packet.pts is not None and packet.stream.index in ends:
                index = packet.stream.index
                ends[index] = max(ends[index], packet.pts + (packet.duration or 0))
                starts[index] = min(starts[index], packet.pts)
        ends = {index: end - starts[index] for index, end in ends.items()}
        video = source.streams.video[0]
        times = round(hours * 3600 / float(ends[video.index] * video.time_base))
        for n in range(times):
            source.seek(0)
            for packet in source.demux(*source.streams):
                if packet.dts is None or packet.stream.index not in streams:
                    continue
                shift = n * ends[packet.stream.index]
                packet.pts += shift
                packet.dts += shift
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    partial.replace(path)
    return path


def measure(film: Path, op: str, other: Path | None = None) -> dict:
    out = OUT / f"export-out.{'png' if op == 'still' else 'mp4'}"
    out.unlink(missing_ok=True)
    run = subprocess.run([sys.executable, "-c", CHILD, str(film), op, str(out),
                          *([str(other)] if other else [])],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    if run.returncode:
        raise SystemExit(run.stderr)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    out.unlink(missing_ok=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["854x480", "1920x1080"])
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args()
    print(cpu_summary())
    print("precision: none (decoding and x264 encoding; no model runs)\n")
    rows = []
    targets = {"still": 0.5, "clip": 3.0, "supercut": 30.0, "mixed": 30.0}
    labels = {"still": "still (PNG)", "clip": "10-s clip", "supercut": "supercut, 20 hits",
              "mixed": "supercut, 20 hits, 24 + 30 fps"}
    for size in args.sizes:
        width, height = (int(v) for v in size.split("x"))
        base, other = base_film((width, height)), base_film((width, height), fps=30)
        for (film, second), length in (((base, other), "10 min"),
                                       ((repeated(base, args.hours),
                                         repeated(other, args.hours)), f"{args.hours:g} h")):
            for op in ("still", "clip", "supercut", "mixed"):
                got = measure(film, op, second if op == "mixed" else None)
                rows.append([f"{height}p", length, labels[op], got["seconds"],
                             f"<= {targets[op]:g}", "yes" if got["seconds"] <= targets[op]
                             else "NO", round(got["peak_mb"]),
                             f"{got['copied']} of 240" if op == "clip" else ""])
    print(table(["film", "length", "export", "seconds", "target", "met", "peak MB",
                 "frames copied"], rows))


if __name__ == "__main__":
    main()
