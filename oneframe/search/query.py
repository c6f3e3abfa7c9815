"""A query, parsed once where the user's words enter (a page, the command line, the API) and
passed whole to every stage: the store's shortlist (each channel its own part, excluded words
out), the ranker, the highlighter and "Read as"."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from oneframe.core.errors import OneframeError
from oneframe.dialogue.languages import script_language
from oneframe.dialogue.text import words
from oneframe.search.dialog_query import DialogQuery
from oneframe.search.query_parts import QueryParts, check_query, written


@dataclass(frozen=True)
class Query:
    """What is asked: words (``text``, parsed into ``parts``), an image, or a stored frame
    (``like``: a video and a time in it)."""

    text: str | None = None
    parts: QueryParts | None = None
    image: np.ndarray | None = field(default=None, compare=False)
    like: tuple[str, float] | None = None

    @classmethod
    def of(cls, text: str | None = None, *, image: np.ndarray | None = None,
           like: tuple[str, float] | None = None) -> Query:
        """A query from what the user gave; OneframeError where it is nothing, or words that
        can't be a query (too long, not text)."""
        if not (text and text.strip()) and image is None and like is None:
            raise OneframeError("Type what you remember seeing or hearing, or choose an image.")
        if image is not None or like is not None or not text:
            return cls(None, None, image, like)
        return cls(check_query(text), QueryParts.parse(text))

    @property
    def by_words(self) -> bool:
        return self.parts is not None

    @functools.cached_property
    def readings(self) -> list[DialogQuery]:
        """How the dialogue reads it (:meth:`DialogQuery.readings`); none for an image."""
        return DialogQuery.readings(self.parts) if self.parts is not None else []

    @property
    def picture_text(self) -> str | None:
        """What the picture model is asked (the seen part, else all of it, its syntax out)."""
        return self.parts.picture_text if self.parts is not None else None

    @property
    def exclude(self) -> tuple[str, ...]:
        return self.parts.exclude if self.parts is not None else ()

    @property
    def exact(self) -> tuple[str, ...]:
        return self.parts.exact if self.parts is not None else ()

    @property
    def line_words(self) -> str:
        """What a full-text index of lines is asked: the text the dialogue reads as typed
        (each language's index normalises it its own way: "1984" stays digits in French), the
        words the query leaves out (``-word``) left out."""
        if self.parts is None:
            return ""
        left_out = {w for word in self.exclude for w in words(word)}
        said = self.parts.said if self.parts.marked else self.parts.whole
        return " ".join(token for token in said.split()
                        if not set(words(token)) <= left_out or not words(token))

    @property
    def language(self) -> str | None:
        """The language its script tells (None for Latin script, or no words)."""
        return script_language(self.text) if self.text else None

    def weight(self, default: float) -> float:
        """The picture's share the query suggests (``default`` for a plain one)."""
        return self.parts.suggested_weight(default) if self.parts is not None else default

    def editable(self) -> tuple[str, str]:
        """``(seen, said)`` as a user edits them (phrases that must be said in quotes)."""
        return self.parts.editable() if self.parts is not None else ("", "")

    @staticmethod
    def written(seen: str, said: str, exclude: tuple[str, ...] = ()) -> str:
        """The words of a query that reads back as ``seen`` and ``said``, keeping its
        ``-word`` exclusions."""
        return written(seen, said, exclude)

    def describe(self) -> str:
        """How it was read, as "Read as" shows it; "" for a plain query."""
        return self.parts.describe() if self.parts is not None else ""
