"""Progress reporting by callback: the core calls ``progress(stage, done, total)``."""

from collections.abc import Callable
from contextvars import ContextVar
from enum import StrEnum


class Stage(StrEnum):
    """The steps of adding a video, in the order they begin (frames, embedding and OCR run
    together while the video is read). Their values are what older callers compared with."""

    PROBE = "probe"
    DOWNLOAD = "download"
    CAPTIONS = "captions"
    SPEECH = "speech"
    SUBTITLES = "subtitles"
    FRAMES = "frames"
    EMBED = "embed"
    OCR = "ocr"
    DIALOG = "dialog"
    SAVE = "save"
    EXPORT = "export"
    """Not an ingest's: a clip or supercut being written (seconds of it done)."""


Progress = Callable[[Stage, int, int], None]
"""``(stage, done, total)``; ``total`` is 0 when it is not known.

A callback may raise to cancel: the core unwinds as on any failure, leaving the library as it
was. Nothing is reported once the video is committed, so a cancel never meets a finished ingest.
"""


def no_progress(stage: Stage, done: int, total: int) -> None:
    """The default callback: report nothing."""


STOP: ContextVar[Callable[[], None] | None] = ContextVar("oneframe_stop", default=None)
"""Set by whoever runs the work (a job of the queue): raises where it was cancelled."""


def checkpoint() -> None:
    """Stop here if the work was cancelled: for long loops that report no progress (parsing
    a caption file of hundreds of thousands of lines)."""
    stop = STOP.get()
    if stop is not None:
        stop()
