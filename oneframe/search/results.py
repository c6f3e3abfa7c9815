"""What a search returns: moments (hits) with their score parts, and per-video timelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.library.folders import VideoRecord


@dataclass
class Hit:
    """One moment: where, how well it matched (fused and per channel), and what was said."""

    video: str
    title: str
    time: float
    score: float
    visual: float | None
    """The picture's score; None where it was not scored (dialogue only, at visual weight 0)."""
    dialog: float | None
    text: str
    segments: list[tuple[str, bool]]
    frame: Path
    url: str | None
    frame_index: int
    source: str | None = None
    start: float | None = None
    """Where to play from: the start of the matched line, or a little before a picture match."""
    matched_line: bool = False
    """Whether ``text`` is the dialogue that matched, rather than what is said at the moment."""
    frame_time: float | None = None
    """The time of the frame shown (``time`` may be the start of the line instead)."""
    source_name: str | None = None
    """``source`` as users read it: "English subtitle track", "burned-in subtitles"."""
    span: tuple[float, float] | None = None
    """What the moment covers: the matched lines, from the start of the first to the end of
    the last; else the frame's shot, until the next kept frame."""
    pictured: bool = True
    """Whether the video's picture is in the library; False for a dialogue-only entry (its
    picture not fetched yet: no frame to show, no file to play, ``visual`` None)."""

    def __post_init__(self) -> None:
        if self.start is None:
            self.start = self.time
        if self.frame_time is None:
            self.frame_time = self.time
        if self.span is None:
            self.span = (self.time, self.time)

    def same_moment(self, other: Hit, tolerance: float = 1.0) -> bool:
        """Whether two hits (of two queries, say) are one moment: the same video, and spans
        that overlap or times within ``tolerance`` seconds of each other."""
        assert self.span is not None and other.span is not None
        return self.video == other.video and (
            (self.span[0] <= other.span[1] and other.span[0] <= self.span[1])
            or abs(self.time - other.time) < tolerance)

    @property
    def marked(self) -> str:
        """The caption text with matched words in ``**bold**``."""
        return "".join(f"**{piece}**" if hit else piece for piece, hit in self.segments)

    def to_json(self) -> dict[str, Any]:
        assert self.span is not None
        return {"video": self.video, "time": round(self.time, 3),
                "start": round(float(self.start or 0.0), 3),
                "span": [round(self.span[0], 3), round(self.span[1], 3)],
                "matched_line": self.matched_line, "score": round(self.score, 4),
                "visual": None if self.visual is None else round(self.visual, 4),
                "dialog": None if self.dialog is None else round(self.dialog, 4),
                "text": self.text, "marked": self.marked, "frame": str(self.frame),
                "url": self.url, "title": self.title, "source": self.source,
                "pictured": self.pictured}


@dataclass
class Timeline:
    """Per-frame channel scores of one video, for a relevance chart."""

    times: np.ndarray
    visual: np.ndarray
    dialog: np.ndarray | None
    fused: np.ndarray


@dataclass
class SearchResult:
    hits: list[Hit]
    timelines: dict[str, Timeline] = field(default_factory=dict)
    dialog_absent: bool = False
    min_score: float = 0.0
    """Moments scoring below this were left out."""
    by_image: bool = False
    """The query was an image or a stored frame: dialogue was not scored."""
    warnings: list[str] = field(default_factory=list)
    """Videos left out (a model that can't be loaded), dialogue matched by words only."""


SOURCE_NAMES = {"manual": "captions", "auto": "auto-captions", "file": "caption file",
                "track": "subtitle track", "burned-in": "burned-in subtitles",
                "speech": "transcribed speech"}


def source_name(record: VideoRecord, source: str | None) -> str:
    """How a video's dialogue source reads to users: "caption file", "English subtitle track"."""
    if source == "track" and record.track:
        from oneframe.dialogue.tracks import Track

        try:
            return Track(**record.track).label()
        except TypeError:
            pass
    return SOURCE_NAMES.get(source or "", source or "captions")


def moment_url(record: VideoRecord, seconds: float) -> str | None:
    """A link that opens the video at ``seconds``: YouTube's ``&t=``, else a media fragment."""
    whole = max(int(seconds), 0)
    if record.id.startswith("yt-") and record.url:
        return f"{record.url}&t={whole}"
    if record.video_path is not None:
        return f"{record.video_path.resolve().as_uri()}#t={seconds:.1f}"
    return record.url
