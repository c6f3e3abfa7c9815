"""A library's store split into shards, each served by its own process (a Ray actor).

Usage: .venv/bin/python bench/shards.py --films 2000 --shards 2 [--queries 200] [--build-only]
bench/scale.py's synthetic films (7,200 realistic frame vectors and 1,800 dialogue windows
each) are written straight into N shard stores (bench/out/shards-<films>-in-<N>), each given
its videos by the product's assignment (``shards.shard_of``) and compacted and indexed as the
product does. Then Ray (local) starts one shard actor per shard, as ``ONEFRAME_RAY_ADDRESS``
does, and each query is timed from its text encoding to the merged nearest 10 frames of the
whole library (every shard asked at once); recall@10 is against an exact scan of the same
float16 vectors; one-film queries go to the film's shard alone. RSS is each shard actor's
process and the front's (this one). Prints the CPU, a table, then one JSON line.
Targets on 2 shared cores (issue 40): every process <= 2 GB, recall@10 >= 0.95, p95 <= 500 ms
(2,000 films in 2 shards); one film p95 <= 60 ms at 500 films.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import timedelta

import numpy as np
from common import OUT, cpu_summary, table, vit_b32_model
from scale import DIALOG_MODEL, FRAMES, MODEL, Films, exact_top, rss_mb

from oneframe.index import lance_tables
from oneframe.index.shards import ShardPlan, read_plan, shard_of, shard_uris, write_plan
from oneframe.index.store import VectorStore, store_uri
from oneframe.library.folders import Library


def build(library: Library, films: Films, count: int, shards: int) -> float:
    """Write the films each shard lacks, then compact and index it (the product's optimise:
    index made, then settled); a whole shard is left as it is."""
    started = time.perf_counter()
    plan = read_plan(library)
    if plan is None or plan.count != shards:
        plan = ShardPlan(tuple(shard_uris(store_uri(library), shards)))
        write_plan(library, plan)
    for k, uri in enumerate(plan.uris):
        store = VectorStore(library, uri)
        have = set(store.ready())
        missing = [n for n in range(count) if shard_of(f"film-{n:04d}", shards) == k
                   and f"film-{n:04d}" not in have]
        for n in missing:
            store.put(f"film-{n:04d}", "synthetic", MODEL, np.arange(FRAMES, dtype=np.float64),
                      films.frames(n), DIALOG_MODEL, films.windows(n))
        if missing:
            store.optimise()
        print(f"shard {k}: {len(have) + len(missing)} films, {time.perf_counter() - started:.0f}"
              " s so far", flush=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-settle", action="store_true",
                        help="make each shard's index without the optimise passes that settle "
                        "it (lance_tables.settle_index: 20 of the 48 minutes of a 1,000-film "
                        "build); queries then run on the index as first made")
    args = parser.parse_args()
    # the bench is the stores' one writer: old versions go at each optimise (disk space)
    lance_tables.KEEP_VERSIONS = timedelta(0)
    if args.no_settle:
        lance_tables.SETTLE_PASSES = 0
    films = Films()
    library = Library(OUT / f"shards-{args.films}-in-{args.shards}")
    build_s = build(library, films, args.films, args.shards)
    if args.build_only:
        print(f"built (or topped up) in {build_s:.0f} s")
        return
    measure(library, films, args)


def exact_truth(films: Films, count: int, queries: np.ndarray) -> list[set[int]]:
    """The exact nearest 10 of every query (``scale.exact_top``), kept for the next run over
    the same films and queries (2 and 4 shards of the same 2,000 films)."""
    path = OUT / f"exact-top-{count}-{len(queries)}.json"
    if path.is_file():
        return [set(keys) for keys in json.loads(path.read_text())]
    truth = exact_top(films, count, queries)
    path.write_text(json.dumps([sorted(keys) for keys in truth]))
    return truth


def measure(library: Library, films: Films, args: argparse.Namespace) -> None:
    """Serve the shards with Ray actors and time queries through them."""
    from oneframe.encoders.dual import load_encoder
    from oneframe.index.shard_servers import RayShards

    encoder = load_encoder(str(vit_b32_model()))
    print(cpu_summary(encoder))
    plan = read_plan(library)
    assert plan is not None
    started = time.perf_counter()
    shards = RayShards(library, plan, "local")
    every = dict.fromkeys(range(plan.count), ())
    _, failed = shards.ask("warm", every, 1800.0)  # as the app's warm-up: indexes read in
    assert not failed, failed
    queries = films.queries(args.queries)
    window = films.windows(-1)[0].astype(np.float32)
    _, failed = shards.ask("channels", dict.fromkeys(range(plan.count), (
        {MODEL: queries[0]}, {DIALOG_MODEL: window}, "", None)), 600.0)
    assert not failed, failed
    open_s = time.perf_counter() - started
    texts = [f"a person walking through the market at night, take {i}"
             for i in range(args.queries)]
    whole, shortlist, one, alone, got, encode = [], [], [], [], [], []
    for i, q in enumerate(queries):
        started = time.perf_counter()
        encoder.embed_texts([texts[i]])
        answers, failed = shards.ask("nearest", dict.fromkeys(range(plan.count), (
            "frames", MODEL, q, 10, None)), 600.0)
        best = sorted((m for found in answers.values() for m in found),
                      key=lambda m: -m.score)[:10]
        whole.append((time.perf_counter() - started) * 1000)
        assert not failed, failed
        got.append({int(m.video[5:]) * FRAMES + m.row for m in best})
        started = time.perf_counter()
        encoder.embed_texts([texts[i]])
        shards.ask("channels", dict.fromkeys(range(plan.count), (
            {MODEL: q}, {DIALOG_MODEL: window}, "", None)), 600.0)
        shortlist.append((time.perf_counter() - started) * 1000)
        film = f"film-{i % args.films:04d}"
        started = time.perf_counter()
        encoder.embed_texts([texts[i]])
        encode.append((time.perf_counter() - started) * 1000)
        shards.ask("nearest", {plan.of(film): ("frames", MODEL, q, 10, [film])}, 600.0)
        one.append((time.perf_counter() - started) * 1000)
        if i < args.queries // 4:  # each shard alone, as on a node of its own
            times = []
            for k in range(plan.count):
                started = time.perf_counter()
                shards.ask("nearest", {k: ("frames", MODEL, q, 10, None)}, 600.0)
                times.append((time.perf_counter() - started) * 1000)
            alone.append(max(times))
    about, _ = shards.ask("about", every, 60.0)
    front = rss_mb()
    truth = exact_truth(films, args.films, queries)
    recall = [len(g & t) / 10 for g, t in zip(got, truth, strict=True)]
    p95 = lambda xs: statistics.quantiles(xs, n=20)[-1]  # noqa: E731
    result = {"films": args.films, "shards": plan.count,
              "films_per_shard": "/".join(str(about[k]["videos"]) for k in sorted(about)),
              "p50_ms": round(statistics.median(whole), 1), "p95_ms": round(p95(whole), 1),
              "shortlist_p50_ms": round(statistics.median(shortlist), 1),
              "shortlist_p95_ms": round(p95(shortlist), 1),
              "one_film_p50_ms": round(statistics.median(one), 1),
              "one_film_p95_ms": round(p95(one), 1),
              "text_encoding_p50_ms": round(statistics.median(encode), 1),
              "slowest_shard_alone_p50_ms": round(statistics.median(alone), 1),
              "slowest_shard_alone_p95_ms": round(p95(alone), 1),
              "recall_at_10": round(float(np.mean(recall)), 3),
              "shard_rss_mb": "/".join(str(about[k]["rss_mb"]) for k in sorted(about)),
              "front_rss_mb": round(front), "open_s": round(open_s, 1)}
    shards.close()
    print(f"{args.queries} queries, each with its text encoding; nearest 10 frames of the whole "
          "library merged from every shard (asked at once); shortlist: nearest frames and "
          "dialogue windows at once, as the app's; one film: its shard alone; slowest shard "
          f"alone: each shard asked on its own ({len(alone)} queries), the slowest")
    print(table(list(result), [list(result.values())]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
