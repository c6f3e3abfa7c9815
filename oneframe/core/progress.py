"""Progress reporting by callback: the core calls ``progress(stage, done, total)``."""

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``(stage, done, total)``; ``total`` is 0 when it is not known.

A callback may raise to cancel: the core unwinds as on any failure, leaving the library as it
was. Nothing is reported once the video is committed, so a cancel never meets a finished ingest.
"""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default callback: report nothing."""
