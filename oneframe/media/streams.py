"""Reading a stored video with PyAV: what it is (rate, size, length), its frames from a time
on, its sound; the files a cut reads kept open while it runs. Nothing here decodes more than
asked: a seek to the keyframe before, then frames as they decode."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.core.errors import VideoError


@dataclass(frozen=True)
class Facts:
    """What a video stream is: frames a second, size, length."""

    fps: Fraction
    width: int
    height: int
    seconds: float
    audio: bool = False
    """Whether it has a sound track."""


def facts(path: Path) -> Facts:
    """The frame rate, size and length of ``path``'s video; VideoError if it has none. Read
    once per version of the file (a card's menu asks at every rerun; opening a two-hour MP4
    reads its whole index)."""
    try:
        info = path.stat()
    except OSError as exc:
        raise VideoError(f"{path.name} can't be read as a video ({exc.strerror}).") from exc
    return _facts(path, info.st_size, info.st_mtime_ns, info.st_ino)


@functools.lru_cache(maxsize=512)
def _facts(path: Path, size: int, mtime: int, inode: int) -> Facts:
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(25)
            seconds = (float(stream.duration * stream.time_base) if stream.duration
                       and stream.time_base else (container.duration or 0) / 1e6)
            return Facts(Fraction(rate), stream.codec_context.width,
                         stream.codec_context.height, seconds, bool(container.streams.audio))
    except (av.FFmpegError, OSError, IndexError) as exc:
        raise VideoError(f"{path.name} can't be read as a video ({exc}).") from exc


_OPEN: ContextVar[dict[Path, Any] | None] = ContextVar("oneframe_cut_sources", default=None)
"""The source files a cut has open (see :func:`sources`): opened once each (an MP4's index of
a two-hour film takes a fraction of a second to read), whatever reads them how often."""


@contextmanager
def reading(path: Path) -> Iterator[Any]:
    """``path`` opened by PyAV: the cut's own where one is under way, else for this read."""
    import av

    sources = _OPEN.get()
    if sources is None:
        with av.open(str(path)) as container:
            yield container
        return
    if path not in sources:
        sources[path] = av.open(str(path))
    yield sources[path]


@contextmanager
def sources() -> Iterator[None]:
    """Keep the files a cut reads open until it ends."""
    token = _OPEN.set({})
    try:
        yield
    finally:
        for container in (_OPEN.get() or {}).values():
            container.close()
        _OPEN.reset(token)


def frames(path: Path, start: float) -> Iterator[tuple[float, Any]]:
    """``(time, frame)`` of ``path``'s video from the frame on screen at ``start`` on."""
    with reading(path) as container:
        stream = container.streams.video[0]
        if not stream.codec_context.is_open:
            stream.thread_type = "AUTO"
        base = stream.time_base or Fraction(1, 1000)
        container.seek(max(0, int(start / base)), stream=stream, backward=True)
        held = None
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            at = float(frame.pts * base)
            if at <= start + 1e-6:  # still before (or at) the moment: the latest one counts
                held = (at, frame)
                continue
            if held is not None:
                yield held
                held = None
            yield at, frame
        if held is not None:
            yield held


def audio(path: Path, start: float, end: float, resampler: Any,
          rate: int) -> Iterator[np.ndarray]:
    """``(2, n)`` float32 samples of ``path``'s sound from ``start`` to ``end``, as
    ``resampler`` makes them (stereo at ``rate``)."""
    with reading(path) as container:
        if not container.streams.audio:
            return
        stream = container.streams.audio[0]
        base = stream.time_base or Fraction(1, rate)
        container.seek(max(0, int(start / base)), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            at = float(frame.pts * base)
            if at >= end:
                return
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(2, -1)
                skip = max(0, round((start - at) * rate))
                if skip < samples.shape[1]:
                    yield samples[:, skip:]
