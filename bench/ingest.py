"""Ingest speed: decode, embed, seconds per minute of video and peak memory.

Usage: .venv/bin/python bench/ingest.py [--minutes 10] [--video PATH]
Runs the real ingest (``python -m oneframe ingest``) in a child process on a generated
640x360 video (or PATH) with ViT-B/32's architecture (random weights, the real cost).
Target on 2 CPU cores: 10 minutes of video in at most 30 s, peak RSS under 2 GB.
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

from common import ROOT, cpu_summary, generated_video, table, vit_b32_model

from oneframe.embed import load_encoder
from oneframe.frames import open_video, sample_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--video")
    args = parser.parse_args()
    print(cpu_summary())
    model = vit_b32_model()
    video = Path(args.video) if args.video else generated_video(args.minutes)
    cap, info = open_video(video)
    cap.release()

    started = time.perf_counter()
    frames = list(sample_frames(video))
    decode_s = time.perf_counter() - started
    encoder = load_encoder(str(model))
    images = [f.image for f in frames[:256]]
    encoder.embed_images(images[:32])  # warm-up
    started = time.perf_counter()
    encoder.embed_images(images)
    embed_rate = len(images) / (time.perf_counter() - started)
    del frames, images

    with tempfile.TemporaryDirectory() as library:
        env = dict(os.environ, ONEFRAME_MODEL=str(model), ONEFRAME_LIBRARY=library)
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "oneframe", "ingest", str(video), "--json"],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        ingest_s = time.perf_counter() - started
        result = json.loads(run.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    minutes = info.duration / 60
    print(f"video: {video.name}, {info.width}x{info.height}, {info.fps:g} fps, "
          f"{info.duration:.0f} s; model: ViT-B/32 architecture; torch threads: "
          f"{__import__('torch').get_num_threads()}; cores: {os.cpu_count()}")
    print(table(
        ["decode video frames/s", "kept frames", "embed frames/s", "ingest s (end to end)",
         "s per minute of video", "x real time", "peak RSS MB"],
        [[info.frames / decode_s, result["frames"], embed_rate, ingest_s, ingest_s / minutes,
          info.duration / ingest_s, peak_mb]],
    ))


if __name__ == "__main__":
    main()
