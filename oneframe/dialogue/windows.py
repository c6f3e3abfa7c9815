"""The dialogue as search reads it: windows of one to three consecutive lines (matched as one,
for a line said over two cues), their vectors, and a video's lines as words.

Written at ingest (``cue_windows``, ``window_vectors``) and read by search (``WordIndex``)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oneframe.dialogue.cues import Cue
from oneframe.dialogue.languages import DEFAULT, guess
from oneframe.dialogue.text import stem, words

WORDS_FILE = "words.json"
WORDS_VERSION = 3
"""Changes whenever ``text.words`` splits lines differently: older files are made again."""

WINDOW_CUES = 3
WINDOW_GAP = 4.0  # seconds of silence that end a window


def cue_windows(cues: Sequence[Cue]) -> np.ndarray:
    """``(n, 2)`` int32 rows ``(first cue, number of cues)``: every run of 1-3 close cues.

    A run never joins cues of two sources (a caption track and burned-in subtitles), which
    are stored one source after the other.
    """
    rows = []
    for i in range(len(cues)):
        for length in range(1, WINDOW_CUES + 1):
            last = i + length - 1
            if last >= len(cues) or (length > 1 and (
                    cues[last].start - cues[last - 1].end > WINDOW_GAP
                    or cues[last].source != cues[last - 1].source)):
                break
            rows.append((i, length))
    return np.asarray(rows, np.int32).reshape(-1, 2)


def window_vectors(cue_vectors: np.ndarray, windows: np.ndarray,
                   weights: np.ndarray) -> np.ndarray:
    """Each window's vector from its cues' own: their mean weighted by ``weights`` (per cue;
    the length of its text). Not renormalised, so a query's product with it is the weighted
    mean of its products with the cues: one sentence-model pass per cue rather than per window
    (a third of the texts, a sixth of the tokens), with the same dialogue recall as embedding
    every window's text (bench/eval_dialog.py)."""
    out = np.zeros((len(windows), cue_vectors.shape[1]), np.float32)
    total = np.zeros(len(windows), np.float32)
    for k in range(WINDOW_CUES):
        rows = np.flatnonzero(windows[:, 1] > k)
        cues = windows[rows, 0] + k
        out[rows] += cue_vectors[cues] * weights[cues, None]
        total[rows] += weights[cues]
    return out / np.maximum(total, 1e-12)[:, None]


@dataclass
class WordIndex:
    """One video's lines as words: each cue's words, and its vocabulary with, per word, the
    cues that hold it (``cues[starts[i]:starts[i + 1]]`` for ``vocab[i]``)."""

    cue_words: list[tuple[str, ...]]
    """Each cue's words (tuples: the collector leaves them alone, a library's worth of lines
    adds nothing to its passes)."""
    vocab: list[str]
    counts: np.ndarray
    cues: np.ndarray
    lang: str = DEFAULT
    """The language its lines are in (their stems and common words are that language's)."""
    _stems: list[str] | None = None

    @functools.cached_property
    def distinct(self) -> np.ndarray:
        """Per cue, how many distinct words it holds."""
        return np.asarray([len(set(w)) for w in self.cue_words], np.int64)

    @property
    def stems(self) -> list[str]:
        """Each vocabulary word's stem, in the lines' language (made once)."""
        if self._stems is None or len(self._stems) != len(self.vocab):
            self._stems = [stem(token, self.lang) for token in self.vocab]
        return self._stems

    @classmethod
    def of(cls, cues: Sequence[Cue], lang: str | None = None) -> WordIndex:
        """The words of ``cues``, in ``lang`` (else the language their script tells)."""
        lang = guess((c.text for c in cues[:200]), lang)
        return cls.of_words([tuple(words(c.text, lang)) for c in cues], lang)

    def save(self, folder: Path) -> None:
        """Kept in ``folder`` (a library entry's, as it is built): read back by
        :meth:`read`, a fifth of the time of making it again from the lines."""
        (folder / WORDS_FILE).write_text(json.dumps(
            {"version": WORDS_VERSION, "lang": self.lang,
             "words": [" ".join(line) for line in self.cue_words],
             "vocab": self.vocab, "counts": self.counts.tolist(), "cues": self.cues.tolist(),
             "stems": self.stems}, ensure_ascii=False, separators=(",", ":")),
            encoding="utf-8")

    @classmethod
    def read(cls, folder: Path, cues: int, lang: str | None) -> WordIndex | None:
        """What :meth:`save` kept in ``folder``, if it is there, of this version, of ``cues``
        lines, in ``lang`` (where that is given); else None (made again from the lines)."""
        try:
            data = json.loads((folder / WORDS_FILE).read_text(encoding="utf-8"))
            if data["version"] != WORDS_VERSION or len(data["words"]) != cues or \
                    (lang and data["lang"] != lang):
                return None
            counts = np.asarray(data["counts"], np.int64)
            postings = np.asarray(data["cues"], np.int64)
            if len(counts) != len(data["vocab"]) or int(counts.sum()) != len(postings) or \
                    len(data["stems"]) != len(counts):
                return None
            lines = [tuple(line.split(" ")) if line else () for line in data["words"]]
            return cls(lines, data["vocab"], counts, postings, str(data["lang"]),
                       data["stems"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @classmethod
    def of_words(cls, cue_words: list[tuple[str, ...]], lang: str) -> WordIndex:
        """The index of lines already split into words."""
        found: dict[str, list[int]] = {}
        for i, tokens in enumerate(cue_words):
            for token in dict.fromkeys(tokens):
                found.setdefault(token, []).append(i)
        flat = [i for ids in found.values() for i in ids]
        return cls(cue_words, list(found), np.asarray([len(v) for v in found.values()], np.int64),
                   np.asarray(flat, np.int64), lang)
