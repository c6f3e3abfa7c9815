"""Where an ingest's time goes: seconds per stage, as the thread that ran it saw them.

Each stage adds the wall seconds it ran and the CPU seconds of its own thread (an engine's
worker threads, ONNX Runtime's or FFmpeg's, are not in the latter). Stages that overlap (the
video is decoded in one thread while the last frames are embedded in another) add up to more
than the ingest took; ``bench/ingest.py`` prints them beside the cores kept busy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_SPENT: dict[str, list[float]] = {}
_LOCK = threading.Lock()


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Count what the block takes towards ``stage``."""
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        add(stage, time.perf_counter() - wall, time.thread_time() - cpu)


def add(stage: str, wall: float, cpu: float) -> None:
    with _LOCK:
        spent = _SPENT.setdefault(stage, [0.0, 0.0])
        spent[0] += wall
        spent[1] += cpu


def spent() -> dict[str, tuple[float, float]]:
    """``{stage: (wall seconds, CPU seconds of its thread)}`` since the process started, or
    since the last ``reset``."""
    with _LOCK:
        return {stage: (wall, cpu) for stage, (wall, cpu) in _SPENT.items()}


def reset() -> None:
    with _LOCK:
        _SPENT.clear()
