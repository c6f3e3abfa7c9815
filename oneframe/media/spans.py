"""What a cut is made of: spans of stored videos and the lines said in them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

Line = tuple[float, float, str]
"""A line of dialogue: start and end in seconds (of the video it is in), and its text."""


@dataclass(frozen=True)
class Span:
    """A stretch of one video to cut: ``start`` to ``end`` seconds, with its lines."""

    video: Path
    start: float
    end: float
    lines: Sequence[Line] = field(default=())
