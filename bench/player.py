"""What keeping the player open costs each rerun: ``st.video`` of a file path (Streamlit reads
and hashes the whole file, and keeps it in memory) against the URL of Home.py's video route
(the browser fetches byte ranges; the rerun sends a link).

    .venv/bin/python bench/player.py
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit.testing.v1 import AppTest

from bench.common import cpu_summary, generated_video, table

SCRIPT = """
import time
import streamlit as st
start = time.perf_counter()
st.video(SOURCE, start_time=120)
st.session_state.setdefault("ms", []).append((time.perf_counter() - start) * 1000)
"""


def per_rerun_ms(source: str, runs: int = 10) -> float:
    app = AppTest.from_string(SCRIPT.replace("SOURCE", repr(source)), default_timeout=300)
    for _ in range(runs + 1):
        app.run()
    return statistics.median(app.session_state["ms"][1:])


def main() -> None:
    print(cpu_summary())
    video = generated_video()
    size = video.stat().st_size / 1e6
    rows = [["file path (before)", f"{size:.0f} MB", per_rerun_ms(str(video))],
            ["video route URL (now)", f"{size:.0f} MB",
             per_rerun_ms("http://127.0.0.1:8501/oneframe/video/file-0123456789abcdef")]]
    print(f"st.video per rerun while the player is open; cores: {len(os.sched_getaffinity(0))}")
    print(table(["source", "video size", "p50 ms"], rows))
    print(f"scaled to a 2 GB film, the path costs about {rows[0][2] * 2000 / size:.0f} ms a rerun")


if __name__ == "__main__":
    main()
