"""Ingest speed: decode, embed, seconds per minute of video, cores busy and peak memory.

Usage: .venv/bin/python bench/ingest.py [--video PATH] [--minutes 10]
Runs the real ingest (``python -m oneframe ingest``) in a child process with ViT-B/32's
architecture (random weights, the real cost). The video is PATH, else a film-like 10-minute
H.264 video cut from the real clips in ../shared/data (bench/common.py: film_like_video), else a
generated one. Precision: what oneframe picks for this CPU, or ONEFRAME_PRECISION. For the
AVX2 case on a newer CPU, cap the kernels: ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2
FBGEMM_ENABLE_INSTRUCTIONS=AVX2 (ONNX Runtime's own kernels cannot be capped so).
Targets on 2 cores (issue 13): at least 15x real time on AVX2 only, peak RSS under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, cpu_summary, film_like_video, generated_video, table, vit_b32_model

from oneframe.encoders.dual import load_encoder
from oneframe.media.frames import open_video, sample_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--video")
    args = parser.parse_args()
    model = vit_b32_model()
    video = Path(args.video) if args.video else (film_like_video(args.minutes)
                                                 or generated_video(args.minutes))
    cap, info = open_video(video)
    cap.release()
    encoder = load_encoder(str(model))  # also makes the ONNX export, once, before timing
    print(cpu_summary(encoder))

    started = time.perf_counter()
    frames = list(sample_frames(video))
    decode_s = time.perf_counter() - started
    images = [f.image for f in frames[:256]]
    encoder.embed_images(images[:32])  # warm-up
    started = time.perf_counter()
    encoder.embed_images(images)
    embed_rate = len(images) / (time.perf_counter() - started)
    del frames, images

    with tempfile.TemporaryDirectory() as library:
        env = dict(os.environ, ONEFRAME_MODEL=str(model), ONEFRAME_LIBRARY=library)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "oneframe", "ingest", str(video),
                                  "--json", "--speech", "off"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        peak_kb, status = 0, Path(f"/proc/{child.pid}/status")
        while child.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(status))
            time.sleep(0.1)
        ingest_s = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if child.returncode:
            raise SystemExit(f"ingest failed with exit status {child.returncode}")
        result = json.loads(child.stdout.read())
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_mb = peak_kb / 1024
    minutes = info.duration / 60
    print(f"video: {video.name}, {info.width}x{info.height}, {info.fps:g} fps, "
          f"{info.duration:.0f} s; model: ViT-B/32 architecture; cores: {os.cpu_count()}")
    print(table(
        ["decode frames/s", "kept frames", "kept per min", "embed frames/s",
         "ingest s (end to end)", "x real time", "cores busy", "peak RSS MB"],
        [[info.frames / decode_s, result["frames"], result["frames"] / minutes, embed_rate,
          ingest_s, info.duration / ingest_s, cpu_s / ingest_s, peak_mb]],
    ))


def _high_water_kb(status: Path) -> int:
    """The process's peak resident memory so far (VmHWM), 0 once it has gone.

    Read from /proc because getrusage's figure for children also counts the parent's memory,
    which the kernel carries into the child at fork and exec."""
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    main()
