"""How soon Cancel stops an ingest, at each of its steps (the README promises within a second).

Usage: .venv/bin/python bench/cancel.py [--minutes 3]

A stand-in video (a running counter, ``--minutes`` long) with a caption line a second is
added through the background queue the pages use, with ViT-B/32's architecture (random
weights: the real model's cost) and the packaged sentence model; Cancel is pressed at a
spread of moments, and the time until the job has stopped (the library unchanged) is
printed with the step it was in. Each run is a fresh library.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import OUT, counter_video, cpu_summary, dialog_model, table, vit_b32_model

from oneframe.ingest.jobs import JobQueue
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library

TARGET = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    os.environ.setdefault("ONEFRAME_MODEL", str(vit_b32_model()))
    sentences = dialog_model()
    if sentences:
        os.environ.setdefault("ONEFRAME_DIALOG_MODEL", str(sentences))
    seconds = int(args.minutes * 60)
    video = counter_video(OUT / f"cancel-{seconds}s.mp4", seconds, size=(320, 180))
    captions = OUT / f"cancel-{seconds}s.srt"
    captions.write_text("".join(
        f"{i + 1}\n00:{i // 60:02d}:{i % 60:02d},000 --> 00:{i // 60:02d}:{i % 60:02d},900\n"
        f"Line {i}: what was said just then, for the sentence model to embed.\n\n"
        for i in range(seconds - 1)))
    jobs = JobQueue()

    def one(after: float | None) -> tuple[str, float, str, float]:
        library = Library(tempfile.mkdtemp(prefix="oneframe-cancel-"))
        started = time.perf_counter()
        job = jobs.submit("bench", lambda progress: ingest(
            str(video), library=library, captions=captions, progress=progress, ocr="off",
            speech="off"))
        if after is None:
            while not job.finished:
                time.sleep(0.01)
            return "(none)", 0.0, job.state, time.perf_counter() - started
        time.sleep(after)
        step = str(job.latest.value if job.latest else "starting")
        pressed = time.perf_counter()
        job.cancel()
        while not job.finished:
            time.sleep(0.005)
        stopped = time.perf_counter() - pressed
        assert job.state != "cancelled" or not library.list(), "a cancelled ingest added"
        return step, stopped, job.state, pressed - started

    one(None)  # the models exported and loaded once, as on a server that has run before
    _, _, state, whole = one(None)
    print(cpu_summary())
    print(f"picture model: {Path(os.environ['ONEFRAME_MODEL']).name} (ViT-B/32 architecture, "
          f"random weights); dialogue model: {os.environ.get('ONEFRAME_DIALOG_MODEL', '-')}")
    print(f"a whole ingest of {args.minutes:g} min: {whole:.1f} s ({state})\n")
    rows = []
    for share in (0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95):
        step, stopped, state, at = one(share * whole)
        rows.append([f"{at:.1f}", step, state, round(stopped, 2),
                     "yes" if stopped <= TARGET or state == "done" else "NO"])
    print(table(["pressed at s", "step", "ended", "stopped after s", f"<= {TARGET:g} s"],
                rows))


if __name__ == "__main__":
    main()
