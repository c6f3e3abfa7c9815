"""Dialogue matching: a query against windows of one to three consecutive cues.

Two signals, each in [0, 1]:

* **lexical**: the share of the query's words found in the window, each word weighted by its
  rarity in that video (IDF) and matched exactly, by stem, or fuzzily (rapidfuzz ``ratio`` >=
  80, for typos), with a bonus for the words appearing in the query's order. Words that frame
  a line in reported speech ("Emo *tells Proog* ...") count little. Common words ("in",
  "the") count only beside one of the query's content words or where the window means much
  the same as the query; a query of common words alone matches no line.
* **semantic**: cosine similarity of sentence embeddings (:mod:`oneframe.sentences`) of the
  window and of the query's core (its reported-speech frame removed), for paraphrases.

A window's score is their mean (the lexical one alone where no embeddings exist) and goes to
its *anchor*, the cue where its match starts (the line that matched, or the first line of an
exchange matched across two or three), so hits land on the right line.
Each video's noise floor is the median of its own windows' scores, so a video scores the same
whichever other videos are searched beside it.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from oneframe.dialogue.cues import Cue
from oneframe.dialogue.languages import DEFAULT
from oneframe.dialogue.text import common_words, stem
from oneframe.dialogue.windows import WINDOW_CUES, WordIndex
from oneframe.search.closeness import NEAR_FLOOR, near_exact, near_score, runs
from oneframe.search.dialog_query import DialogQuery
from oneframe.search.vectors import products

FUZZY_CUTOFF = 80
STEM_SIMILARITY = 0.95
FRAME_WEIGHT = 0.15
ORDER_SHARE = 0.15
LENGTH_PENALTY = 0.005
RERANK = 64
EXCHANGE_GAIN = 0.05
"""How much more than each of its lines alone a window must score to match as an exchange."""
EXCHANGE_SHARE = 0.5
"""An exchange's moment is its first line that carries this share of its strongest line's
match (bench/eval_dialog.py's exchange sets; a line that only shares a word stays out)."""
STOPWORDS = common_words("en")
"""English's common words ("one" too: "1" is spelled "one"); every language has its own
(:func:`oneframe.dialogue.text.common_words`)."""
NEAR_GAP = 0.01
"""How far below ``NEAR_FLOOR`` every other window of a query that quotes a line stays."""
MEANING_SUPPORT = 0.3
"""Common words count in a window only beside a content word of the query or where the
window's meaning is this close to the query's (cosine): alone they are noise."""


@dataclass
class DialogScores:
    """Per cue of the corpus: its best window score, that window, and the query's matches."""

    cue: np.ndarray
    window: np.ndarray
    matched: set[str]
    baseline: np.ndarray
    """Per video, its noise floor: the median of its windows' scores."""
    named: np.ndarray | None = None
    """Per video, the share of the query's names its lines say (None: the query names no
    one)."""


@dataclass
class _Reading:
    """One reading's scores per window, before they are merged."""

    combined: np.ndarray
    cue_lexical: np.ndarray
    semantic: np.ndarray
    matched: set[str]
    near: dict[int, float]
    """Windows the reading quotes near-exactly, and their scores."""


class Postings:
    """Per word id, the cues that hold it: one flat array, sliced."""

    def __init__(self, cues: np.ndarray, starts: np.ndarray) -> None:
        self.cues, self.starts = cues, starts

    def __getitem__(self, wid: int) -> np.ndarray:
        return self.cues[self.starts[wid]:self.starts[wid + 1]]

    def __len__(self) -> int:
        return len(self.starts) - 1


class DialogCorpus:
    """The cues of several videos, indexed once for fast matching of many queries."""

    def __init__(
        self, videos: Sequence[tuple[list[Cue], np.ndarray, np.ndarray | None, str | None]],
        word_indexes: Sequence[WordIndex] | None = None,
    ) -> None:
        """``videos``: per video ``(cues, windows, window vectors or None, sentence model id)``;
        ``word_indexes``: their lines as words, where already made (else made here)."""
        self.cues: list[Cue] = []
        firsts: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        pieces: dict[str, list[tuple[int, np.ndarray]]] = {}
        for cues, windows, vectors, model in videos:
            offset, w_offset = len(self.cues), sum(len(f) for f in firsts)
            self.cues.extend(cues)
            firsts.append(windows[:, 0] + offset)
            lengths.append(windows[:, 1])
            if vectors is not None and model and len(vectors) == len(windows):
                pieces.setdefault(model, []).append((w_offset, vectors))
        self.n_videos = len(videos)
        self.first = np.concatenate(firsts) if firsts else np.zeros(0, np.int32)
        self.length = np.concatenate(lengths) if lengths else np.zeros(0, np.int32)
        self.cues_per_video = np.asarray([len(cues) for cues, *_ in videos], np.int64)
        self.cue_video = np.repeat(np.arange(self.n_videos), self.cues_per_video)
        self.window_video = np.repeat(np.arange(self.n_videos),
                                      [len(windows) for _, windows, *_ in videos])
        self.vectors = {model: _parts(parts) for model, parts in pieces.items()}
        self._single_of = np.full(len(self.cues), -1, np.int64)
        """Per cue, its window of one line; ``_pair_of`` of it and the next (or -1)."""
        self._pair_of = np.full(len(self.cues), -1, np.int64)
        for k, lookup in ((1, self._single_of), (2, self._pair_of)):
            rows = np.flatnonzero(self.length == k)
            lookup[self.first[rows]] = rows
        self._index_words(word_indexes or [WordIndex.of(cues) for cues, *_ in videos])

    def _index_words(self, per_video: Sequence[WordIndex]) -> None:
        """One vocabulary and posting list over the videos' own word indexes."""
        self._per_video = list(per_video)
        self.cue_words = [w for index in per_video for w in index.cue_words]
        vocab: dict[str, int] = {}
        ids = [vocab.setdefault(w, len(vocab)) for index in per_video for w in index.vocab]
        offsets = np.cumsum([0] + [len(index.cue_words) for index in per_video])[:-1]
        counts = (np.concatenate([index.counts for index in per_video]) if per_video
                  else np.zeros(0, np.int64))
        word_of = np.repeat(np.asarray(ids, np.int64), counts)
        cues = (np.concatenate([index.cues + offset for index, offset in
                                zip(per_video, offsets, strict=True)]) if per_video
                else np.zeros(0, np.int64))
        order = np.argsort(word_of, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(word_of, minlength=len(vocab)))])
        self.vocab = vocab
        self.vocab_list = list(vocab)
        self.postings = Postings(cues[order], starts)
        self.langs = [index.lang for index in per_video]
        """Each video's dialogue language."""
        self.lang_list = list(dict.fromkeys(self.langs)) or [DEFAULT]
        self.video_lang = np.asarray([self.lang_list.index(lang) for lang in self.langs],
                                     np.int64)
        self.by_stem: dict[str, dict[str, list[int]]] = {lang: {} for lang in self.lang_list}
        for index in per_video:
            stems = self.by_stem[index.lang]
            for token, root in zip(index.vocab, index.stems, strict=True):
                wid = vocab[token]
                found = stems.setdefault(root, [])
                if not found or found[-1] != wid:
                    found.append(wid)

    def models(self) -> set[str]:
        return set(self.vectors)

    def variants(self, token: str, langs: Sequence[str] = (DEFAULT,)) -> dict[int, float]:
        """Vocabulary words matching ``token``: exact 1, same stem (in one of ``langs``)
        0.95, fuzzy by ratio."""
        found: dict[int, float] = {}
        if len(token) >= 4:
            for _, score, wid in process.extract(token, self.vocab_list, scorer=fuzz.ratio,
                                                 score_cutoff=FUZZY_CUTOFF, limit=None):
                if len(self.vocab_list[wid]) >= 4:
                    found[wid] = min(score / 100, 0.9)
        for lang in langs:
            for wid in self.by_stem.get(lang, {}).get(stem(token, lang), []):
                found[wid] = STEM_SIMILARITY
        if token in self.vocab:
            found[self.vocab[token]] = 1.0
        return found

    @functools.cached_property
    def word_counts(self) -> np.ndarray:
        """Per cue, how many words it holds."""
        return np.asarray([len(w) for w in self.cue_words], np.int64)

    @functools.cached_property
    def distinct_words(self) -> np.ndarray:
        """Per cue, how many distinct words it holds (each video's counted once, as loaded)."""
        return (np.concatenate([index.distinct for index in self._per_video])
                if self._per_video else np.zeros(0, np.int64))

    def cues_with(self, word: str) -> np.ndarray:
        """The cues holding ``word`` exactly (sorted)."""
        wid = self.vocab.get(word)
        return self.postings[wid] if wid is not None else np.zeros(0, np.int64)

    def score(self, readings: DialogQuery | Sequence[DialogQuery]) -> DialogScores:
        """Score every cue by the best of the query's ``readings`` (the first the query word
        for word, the others as its parse reads it): a reading only adds. A line that a
        reading quotes near-exactly ranks above every other (:mod:`closeness`); a reading of
        common words alone scores only lines holding a run of its words."""
        readings = [readings] if isinstance(readings, DialogQuery) else list(readings)
        whole = max(len(readings[0].tokens), 1)
        scored = [r for r in (self._reading(q, min(len(q.tokens) / whole, 1.0))
                              for q in readings) if r is not None]
        if not scored:
            return self._nothing()
        if any(r.near for r in scored):
            for r in scored:  # below every near-exact line
                others = np.ones(len(r.combined), bool)
                others[list(r.near)] = False
                np.minimum(r.combined, NEAR_FLOOR - NEAR_GAP, out=r.combined, where=others)
        cue_score = np.full(len(self.cues), -np.inf, np.float32)
        best_window = np.full(len(self.cues), -1, np.int64)
        merged = np.full(len(self.first), -np.inf, np.float32)
        matched: set[str] = set()
        for r in scored:
            anchor = self._anchors(r.cue_lexical, r.semantic, r.combined)
            for w in r.near:  # a quoted line is found where it starts
                anchor[w] = self.first[w]
            own = np.full(len(self.cues), -np.inf, np.float32)
            np.maximum.at(own, anchor, r.combined)
            better = own > cue_score
            winners = np.flatnonzero(r.combined >= own[anchor])
            window = np.full(len(self.cues), -1, np.int64)
            window[anchor[winners]] = winners
            best_window[better] = window[better]
            cue_score = np.maximum(cue_score, own)
            np.maximum(merged, r.combined, out=merged)
            matched |= r.matched
        cue_score[~np.isfinite(cue_score)] = 0
        return DialogScores(cue_score, best_window, matched, self._floors(merged),
                            self._named(readings[0].names))

    def _reading(self, query: DialogQuery, cover: float) -> _Reading | None:
        """One reading's window scores, or None where it can match nothing."""
        n_cues, n_windows = len(self.cues), len(self.first)
        lexical = np.zeros(n_windows, np.float32)
        cue_lexical = np.zeros(n_cues, np.float32)
        content = np.zeros(n_windows, bool)  # windows where a content word of the query is
        total = np.zeros(self.n_videos, np.float32)
        matched: set[str] = set()
        position: dict[str, int] = {}  # vocabulary word -> first query position it matches
        langs = self.lang_list
        per_lang = [query.tokens_for(lang) for lang in langs]
        contents = [query.content_for(lang) for lang in langs]
        quoted = self._quoted(query, per_lang, cover)
        ran = self._runs(per_lang)
        if not any(contents) and not quoted and not ran.any():
            return None
        for token in dict.fromkeys(t for tokens in per_lang for t in tokens):
            # per language: how often the query says it, whether it is content or frame
            counts = np.asarray([tokens.count(token) for tokens in per_lang], np.float32)
            is_content = np.asarray([token in c for c in contents])
            framing = np.asarray([token in query.frame_for(lang) for lang in langs])
            best = np.zeros(n_cues, np.float32)
            said_in = [lang for lang, n in zip(langs, counts, strict=True) if n]
            for wid, similarity in self.variants(token, said_in).items():
                hits = self.postings[wid]
                best[hits] = np.maximum(best[hits], similarity)
                word = self.vocab_list[wid]
                position.setdefault(word, next(t.index(token) for t in per_lang if token in t))
                if any(token not in common_words(lang) for lang in said_in) or ran[hits].any():
                    matched.add(word)
            df = np.bincount(self.cue_video[best > 0], minlength=self.n_videos)
            weight = np.log((self.cues_per_video + 1) / (df + 0.5)).astype(np.float32)
            weight *= counts[self.video_lang]
            weight[framing[self.video_lang]] *= FRAME_WEIGHT
            total += weight
            cue_lexical += best * weight[self.cue_video]
            window_best = self._window_max(best)
            lexical += window_best * weight[self.window_video]
            content |= (window_best > 0) & is_content[self.video_lang][self.window_video]
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = np.where(total > 0, total, 1)
            lexical /= norm[self.window_video]
            cue_lexical /= norm[self.cue_video]
        semantic = self._semantic(query)
        content |= self._window_max(ran.astype(np.float32)) > 0
        lexical[~content & ~(np.nan_to_num(semantic) >= MEANING_SUPPORT)] = 0
        self._rerank_by_order(lexical, position)
        has_sem = ~np.isnan(semantic)
        combined = np.where(has_sem, (lexical + np.clip(np.nan_to_num(semantic), 0, 1)) / 2,
                            lexical)
        combined -= LENGTH_PENALTY * (self.length - 1)
        mute = np.asarray([not c for c in contents])[self.video_lang]  # only common words
        if mute.any():
            combined[mute[self.window_video] & ~content] = 0
        for w, value in quoted.items():  # ranked by how nearly quoted, above all others
            combined[w] = value
        return _Reading(combined, cue_lexical, semantic, matched, quoted)

    def _quoted(self, query: DialogQuery, per_lang: list[list[str]],
                cover: float) -> dict[int, float]:
        """Per window that ``query`` quotes near-exactly (one line, or two), its score."""
        found: dict[int, float] = {}
        cue_lang = self.video_lang[self.cue_video]
        for k, (lang, tokens) in enumerate(zip(self.lang_list, per_lang, strict=True)):
            allowed = cue_lang == k
            for (first, count), closeness in near_exact(self, query.text, tokens, lang, allowed,
                                                        self._pair_of >= 0).items():
                w = int(self._single_of[first] if count == 1 else self._pair_of[first])
                found[w] = max(found.get(w, 0.0), near_score(closeness, cover))
        return found

    def _runs(self, per_lang: list[list[str]]) -> np.ndarray:
        """Per cue, whether a run of the query's words stands in it (in its language)."""
        cue_lang = self.video_lang[self.cue_video]
        out = np.zeros(len(self.cues), bool)
        for k, tokens in enumerate(per_lang):
            out |= runs(self, tokens, cue_lang == k)
        return out

    def _named(self, names: frozenset[str]) -> np.ndarray | None:
        """Per video, the share of ``names`` that some line of it says (as written)."""
        if not names:
            return None
        said = np.zeros(self.n_videos, np.float32)
        for name in names:
            wid = self.vocab.get(name)
            if wid is not None:
                said[np.unique(self.cue_video[self.postings[wid]])] += 1
        return said / len(names)

    def _nothing(self) -> DialogScores:
        return DialogScores(np.zeros(len(self.cues), np.float32),
                            np.full(len(self.cues), -1, np.int64), set(),
                            np.zeros(self.n_videos, np.float32))

    def _floors(self, combined: np.ndarray) -> np.ndarray:
        """Per video, the median of its windows' scores (windows lie video after video)."""
        ends = np.cumsum(np.bincount(self.window_video, minlength=self.n_videos))
        starts = ends - np.bincount(self.window_video, minlength=self.n_videos)
        return np.asarray([np.median(combined[a:b]) if b > a else 0.0
                           for a, b in zip(starts, ends, strict=True)], np.float32)

    def _window_max(self, per_cue: np.ndarray) -> np.ndarray:
        """Per window, the maximum of ``per_cue`` over its cues."""
        runs = np.zeros((WINDOW_CUES, len(per_cue) + WINDOW_CUES), per_cue.dtype)
        runs[0, :len(per_cue)] = per_cue
        for k in range(1, WINDOW_CUES):  # runs[k][i] = max(per_cue[i:i + k + 1])
            runs[k, :len(per_cue)] = np.maximum(runs[k - 1, :len(per_cue)],
                                                runs[0, k:len(per_cue) + k])
        return runs[self.length - 1, self.first]

    def _anchors(self, cue_lexical: np.ndarray, semantic: np.ndarray,
                 combined: np.ndarray) -> np.ndarray:
        """The cue where each window's match starts. A window that matches as an exchange
        (its score beats each of its lines alone by ``EXCHANGE_GAIN``) goes to its first line
        that carries ``EXCHANGE_SHARE`` of its strongest line's match; any other window to its
        strongest line."""
        cue_sem = np.zeros(len(self.cues), np.float32)
        singles = np.flatnonzero(self.length == 1)
        single_of = self._single_of  # every cue has a window of its own
        sem_singles = singles[~np.isnan(semantic[singles])]
        cue_sem[self.first[sem_singles]] = semantic[sem_singles]
        strength = cue_lexical + 0.5 * np.clip(cue_sem, 0, 1)
        strongest = strength[self.first].copy()
        alone = combined[single_of[self.first]].copy()
        for k in range(1, WINDOW_CUES):
            longer = np.flatnonzero(self.length > k)
            strongest[longer] = np.maximum(strongest[longer], strength[self.first[longer] + k])
            alone[longer] = np.maximum(alone[longer], combined[single_of[self.first[longer] + k]])
        share = np.where(combined >= alone + EXCHANGE_GAIN, EXCHANGE_SHARE, 1.0)
        anchor = self.first.astype(np.int64).copy()
        settled = strength[anchor] >= share * strongest
        for k in range(1, WINDOW_CUES):
            open_ = np.flatnonzero(~settled & (self.length > k))
            candidate = self.first[open_] + k
            carries = strength[candidate] >= share[open_] * strongest[open_]
            anchor[open_[carries]] = candidate[carries]
            settled[open_[carries]] = True
        return anchor

    def _rerank_by_order(self, lexical: np.ndarray, position: dict[str, int]) -> None:
        """Scale the top windows' lexical score by how much of the match is in query order."""
        if len(set(position.values())) < 2 or not len(lexical):
            return
        top = np.argpartition(-lexical, min(RERANK, len(lexical) - 1))[:RERANK]
        for w in top:
            if lexical[w] <= 0:
                continue
            first, length = int(self.first[w]), int(self.length[w])
            sequence: list[int] = []
            for word in (x for c in range(first, first + length) for x in self.cue_words[c]):
                at = position.get(word)
                if at is not None and (not sequence or sequence[-1] != at):
                    sequence.append(at)
            matched = len(set(sequence))
            if matched >= 2:
                order = min(_longest_increasing(sequence) / matched, 1.0)
                lexical[w] *= (1 - ORDER_SHARE) + ORDER_SHARE * order
            else:
                lexical[w] *= 1 - ORDER_SHARE / 2

    def _semantic(self, query: DialogQuery) -> np.ndarray:
        out = np.full(len(self.first), np.nan, np.float32)
        for model, (rows, matrices) in self.vectors.items():
            if model in query.vectors:
                out[rows] = products(matrices, query.vectors[model][:, None])[:, 0]
        return out


def _parts(parts: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Where the parts' rows sit among all windows, and the parts as they are (never copied
    into one matrix)."""
    rows = np.concatenate([np.arange(offset, offset + len(v)) for offset, v in parts])
    return rows, [vectors for _, vectors in parts]


def _longest_increasing(sequence: list[int]) -> int:
    tails: list[int] = []
    for x in sequence:
        i = bisect.bisect_right(tails, x)
        tails[i:i + 1] = [x]
    return len(tails)

