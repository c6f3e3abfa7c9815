"""A query as dialogue matching reads it: its words as each language writes them, the frame of
a line told in reported speech ("Emo *tells Proog* ..."), its core, and the names it gives."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oneframe.dialogue.text import common_words, split_reported_speech, words
from oneframe.search.query_parts import QueryParts


@dataclass
class DialogQuery:
    """A query prepared once for every video: its words (as each language writes them), its
    reported-speech frame (English), its core."""

    text: str
    core: str
    tokens: list[str]
    frame: frozenset[str]
    hint: str = ""
    """Words a parse took for narration or the picture: a frame in every language."""
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    """Who the whole query names (``QueryParts.names``): a video whose lines say them is
    likelier the one meant (``DialogScores.named``)."""
    _by_lang: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, text: str, names: frozenset[str] = frozenset()) -> DialogQuery:
        """``text`` as its reported-speech frame reads it ("Emo tells Proog ...")."""
        core, frame = split_reported_speech(text)
        return cls(text, core, words(text), frame, names=names)

    @classmethod
    def literal(cls, text: str, names: frozenset[str] = frozenset(),
                hint: str = "", core: str | None = None) -> DialogQuery:
        """``text`` word for word: every word of it may be the line's; the words of ``hint``
        (what a parse took for narration or the picture) count as a frame does; ``core``
        (default all of it) is what its meaning is taken from."""
        return cls(text, text if core is None else core, words(text), frozenset(words(hint)),
                   hint, names=names)

    @classmethod
    def readings(cls, parts: QueryParts) -> list[DialogQuery]:
        """How the dialogue reads a query: first word for word (what follows ``said:`` where
        the query marks it, else all of it; the words its parse took for narration or the
        picture weigh as a frame, its meaning is the said part's), then as its parse reads it
        (the said part, its reported-speech frame apart) where that differs. A parse is a
        hint: it adds a reading and weighs words, never takes the query's own words away."""
        said = parts.said if parts.marked else parts.whole
        said_words = set(words(parts.said))
        hint = "" if parts.marked or not parts.split else " ".join(
            t for t in f"{parts.narration} {parts.seen}".split()
            if not set(words(t)) <= said_words)
        parsed = cls.parse(parts.dialogue_text, parts.names)
        # its meaning is the said part's: names and narration pull towards other lines
        readings = [cls.literal(said, parts.names, hint, parsed.core)]
        if parsed.frame or parsed.tokens != readings[0].tokens:
            readings.append(parsed)
        return readings

    def tokens_for(self, lang: str) -> list[str]:
        """Its words as ``lang``'s lines are written (English spells digits, others don't)."""
        if lang == "en":
            return self.tokens
        if lang not in self._by_lang:
            self._by_lang[lang] = words(self.text, lang)
        return self._by_lang[lang]

    def frame_for(self, lang: str) -> frozenset[str]:
        """Its frame as ``lang`` writes it: a reported-speech frame is English's; a parse's
        hint is every language's."""
        if lang == "en":
            return self.frame
        if not self.hint:
            return frozenset()
        if f"frame:{lang}" not in self._by_lang:
            self._by_lang[f"frame:{lang}"] = words(self.hint, lang)
        return frozenset(self._by_lang[f"frame:{lang}"])

    def content_for(self, lang: str) -> frozenset[str]:
        """Its words that can make a match in ``lang``: not common words, not the
        reported-speech frame (where the frame is all there is, its own words)."""
        common = common_words(lang)
        own = frozenset(t for t in self.tokens_for(lang) if t not in common)
        return (own - self.frame_for(lang)) or own

    @property
    def content(self) -> frozenset[str]:
        return self.content_for("en")
