"""Burned-in subtitles: quality (CER, timing, recall@1) and cost of OCR at ingest.

Usage: .venv/bin/python bench/eval_ocr.py
On ../shared/data/hardsub/tears-of-steel-hardsub.mp4 with no caption file, the recovered cues
are compared with tears-of-steel-hardsub.truth.vtt: character error rate, start and end time
errors, and recall@1 of dialogue queries for those lines (visual weight 0; each line as said,
and with its first word dropped). Speed: the ingest with OCR against the same ingest with OCR
off (models warm, ViT-B/32's architecture, median of 5), and the cost of detection on clips
without burned-in subtitles. Targets: CER <= 3 %, starts within 0.5 s, recall@1 >= 0.9, OCR ingest
<= 1.5x, detection <= 2 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, cpu_summary, table, use_bench_models
from rapidfuzz.distance import Levenshtein

from oneframe.dialogue.captions import Cue, read_captions
from oneframe.dialogue.ocr import has_burned_in, load_reader
from oneframe.encoders.dual import load_encoder
from oneframe.encoders.sentences import load_sentence_encoder
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex

DATA = ROOT.parent / "shared" / "data"
HARDSUB = DATA / "hardsub" / "tears-of-steel-hardsub.mp4"
TRUTH = DATA / "hardsub" / "tears-of-steel-hardsub.truth.vtt"
PLAIN = [DATA / "clips" / "tears-of-steel-battle-clip-medium.webm",
         DATA / "clips" / "big_buck_bunny_0_30.webm"]


REPEATS = 5


def timed_ingest(video: Path, ocr: str) -> tuple[float, list[Cue]]:
    """Median seconds of ``REPEATS`` ingests into fresh libraries, and the cues of the last."""
    spent = []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            record = ingest(str(video), library=Library(folder), ocr=ocr)
            spent.append(time.perf_counter() - started)
            cues = Library(folder).load(record.id).cues
    return statistics.median(spent), cues


def match(truth: list[Cue], found: list[Cue]) -> list[tuple[Cue, Cue | None]]:
    """Each true line with the recovered cue overlapping it most."""
    pairs = []
    for cue in truth:
        overlap = [(min(cue.end, f.end) - max(cue.start, f.start), f) for f in found]
        best = max(overlap, key=lambda x: x[0], default=(0, None))
        pairs.append((cue, best[1] if best[0] > 0 else None))
    return pairs


def main() -> None:
    print(cpu_summary())
    use_bench_models()
    load_encoder()
    load_sentence_encoder()
    load_reader()
    timed_ingest(PLAIN[1], "off")  # warm caches and code paths

    truth = read_captions(TRUTH)
    spent_off, _ = timed_ingest(HARDSUB, "off")
    spent_on, found = timed_ingest(HARDSUB, "auto")
    found = [c for c in found if c.source == "burned-in"]
    pairs = match(truth, found)
    errors = sum(Levenshtein.distance(t.text, f.text if f else "") for t, f in pairs)
    chars = sum(len(t.text) for t in truth)
    starts = [abs(f.start - t.start) for t, f in pairs if f]
    ends = [abs(f.end - t.end) for t, f in pairs if f]

    with tempfile.TemporaryDirectory() as folder:
        library = Library(folder)
        record = ingest(str(HARDSUB), library=library, ocr="auto")
        index = SearchIndex(library)
        queries = [(t.text, t) for t in truth] + [
            (" ".join(t.text.split()[1:]), t) for t in truth if len(t.text.split()) > 3]
        hits = 0
        for query, line in queries:
            top = index.search(query, visual_weight=0.0, top_k=1).hits
            hits += bool(top) and line.start - 1 <= top[0].time <= line.end + 1
        assert record.burned_in == len(found)

    print(f"hard-subbed clip: {HARDSUB.name}, {len(truth)} true lines, {len(found)} read")
    print(table(
        ["CER %", "lines found", "start err mean s", "start err max s", "starts <= 0.5 s",
         "end err mean s", "recall@1", "queries"],
        [[100 * errors / chars, f"{sum(1 for _, f in pairs if f)}/{len(truth)}",
          statistics.mean(starts), max(starts),
          f"{sum(s <= 0.5 for s in starts)}/{len(starts)}", statistics.mean(ends),
          hits / len(queries), len(queries)]]))
    print()
    rows = [[HARDSUB.name, "off", spent_off, "", ""],
            [HARDSUB.name, "auto (found)", spent_on, spent_on / spent_off, spent_on - spent_off]]
    for clip in PLAIN:
        started = time.perf_counter()
        present = has_burned_in(clip)
        detect = time.perf_counter() - started
        off, _ = timed_ingest(clip, "off")
        auto, _ = timed_ingest(clip, "auto")
        rows += [[clip.name, "off", off, "", ""],
                 [clip.name, f"auto ({'found' if present else 'none'}; detect "
                  f"{detect:.2f} s)", auto, auto / off, auto - off]]
    print(table(["clip", "OCR", "ingest s", "x off", "+ s"], rows))


if __name__ == "__main__":
    main()
