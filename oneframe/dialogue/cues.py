"""What every dialogue source becomes: cues (a span and its words), and the text clean-up and
word grouping that caption files, rolling auto-captions and speech share.

Imports go one way: captions (files) -> rolling (YouTube's rolling captions) -> cues; speech
and subtitle tracks -> cues.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

MAX_CUE_CHARS = 64
MAX_CUE_SECONDS = 6.0
MAX_PAUSE_SECONDS = 1.0
MAX_WORD_SECONDS = 2.0


@dataclass(frozen=True)
class Cue:
    """One caption: a span of seconds and the words said in it."""

    start: float
    end: float
    text: str
    source: str = ""
    """Empty for a caption file, the site's captions or a subtitle track; ``burned-in`` for
    subtitles read from the picture; ``speech`` for a transcript of the audio."""

    def to_json(self) -> dict[str, Any]:
        row = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}
        if self.source:
            row["source"] = self.source
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Cue:
        return cls(float(row["start"]), float(row["end"]), str(row["text"]),
                   str(row.get("source", "")))


@dataclass(frozen=True)
class RawCue:
    """A parsed cue before cleaning: times in seconds, text with its markup."""

    start: float
    end: float
    raw: str


_TAG = re.compile(r"<[^<>\n]*>")
_SSA_OVERRIDE = re.compile(r"\{\\[^{}\n]*\}")
_SOUND_TAG = re.compile(r"\[[^\[\]\n]*\]|\([^()\n]*\)")
_MUSIC_NOTES = re.compile(r"[♪♫♩♬]+")
_SPEAKER_MARK = re.compile(r"^\s*(?:>>+|-+(?=\s)|–|—)\s*")
_SPEAKER_LABEL = re.compile(r"^\s*[A-Z][A-Z0-9 .'\-]{1,30}:\s+")
_SPACES = re.compile(r"\s+")


_C1 = re.compile("[\x80-\x9f]")


def _windows_1252(found: re.Match[str]) -> str:
    """A C1 control as the Windows-1252 letter it was before a wrong conversion (a file
    converted to UTF-8 as if it were Latin-1 keeps ’ as U+0092)."""
    try:
        return found.group().encode("latin-1").decode("cp1252")
    except UnicodeDecodeError:
        return " "


def clean_text(raw: str) -> str:
    """Dialogue text of a cue: markup, speaker labels, sound tags and music notes removed;
    Windows-1252 punctuation mis-converted to C1 controls restored."""
    if not raw.isascii():
        raw = _C1.sub(_windows_1252, raw)
    lines = []
    for line in raw.replace("|", "\n").split("\n"):
        line = html.unescape(_SSA_OVERRIDE.sub("", _TAG.sub("", line)))
        line = _SPEAKER_LABEL.sub("", _SPEAKER_MARK.sub("", line))
        line = _MUSIC_NOTES.sub(" ", _SOUND_TAG.sub(" ", line))
        line = _SPEAKER_MARK.sub("", line)
        if line.strip():
            lines.append(line.strip())
    return _SPACES.sub(" ", " ".join(lines)).strip()


@dataclass(frozen=True)
class Word:
    """A spoken word and when it is said."""

    text: str
    start: float
    end: float


_SENTENCE_END = re.compile(r"[.?!…][\"')\]]*$")
_ABBREVIATION = re.compile(r"^(?:mr|mrs|ms|dr|st|vs|etc|no)\.$", re.I)


def group_words(words: list[Word], sentences: bool = False) -> list[Cue]:
    """Readable cues: a new cue after a pause, or when one would grow too long; with
    ``sentences`` (punctuated speech), also after each sentence, as a subtitler would cut."""
    cues: list[Cue] = []
    group: list[Word] = []
    for word in words:
        ended = bool(sentences and group and _SENTENCE_END.search(group[-1].text)
                     and not _ABBREVIATION.match(group[-1].text))
        if group and (
            ended
            or word.start - group[-1].end > MAX_PAUSE_SECONDS
            or word.start - group[0].start > MAX_CUE_SECONDS
            or sum(len(w.text) + 1 for w in group) + len(word.text) > MAX_CUE_CHARS
        ):
            cues.append(_cue(group))
            group = []
        group.append(word)
    if group:
        cues.append(_cue(group))
    return cues


def _cue(words: list[Word]) -> Cue:
    return Cue(words[0].start, max(w.end for w in words), " ".join(w.text for w in words))


