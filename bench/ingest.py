"""Ingest speed: where the time goes per stage, cores busy and peak memory.

Usage: .venv/bin/python bench/ingest.py [--video PATH] [--minutes 10] [--model export|published]
Runs the real ingest (``oneframe ingest``) in a child process with ViT-B/32's architecture
(random weights, the real cost), and prints the seconds each stage took (decode, cut detection,
embed, thumbnails, OCR, captions, dialogue, commit: wall seconds and the CPU of the thread that
ran it; decoding overlaps embedding, so they add up to more than the ingest). ``--model export``
(the default): oneframe's own int8 export, made before timing; ``--model published``: the
float32 towers in the layout published exports have (what the app's core install runs, no
export step), and a first ingest: the model loads inside the timed run. The video is PATH, else
a film-like 10-minute H.264 video cut from the real clips in ../shared/data
(bench/common.py: film_like_video), else a generated one. Precision: what oneframe picks for
this CPU, or ONEFRAME_PRECISION. For the AVX2 case on a newer CPU, cap the kernels:
ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 FBGEMM_ENABLE_INSTRUCTIONS=AVX2 (ONNX
Runtime's own kernels cannot be capped so).
Targets on 2 cores (issue 25): at least 15x real time on AVX2 only, peak RSS <= 800 MB.
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
    parser.add_argument("--model", choices=["export", "published"], default="export")
    args = parser.parse_args()
    model = vit_b32_model()
    if args.model == "published":
        model = published_model(model)
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
        stages_file = Path(library) / "stages.json"
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(stages_file), "ingest",
                                  str(video), "--json", "--speech", "off"], cwd=ROOT, env=env,
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
        stages = json.loads(stages_file.read_text())
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
    print(f"Where the time went ({args.model} model; wall s of each stage in its thread, the "
          "CPU s of that thread; engines' worker threads are only in 'cores busy'):")
    print(table(["stage", "wall s", "share of ingest", "thread CPU s", "s per min of video"],
                [[stage, wall, f"{wall / ingest_s:.0%}", cpu, wall / minutes]
                 for stage, (wall, cpu) in sorted(stages.items(), key=lambda s: -s[1][0])]))


CHILD = """
import json, sys
from pathlib import Path
from oneframe.cli.main import main
from oneframe.core import timing
code = main(sys.argv[2:])
Path(sys.argv[1]).write_text(json.dumps(timing.spent()))
sys.exit(code)
"""


def published_model(checkpoint: Path) -> Path:
    """``checkpoint`` in the layout published ONNX exports have (made once)."""
    from published_layout import publish_clip

    folder = checkpoint.with_name(checkpoint.name + "-published")
    if not (folder / "onnx" / "text_model.onnx").is_file():
        publish_clip(checkpoint, folder)
    return folder


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
