"""LanceDB's first optimise after an index is created: what it costs against the creation.

Usage: .venv/bin/python bench/relayout.py [--films 500] [--dim 16] [--partitions N]
A table of FILMS x 7,200 random rows is written one film a fragment (as the store's sync does),
compacted, and given a 2-bit IVF_RQ index as ``lance_tables.optimise_table`` makes it; then
LanceDB's ``optimize`` is timed four times: with nothing to do (no version old enough to drop,
nothing added or deleted), again, after one film is added, after one film is deleted.
2026-12-04 (2-core EPYC, 16 wide, 500 films): with the store's own partition count (271,
about 13,000 rows each) the index took 18.6 s to create and every optimise after it 0.1-0.3 s;
with 64 partitions (56,000 rows each) 8.3 s to create, then 52.8 s for the first optimise with
nothing to do (it wrote the index again, its index.idx 2.7 -> 34 KB: more partitions, as if
LanceDB split the large ones), 0.1-0.6 s after. LanceDB splits partitions of over 4 x 4,096
rows; --films-like --films 150 (1.08 million realistic 512-wide frames): 148 partitions
(sqrt(rows)/7) made in 44 s, first optimise 56 s; 264 (rows/4,096, as the store now makes them)
52 s and 14 s; 528, 93 s and 5 s.
Prints a table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from common import cpu_summary, table

from oneframe.index.lance_tables import KEEP_VERSIONS, rq_partitions, vector_column

FRAMES = 7200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=500)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--partitions", type=int, default=0,
                        help="IVF partitions (default: the store's, lance_tables.rq_partitions; "
                        "the figures above with sqrt(rows)/7 were measured before it)")
    parser.add_argument("--films-like", action="store_true",
                        help="bench/scale.py's realistic 512-wide frame vectors, not random ones")
    parser.add_argument("--target", type=int, default=0,
                        help="the index's target_partition_size (default: LanceDB's, 8,192)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import lancedb
    import pyarrow as pa
    from lancedb.index import IvfRq

    print(cpu_summary())

    films = None
    if args.films_like:
        from scale import Films

        films, args.dim = Films(), 512

    def film(n: int) -> pa.Table:
        v = (films.frames(n) if films is not None
             else np.random.default_rng(n).standard_normal((FRAMES, args.dim)))
        return pa.table({"video": [f"film-{n}"] * FRAMES, "vector": vector_column(v)})

    with tempfile.TemporaryDirectory(dir=Path(__file__).parent / "out") as folder:
        tbl = lancedb.connect(folder).create_table("frames", film(0))
        for n in range(1, args.films):
            tbl.add(film(n))
        tbl.optimize(cleanup_older_than=KEEP_VERSIONS)
        index_dir = Path(folder) / "frames.lance" / "_indices"
        rows = []

        def step(name: str, run) -> None:
            started = time.perf_counter()
            run()
            seconds = time.perf_counter() - started
            newest = max(index_dir.iterdir(), key=lambda p: p.stat().st_mtime)
            rows.append([name, round(seconds, 1), len(list(index_dir.iterdir())),
                         (newest / "index.idx").stat().st_size])

        count = tbl.count_rows()
        step("create the index", lambda: tbl.create_index("vector", config=IvfRq(
            distance_type="cosine",
            num_partitions=args.partitions or rq_partitions(count),
            num_bits=2, sample_rate=64, target_partition_size=args.target or None)))
        optimise = lambda: tbl.optimize(cleanup_older_than=KEEP_VERSIONS)  # noqa: E731
        step("first optimise, nothing to do", optimise)
        step("second optimise", optimise)
        step("optimise after a film added", lambda: (tbl.add(film(args.films)), optimise()))
        step("optimise after a film deleted", lambda: (tbl.delete("video = 'film-7'"),
                                                       optimise()))
    print(f"{args.films} films x {FRAMES} rows, {args.dim} wide, one fragment each, compacted; "
          f"{args.partitions or 'rq_partitions(rows)'} partitions, target partition size "
          f"{args.target or 'LanceDB default'}")
    print(table(["step", "seconds", "index folders", "newest index.idx bytes"], rows))


if __name__ == "__main__":
    main()
