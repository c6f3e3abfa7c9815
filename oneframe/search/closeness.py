"""Lines a query quotes: word for word or nearly, and runs of its words.

* **near-exact**: a query that matches one line, or two consecutive lines, almost entirely
  (punctuation, case and contractions aside, a word left out, added, changed or two swapped:
  ``allowed_edits`` word edits, by optimal string alignment) *is* that line, whatever words it
  holds; a query of ``RUN`` words or more that nearly quotes a stretch of a line quotes it in
  part (as much as the share of the line it quotes). Its window scores ``NEAR_FLOOR`` to 1 by
  how close, and every other window of the query stays below ``NEAR_FLOOR``.
* **runs**: ``RUN`` or more consecutive words of the query standing word for word in a line
  make that line a match even where each word alone is common ("tell me about it"); muting
  common words is for queries that are noise ("in", "one").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from rapidfuzz.distance import OSA

from oneframe.dialogue.cues import Cue
from oneframe.dialogue.text import unspaced, words

NEAR_FLOOR = 0.95
"""A near-exact line's score at the most edits allowed; the exact line scores 1."""
RUN = 3
"""Consecutive query words that find a line even where each is common."""
EDITED_STRETCH = 6
"""Words a stretch must have to quote a stretch of a line (or stand in the query) with an
edit: a shorter one that differs by a word is mostly its common words."""
LETTERS_A_WORD = 2
"""Letters counted as a word in a script written without spaces."""


class WordLines(Protocol):
    """What closeness reads of the dialogue: each cue's words, and per word the cues holding
    it."""

    cues: list[Cue]
    cue_words: list[tuple[str, ...]]
    vocab: dict[str, int]

    @property
    def word_counts(self) -> np.ndarray:
        """Per cue, how many words it holds."""

    @property
    def distinct_words(self) -> np.ndarray:
        """Per cue, how many distinct words it holds."""

    def cues_with(self, word: str) -> np.ndarray: ...


def allowed_edits(length: int) -> int:
    """Word edits a query of ``length`` words (or the line, whichever is longer) may differ
    by and still quote it: none under four words, one to six, then about one in seven."""
    return 0 if length < 4 else max(1, round(length * 0.15))


def allowed_edits_of(lengths: np.ndarray) -> np.ndarray:
    """:func:`allowed_edits` of each of ``lengths``."""
    return np.where(lengths < 4, 0, np.maximum(1, np.round(lengths * 0.15))).astype(np.int64)


def squashed(text: str, lang: str) -> list[str]:
    """``text``'s words with apostrophes dropped rather than contractions expanded ("dont",
    "its"), as people type a line they quote."""
    return words(text.replace("'", "").replace("’", ""), lang)


def near_exact(lines: WordLines, text: str, tokens: Sequence[str], lang: str,
               allowed: np.ndarray, pairs: np.ndarray) -> dict[tuple[int, int], float]:
    """``{(first cue, number of cues): closeness}`` for the lines (one cue, or a cue and the
    next where ``pairs`` says they form a window) that a query quotes near-exactly, whole or
    in part: its ``text``, as ``tokens`` in ``lang``; only cues where ``allowed`` (those of
    videos in ``lang``) are considered. Lines are checked only where their length and the
    query's words they hold leave room for a quote."""
    if any(unspaced(c) for c in text):  # matched by letters: a word is about two
        return _near_by_letters(lines, text, tokens, allowed, pairs)
    size = len(tokens)
    if size < RUN:
        return {}
    held, known = _held(lines, tokens)
    slack = int(lang == "en")  # one contraction typed without its apostrophe ("dont")
    lengths, sizes = lines.word_counts, lines.distinct_words
    singles = np.flatnonzero(_room(held, lengths, size, known, slack) & allowed | (
        (held >= known - allowed_edits(size)) & (lengths > size) & allowed) | (
        (sizes > RUN) & (held >= sizes - allowed_edits_of(sizes)) & (lengths < size) & allowed))
    doubles = np.flatnonzero(_room(held[:-1] + held[1:], lengths[:-1] + lengths[1:], size,
                                   known, slack) & pairs[:-1] & allowed[:-1])
    query = list(tokens)
    typed = squashed(text, lang) if lang == "en" else None
    found: dict[tuple[int, int], float] = {}
    for first, count in [(int(c), 1) for c in singles] + [(int(c), 2) for c in doubles]:
        line = [w for c in range(first, first + count) for w in lines.cue_words[c]]
        best = closeness(query, line, count == 1)
        said = " ".join(lines.cues[c].text for c in range(first, first + count))
        if typed is not None and "'" in said.replace("’", "'"):
            best = max(best, closeness(typed, squashed(said, lang), count == 1))
        if best > 0:
            found[(first, count)] = best
    _exchanges(found, lines, query, pairs)
    return found


def _exchanges(found: dict[tuple[int, int], float], lines: WordLines, query: list[str],
               pairs: np.ndarray) -> None:
    """Two consecutive lines that stand in a query one after the other ("<one line> and she
    says <the next>") are quoted together, as much as both: found where the exchange
    starts."""
    for (first, count), value in list(found.items()):
        after = found.get((first + 1, 1))
        if count != 1 or not after or not pairs[first]:
            continue
        one, two = (_where(lines.cue_words[c], query) for c in (first, first + 1))
        if one[0] > 0 and two[0] > 0 and one[2] <= two[1]:
            found[(first, 2)] = max(found.get((first, 2), 0.0), min(1.0, value + after))


def _held(lines: WordLines, tokens: Sequence[str]) -> tuple[np.ndarray, int]:
    """Per cue, how many of the distinct ``tokens`` it holds; how many some cue holds."""
    held = np.zeros(len(lines.cues), np.int32)
    known = 0
    for word in set(tokens):
        holding = lines.cues_with(word)
        held[holding] += 1
        known += bool(len(holding))
    return held, known


def _near_by_letters(lines: WordLines, text: str, tokens: Sequence[str],
                     allowed: np.ndarray, pairs: np.ndarray) -> dict[tuple[int, int], float]:
    """:func:`near_exact` for a script written without spaces: letter by letter, two
    letters counted as a word ("バラバラだぞ" is three words, not six)."""
    query = _letters(text)
    if len(query) < LETTERS_A_WORD * RUN:
        return {}
    held, known = _held(lines, tokens)
    found: dict[tuple[int, int], float] = {}
    enough = (known + 1) // 2
    singles = np.flatnonzero((held >= enough) & allowed)
    doubles = np.flatnonzero((held[:-1] + held[1:] >= enough) & pairs[:-1] & allowed[:-1])
    for first, count in [(int(c), 1) for c in singles] + [(int(c), 2) for c in doubles]:
        said = _letters("".join(lines.cues[c].text for c in range(first, first + count)))
        best = closeness(query, said, count == 1, LETTERS_A_WORD)
        if best > 0:
            found[(first, count)] = best
    return found


def _letters(text: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum()]


def _room(held: np.ndarray, lengths: np.ndarray, size: int, known: int,
          slack: int) -> np.ndarray:
    """Per line, whether a query of ``size`` words (``known`` of them in some line) may quote
    it whole: their lengths and the words it holds within the edits allowed."""
    edits = allowed_edits_of(np.maximum(lengths, size)) + slack
    return (np.abs(lengths - size) <= edits) & (held >= known - edits)


def closeness(query: list[str], line: list[str], part: bool = True, per: int = 1) -> float:
    """How nearly ``query`` quotes ``line`` (words, or letters ``per`` word): 1 for the same,
    less by each edit, 0 beyond the edits allowed. With ``part``, a query of ``RUN`` words or
    more may quote a stretch of the line, and a line of more than ``RUN`` words may stand in a
    stretch of the query; either scaled by the share of the longer that the shorter is."""
    edits = OSA.distance(query, line)
    allowed = allowed_edits(max(len(query), len(line)) // per)
    best = 0.0 if edits > allowed else 1 - edits / (allowed + 1)
    if len(line) > len(query) >= RUN * per and part:
        best = max(best, _within(query, line, best, per))
    elif len(query) > len(line) > RUN * per:
        best = max(best, _within(line, query, best, per))
    return best


def _within(short: list[str], long: list[str], floor: float, per: int) -> float:
    """How nearly ``short`` stands in a stretch of ``long``, scaled by its share of it (0
    where that can't beat ``floor``): word for word under ``EDITED_STRETCH`` words, else
    within the edits allowed ("this is no game" does not quote "this is no time")."""
    if len(short) / len(long) <= floor:
        return 0.0
    return _where(short, long, per)[0]


def _where(short: Sequence[str], long: Sequence[str], per: int = 1) -> tuple[float, int, int]:
    """:func:`_within`'s score, and where in ``long`` the stretch ``short`` stands in starts
    and ends (0, 0, 0 where it stands nowhere)."""
    words = len(short) // per
    allowed = allowed_edits(words) if words >= EDITED_STRETCH else 0
    share = len(short) / len(long)
    best = (0.0, 0, 0)
    for size in range(max(1, len(short) - allowed), len(short) + allowed + 1):
        for at in range(len(long) - size + 1):
            edits = OSA.distance(short, long[at:at + size])
            if edits <= allowed and (1 - edits / (allowed + 1)) * share > best[0]:
                best = ((1 - edits / (allowed + 1)) * share, at, at + size)
                if edits == 0:
                    return best
    return best


def near_score(closeness: float, cover: float) -> float:
    """A near-exact line's dialogue score: ``NEAR_FLOOR`` to 1 by its ``closeness`` and by the
    share of the whole query the reading that quotes it holds (``cover``): the line the whole
    query quotes before one its said part quotes."""
    return NEAR_FLOOR + (1 - NEAR_FLOOR) * closeness * cover


def runs(lines: WordLines, tokens: Sequence[str], allowed: np.ndarray) -> np.ndarray:
    """Per cue, whether ``RUN`` consecutive words of ``tokens`` stand in it word for word."""
    out = np.zeros(len(lines.cues), bool)
    for at in range(len(tokens) - RUN + 1):
        run = tuple(tokens[at:at + RUN])
        if any(w not in lines.vocab for w in run):
            continue
        holding = lines.cues_with(run[0])
        for word in run[1:]:
            holding = np.intersect1d(holding, lines.cues_with(word), assume_unique=True)
        for cue in holding[allowed[holding] & ~out[holding]].tolist():
            said = lines.cue_words[cue]
            out[cue] = any(said[k:k + RUN] == run for k in range(len(said) - RUN + 1))
    return out
