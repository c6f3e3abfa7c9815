"""Dashboard speed: a search-page rerun after a slider move and after a new query.

Usage: .venv/bin/python bench/app.py [--runs 20]
The library holds one two-hour film (7,200 frames with thumbnails, 1,800 real cues with their
sentence embeddings); the model has ViT-B/32's architecture (random weights, the real cost).
Pages run in Streamlit's AppTest, the real page code end to end minus the browser.
Target: at most 300 ms after a slider move.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import cv2
import numpy as np
import search as search_bench
from common import OUT, ROOT, cpu_summary, table, use_bench_models
from streamlit.testing.v1 import AppTest

from oneframe.library.folders import Library


def thumbnails(library: Library, vid: str) -> None:
    """Small JPEG frames for the film, as ingest would write (the page shows them)."""
    folder = library.root / vid / "frames"
    if len(list(folder.glob("*.jpg"))) >= search_bench.FRAMES:
        return
    rng = np.random.default_rng(0)
    for i in range(search_bench.FRAMES):
        image = np.full((288, 512, 3), rng.integers(0, 255, 3), np.uint8)
        cv2.imwrite(str(folder / f"{i:06d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 85])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(cpu_summary())
    model = use_bench_models()
    library = Library(OUT / "app-library")
    search_bench.build(library, 1, model)
    thumbnails(library, "film-00")
    os.environ["ONEFRAME_LIBRARY"] = str(library.root)

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/search.py")
    at.run()
    queries = search_bench.queries(args.runs + 1)
    at.text_input(key="query").input(queries[0]).run()  # warm: index and models loaded
    slider, fresh = [], []
    for i in range(args.runs):
        started = time.perf_counter()
        at.slider(key="weight").set_value(round((i % 11) / 10, 2)).run()
        slider.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        at.text_input(key="query").input(queries[i + 1]).run()
        fresh.append((time.perf_counter() - started) * 1000)
        assert not at.exception, at.exception
    rows = []
    for name, spent in (("slider move", slider), ("new query", fresh)):
        q = statistics.quantiles(spent, n=20)
        rows.append([name, len(spent), statistics.median(spent), q[-1], max(spent)])
    print(f"search page, one two-hour film (7,200 frames, 1,800 cues); cores: {os.cpu_count()}")
    print(table(["rerun after", "runs", "p50 ms", "p95 ms", "max ms"], rows))


if __name__ == "__main__":
    main()
