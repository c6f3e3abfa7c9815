"""Progress reporting by callback: the core calls ``progress(stage, done, total)``."""

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``(stage, done, total)``; ``total`` is 0 when it is not known."""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default callback: report nothing."""
