"""A library of many films in the LanceDB store: query time, memory, ANN recall, open, add.

Usage: .venv/bin/python bench/scale.py --films 50 [--queries 40]
Synthetic films are written straight into a store (bench/out/scale-<N>), 7,200 frame vectors
and 1,800 dialogue-window vectors each. The frame vectors are realistic rather than Gaussian:
one a second of the film-like video and the shared clips, embedded by ViT-B/32's architecture
(random weights), centred and given CLIP's common direction back; each film draws shots from
them (3 frames a shot) with a film-wide tint and per-frame noise. Queries are text-like: a frame
far displaced (as CLIP texts sit apart from images), encoded for their cost by the real text
tower. Timed per query: text encoding plus the store's nearest 10 frames, over the whole
library (ANN index with re-ranking) and over one film (exact). Recall@10 is against an exact
scan of the same float16 vectors. This is the picture channel's step of a shortlist
(bench/search.py times whole searches through it; bench/eval_dialog.py --decoys its dialogue).
Warm (the default): the store's files are read once first, as a running server's page cache
holds them; --cold measures a start after a restart, with the app's warm-up (the indexes read).
"open" is a new connection (and, --cold, the warm-up) to the first shortlist answered: nearest
frames and dialogue windows at once, as the app's first query asks.
Targets on 2 cores (issue 14): 500 films p95 <= 300 ms whole library, <= 60 ms one film, RSS
<= 1.5 GB, recall@10 >= 0.95, open < 2 s, add one film < 2 s; 50 films p95 <= 150 ms.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
from common import DATA, OUT, cpu_summary, film_like_video, table, vit_b32_model

from oneframe.index import lance_tables
from oneframe.index import store as store_module
from oneframe.index.store import VectorStore
from oneframe.library.folders import Library

FRAMES, WINDOWS, DIM = 7200, 1800, 512
MODEL, DIALOG_MODEL = "bench/vit-b-32", "bench/minilm"


def base_vectors() -> np.ndarray:
    """Real frames by ViT-B/32's architecture, spread as trained CLIP's image vectors are."""
    path = OUT / "scale-base.npy"
    if not path.is_file():
        from oneframe.encoders.dual import load_encoder
        from oneframe.media.frames import sample_frames

        encoder = load_encoder(str(vit_b32_model()))
        images = []
        for video in (film_like_video(), DATA / "clips/tears-of-steel-battle-clip-medium.webm",
                      DATA / "clips/big_buck_bunny_0_30.webm"):
            if video is not None and video.is_file():
                images += [f.image for f in sample_frames(video)]
        np.save(path, encoder.embed_images(images))
    return np.load(path)


class Films:
    def __init__(self) -> None:
        base = base_vectors().astype(np.float32)
        self.common = base.mean(0) / np.linalg.norm(base.mean(0))
        centred = base - base.mean(0)
        self.shots = centred / np.linalg.norm(centred, axis=1, keepdims=True)

    def frames(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(n)
        tint = rng.standard_normal(DIM).astype(np.float32)
        tint /= np.linalg.norm(tint)
        picks = np.repeat(rng.integers(0, len(self.shots), FRAMES // 3 + 1), 3)[:FRAMES]
        v = self.shots[picks] + 0.35 * tint + rng.standard_normal((FRAMES, DIM)).astype(
            np.float32) / np.sqrt(DIM)
        v = 0.7 * self.common + 0.7 * v / np.linalg.norm(v, axis=1, keepdims=True)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)

    def windows(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(10_000 + n)
        v = rng.standard_normal((WINDOWS, 384)).astype(np.float32)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)

    def queries(self, count: int) -> np.ndarray:
        rng = np.random.default_rng(123)
        q = self.shots[rng.integers(0, len(self.shots), count)] + 1.6 * rng.standard_normal(
            (count, DIM)).astype(np.float32) / np.sqrt(DIM) * 4
        q = 0.3 * self.common + q / np.linalg.norm(q, axis=1, keepdims=True)
        return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def build(store: VectorStore, films: Films, count: int) -> float:
    """Write the films the store lacks, then compact and index it; a store already whole is
    left as it is (its upkeep is bench/upkeep.py's)."""
    started = time.perf_counter()
    have = set(store.ready())
    missing = [n for n in range(count) if f"film-{n:04d}" not in have]
    for n in missing:
        store.put(f"film-{n:04d}", "synthetic", MODEL, np.arange(FRAMES, dtype=np.float64),
                  films.frames(n), DIALOG_MODEL, films.windows(n))
    if missing:
        store.optimise()
    return time.perf_counter() - started


def exact_top(films: Films, count: int, queries: np.ndarray, k: int = 10) -> list[set]:
    best = [np.empty(0, np.float32)] * len(queries), [np.empty(0, np.int64)] * len(queries)
    scores, keys = list(best[0]), list(best[1])
    for n in range(count):
        cos = films.frames(n).astype(np.float32) @ queries.T
        for i in range(len(queries)):
            s = np.concatenate([scores[i], cos[:, i]])
            key = np.concatenate([keys[i], n * FRAMES + np.arange(FRAMES)])
            top = np.argsort(-s)[:k]
            scores[i], keys[i] = s[top], key[top]
    return [set(k.tolist()) for k in keys]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=50)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--nprobes", type=int, default=lance_tables.NPROBES)
    parser.add_argument("--refine", type=int,
                        help="rows re-ranked on the stored vectors (default: the store's, "
                        f"{lance_tables.REFINE_ROWS}; with lean codes "
                        f"{lance_tables.LEAN_REFINE_ROWS})")
    parser.add_argument("--cold", action="store_true",
                        help="drop the page cache first (root only) and open as the app does, "
                        "with LibrarySearch.warm's reading of the indexes (inside open_s)")
    parser.add_argument("--build-only", action="store_true",
                        help="write and index the store, then stop (measure in a new process)")
    args = parser.parse_args()
    lance_tables.NPROBES = args.nprobes
    if args.refine:
        lance_tables.REFINE_ROWS = lance_tables.LEAN_REFINE_ROWS = args.refine
    from oneframe.encoders.dual import load_encoder

    encoder = load_encoder(str(vit_b32_model()))
    print(cpu_summary(encoder))
    films = Films()
    library = Library(OUT / f"scale-{args.films}")
    build_s = build(VectorStore(library), films, args.films)
    if args.build_only:
        print(f"built (or topped up) in {build_s:.0f} s")
        return

    if args.cold:  # as after a restart: nothing of the store in memory
        os.sync()
        try:
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        except OSError as exc:
            parser.error(f"--cold drops the page cache, which needs root: {exc}")
    else:  # as a running server's page cache holds them (this VM's memory manager drops them)
        for path in Path(store_module.store_uri(library)).rglob("*"):
            if path.is_file():
                with path.open("rb") as f:
                    while f.read(1 << 24):
                        pass
    started = time.perf_counter()
    store = VectorStore(library)
    if args.cold:
        store.prewarm()  # as the app's warm-up does at start
    queries = films.queries(args.queries)
    # the app's first query asks for a shortlist: nearest frames and dialogue windows at once
    store.shortlist({MODEL: queries[0]}, {DIALOG_MODEL: films.windows(-1)[0].astype(np.float32)},
                    "", 8)
    open_s = time.perf_counter() - started
    texts = [f"a person walking through the market at night, take {i}" for i in
             range(args.queries)]
    whole, one, got = [], [], []
    for i, q in enumerate(queries):
        started = time.perf_counter()
        encoder.embed_texts([texts[i]])
        found = store.nearest("frames", MODEL, q, 10)
        whole.append((time.perf_counter() - started) * 1000)
        got.append({int(m.video[5:]) * FRAMES + m.row for m in found})
        started = time.perf_counter()
        encoder.embed_texts([texts[i]])
        store.nearest("frames", MODEL, q, 10, videos=[f"film-{i % args.films:04d}"])
        one.append((time.perf_counter() - started) * 1000)
    rss = rss_mb()  # before the exact scan below, which holds films of its own
    truth = exact_top(films, args.films, queries)
    recall = [len(g & t) / 10 for g, t in zip(got, truth, strict=True)]

    extra = f"film-{args.films:04d}"
    started = time.perf_counter()
    store.put(extra, "synthetic", MODEL, np.arange(FRAMES, dtype=np.float64),
              films.frames(args.films), DIALOG_MODEL, films.windows(args.films))
    add_s = time.perf_counter() - started
    store._drop(extra)
    frames_table = store.db.open_table(store_module.group_name("frames", MODEL, DIM))
    index = ", ".join(f"{i.index_type} ({i.size_bytes / 2**20:.0f} MB)"
                      for i in frames_table.list_indices() if i.name == "vector_idx") or "none"
    probes = lance_tables.search_settings(frames_table)
    bits = lance_tables.code_bits(lance_tables.vector_index(frames_table)) if probes else None
    p95 = lambda xs: statistics.quantiles(xs, n=20)[-1]  # noqa: E731
    result = {"films": args.films, "frames": args.films * FRAMES,
              "p50_ms_all": round(statistics.median(whole), 1), "p95_ms_all": round(p95(whole), 1),
              "p95_ms_one": round(p95(one), 1), "rss_mb": round(rss),
              "recall_at_10": round(float(np.mean(recall)), 3), "open_s": round(open_s, 2),
              "add_s": round(add_s, 2)}
    print(f"store: {store.uri}; built (or topped up) in {build_s:.0f} s; ANN: {index}, "
          f"{bits} bits a dimension, probes and re-ranked rows {probes}; {args.queries} "
          "queries, each with its text encoding")
    print(table(list(result), [list(result.values())]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
