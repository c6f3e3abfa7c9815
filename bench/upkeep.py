"""Index upkeep in steps: the cost of adding and removing one film at a time in a large store.

Usage: .venv/bin/python bench/upkeep.py --films 500 --cycles 50 [--queries 40] [--batch 1]
Builds (or reuses) bench/scale.py's synthetic store of N films, measures whole-library p95 and
recall@10 (bench/scale.py's queries and exact truth), then runs CYCLES add/remove cycles: a new
film put and optimised, then removed and optimised, as `ingest` and `remove` followed by the
store's upkeep do. Printed: seconds per add, per remove and per optimise (median and worst),
the vector index's size and how many delta indices it carries, and p95 and recall after the
cycles, to compare with before. Each optimise should cost in proportion to the film, not to
the library (issue 26 measured 882 s to optimise once after one film was added).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import OUT, cpu_summary, table
from scale import DIALOG_MODEL, DIM, FRAMES, MODEL, Films, build, exact_top

from oneframe.index import store as store_module
from oneframe.index.store import VectorStore
from oneframe.library.folders import Library


def measure(store: VectorStore, films: Films, count: int, queries: np.ndarray,
            ) -> tuple[float, float]:
    """Whole-library p95 (ms) and recall@10 of ``queries``."""
    times, got = [], []
    for q in queries:
        started = time.perf_counter()
        found = store.nearest("frames", MODEL, q, 10)
        times.append((time.perf_counter() - started) * 1000)
        got.append({int(m.video[5:]) * FRAMES + m.row for m in found})
    truth = exact_top(films, count, queries)
    recall = float(np.mean([len(g & t) / 10 for g, t in zip(got, truth, strict=True)]))
    return statistics.quantiles(times, n=20)[-1], recall


def index_state(store: VectorStore) -> str:
    frames = store.db.open_table(store_module.group_name("frames", MODEL, DIM))
    stats = frames.index_stats("vector_idx") if any(
        i.name == "vector_idx" for i in frames.list_indices()) else None
    if stats is None:
        return "no vector index"
    return (f"{stats.index_type}, {stats.num_indexed_rows:,} rows indexed, "
            f"{stats.num_unindexed_rows:,} not, {stats.num_indices} index parts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=500)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--batch", type=int, default=1,
                        help="films added (then removed) per cycle: past 3%% of the library "
                        "(16 at 500 films) the optimise is due and brings the index up to date")
    args = parser.parse_args()
    print(cpu_summary())
    films = Films()
    library = Library(OUT / f"scale-{args.films}")
    build_s = build(VectorStore(library), films, args.films)
    store = VectorStore(library)
    queries = films.queries(args.queries)
    store.nearest("frames", MODEL, queries[0], 10)
    before = measure(store, films, args.films, queries)
    print(f"store of {args.films} films built (or topped up) in {build_s:.0f} s; "
          f"{index_state(store)}")
    adds, removes, optimises = [], [], []
    for cycle in range(args.cycles):
        vids = [f"extra-{cycle:03d}-{n:02d}" for n in range(args.batch)]
        started = time.perf_counter()
        for n, vid in enumerate(vids):
            store.put(vid, "synthetic", MODEL, np.arange(FRAMES, dtype=np.float64),
                      films.frames(args.films + cycle * args.batch + n), DIALOG_MODEL,
                      films.windows(args.films))
        adds.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.optimise()
        optimises.append(time.perf_counter() - started)
        started = time.perf_counter()
        for vid in vids:
            store._drop(vid)
        removes.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.optimise()
        optimises.append(time.perf_counter() - started)
        print(f"cycle {cycle + 1}: add {adds[-1]:.2f} s, optimise {optimises[-2]:.1f} s, "
              f"remove {removes[-1]:.2f} s, optimise {optimises[-1]:.1f} s", flush=True)
    after = measure(store, films, args.films, queries)
    print(f"after {args.cycles} cycles: {index_state(store)}")
    print(table(["", "p95 ms, whole library", "recall@10", "add s (median / worst)",
                 "remove s", "optimise s"],
                [["before", before[0], before[1], "", "", ""],
                 [f"after {args.cycles} cycles", after[0], after[1],
                  f"{statistics.median(adds):.2f} / {max(adds):.2f}",
                  f"{statistics.median(removes):.2f} / {max(removes):.2f}",
                  f"{statistics.median(optimises):.1f} / {max(optimises):.1f}"]]))


if __name__ == "__main__":
    main()
