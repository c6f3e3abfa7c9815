"""YouTube rolling auto-captions -> each spoken word once, at its own time, in readable cues.

YouTube shows two lines at a time: each cue repeats the previous line above a new one whose
words carry inline ``<00:00:01.234>`` timings, and a 10 ms cue between them repeats the new line
alone. Read naively, every word appears two or three times. Here a line counts as new when it
carries inline timings or is not one of the previous cue's lines.
"""

from __future__ import annotations

import re
from itertools import pairwise

from oneframe.dialogue.cues import MAX_WORD_SECONDS, Cue, RawCue, Word, clean_text, group_words

_INLINE_TIME = re.compile(r"<((?:\d+:)?\d{1,2}:\d{2}\.\d{3})>")
_TAG_OR_TEXT = re.compile(r"<([^<>\n]*)>|([^<]+|<)")

def _lines(raw: str) -> list[str]:
    return [line for line in raw.split("\n") if clean_text(line)]


def is_rolling(raw_cues: list[RawCue]) -> bool:
    """True for rolling captions: inline word timings, or lines carried over cue to cue."""
    if any(_INLINE_TIME.search(cue.raw) for cue in raw_cues):
        return True
    if len(raw_cues) < 4:
        return False
    lines = [[clean_text(line) for line in _lines(cue.raw)] for cue in raw_cues]
    carried = sum(1 for a, b in pairwise(lines) if a and b and b[0] == a[-1])
    return carried >= 0.3 * (len(raw_cues) - 1)


def _seconds(stamp: str) -> float:
    parts = [float(p) for p in stamp.split(":")]
    return sum(value * 60**i for i, value in enumerate(reversed(parts)))


def _timed_words(line: str, start: float) -> list[tuple[str, float]]:
    """Words of one cue line, each at its inline timing (the first at the cue's start)."""
    words: list[tuple[str, float]] = []
    now = start
    for match in _TAG_OR_TEXT.finditer(line):
        tag, text = match.group(1), match.group(2)
        if tag is not None:
            if _INLINE_TIME.fullmatch(f"<{tag}>"):
                now = _seconds(tag)
            continue
        words.extend((word, now) for word in clean_text(text).split())
    return words


def rolling_words(raw_cues: list[RawCue]) -> list[Word]:
    """Every spoken word once, in order, with its start and a bounded end."""
    timed: list[tuple[str, float, float]] = []
    previous: set[str] = set()
    for cue in raw_cues:
        lines = _lines(cue.raw)
        for line in lines:
            if _INLINE_TIME.search(line) or clean_text(line) not in previous:
                timed.extend((w, t, cue.end) for w, t in _timed_words(line, cue.start))
        previous = {clean_text(line) for line in lines}
    words = []
    for i, (text, start, cue_end) in enumerate(timed):
        following = timed[i + 1][1] if i + 1 < len(timed) else cue_end
        end = min(max(following, start), max(cue_end, start), start + MAX_WORD_SECONDS)
        words.append(Word(text, start, end))
    return words


def rolling_cues(raw_cues: list[RawCue]) -> list[Cue]:
    """Cleaned cues of a rolling caption file."""
    return group_words(rolling_words(sorted(raw_cues, key=lambda c: c.start)))
