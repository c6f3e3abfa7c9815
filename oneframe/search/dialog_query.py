"""A query as dialogue matching reads it: its words as each language writes them, the frame of
a line told in reported speech ("Emo *tells Proog* ..."), its core, and the names it gives."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oneframe.dialogue.languages import common_words
from oneframe.dialogue.text import split_reported_speech, words


@dataclass
class DialogQuery:
    """A query prepared once for every video: its words (as each language writes them), its
    reported-speech frame (English), its core."""

    text: str
    core: str
    tokens: list[str]
    frame: frozenset[str]
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    """Who the whole query names (``QueryParts.names``): a video whose lines say them is
    likelier the one meant (``DialogScores.named``)."""
    _by_lang: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, text: str, names: frozenset[str] = frozenset()) -> DialogQuery:
        core, frame = split_reported_speech(text)
        return cls(text, core, words(text), frame, names=names)

    def tokens_for(self, lang: str) -> list[str]:
        """Its words as ``lang``'s lines are written (English spells digits, others don't)."""
        if lang == "en":
            return self.tokens
        if lang not in self._by_lang:
            self._by_lang[lang] = words(self.text, lang)
        return self._by_lang[lang]

    def frame_for(self, lang: str) -> frozenset[str]:
        return self.frame if lang == "en" else frozenset()

    def content_for(self, lang: str) -> frozenset[str]:
        """Its words that can make a match in ``lang``: not common words, not the
        reported-speech frame (where the frame is all there is, its own words)."""
        common = common_words(lang)
        own = frozenset(t for t in self.tokens_for(lang) if t not in common)
        return (own - self.frame_for(lang)) or own

    @property
    def content(self) -> frozenset[str]:
        return self.content_for("en")
