"""What a query asks of the store: the nearest frames or dialogue windows, the lines sharing
its words, and the shortlist of videos drawn from all three (``VectorStore`` keeps the tables
these read in line with the library's folders)."""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from oneframe.core.errors import LibraryError
from oneframe.dialogue.languages import DEFAULT, script_language
from oneframe.dialogue.text import stem, words
from oneframe.index.lance_tables import search_settings
from oneframe.library.manifest import is_valid_id

CUES = "lines"
"""The table of dialogue lines (their words and stems), for full-text search."""
TERMS = "line_terms"
"""Per video and term, the video's lines holding the term; ``LINE_COUNT`` and ``TOKEN_COUNT``
rows: its lines and their terms in all (BM25's statistics, summed over a split store's shards
so that each shard's lines score as the whole library's would)."""
LINE_COUNT, TOKEN_COUNT = " lines", " tokens"
"""Terms no line holds (they start with the space lines are split at)."""
BM25_K1, BM25_B = 1.2, 0.75
"""LanceDB's own BM25 parameters."""
CANDIDATES = 100
"""Rows per channel a shortlist looks at (frames, windows, lines)."""
MAX_WORDS = 32
EXACT_VIDEOS = 24
"""A nearest-vector query over at most this many videos scans their rows exactly; over more
(the library, a large selection, or the library while a video is half-written) it uses the
ANN index, their ids as a prefilter."""
SHARD_LINES = 3
"""A shard gives this many times ``CANDIDATES`` lines: they are ranked anew by the whole
library's BM25 (:func:`merged`), and a line of the library's best 100 may rank lower in its
shard alone, where its words are more or less rare."""


@dataclass(frozen=True)
class Match:
    """One stored row that matched a query vector, or a line that shares the query's words."""

    video: str
    row: int
    score: float
    """A vector's cosine to the query, or a line's BM25 score."""
    terms: str = ""
    """A line's words and stems, split at spaces (its BM25 is scored again from them)."""
    fuzzy: bool = False
    """A line found only by words one typo away from the query's."""


@dataclass(frozen=True)
class Found:
    """What a store found for one query, a list per channel, and what the lines channel's
    scores are made from (so that shards' lines rank as one store's would)."""

    channels: list[list[Match]]
    terms: list[str]
    """The words and stems the lines were asked for."""
    counts: dict[str, int]
    """For each term, the store's lines holding it; ``LINE_COUNT`` and ``TOKEN_COUNT``: its
    lines and their terms in all."""


def group_name(kind: str, model: str, dim: int) -> str:
    """A table name for the vectors of one model and width (model ids may hold any text)."""
    digest = hashlib.sha256(f"{model}\0{dim}".encode()).hexdigest()[:16]
    return f"{kind}_{digest}_{dim}"


def quoted(vid: str) -> str:
    """``vid`` as a string literal of a LanceDB filter; a LibraryError if it is no library id."""
    if not is_valid_id(vid):
        raise LibraryError(f"'{vid[:80]}' is not a library id")
    return "'" + vid.replace("'", "''") + "'"


def _within(videos: list[str]) -> str:
    return f"video IN ({', '.join(quoted(v) for v in videos)})"


class StoreQueries(ABC):
    """The searching half of ``VectorStore``: its LanceDB connection ``db`` and its list of
    videos and tables come from there."""

    db: Any
    line_candidates = CANDIDATES
    """Lines a query asks for (``SHARD_LINES`` times as many from a shard)."""
    _asking: ThreadPoolExecutor | None = None

    @abstractmethod
    def _videos(self) -> list[dict[str, Any]]:
        """The store's list of videos, a row each (``video``, ``ready``...)."""

    @abstractmethod
    def _tables(self) -> set[str]:
        """The names of the store's tables."""

    def ready(self) -> list[str]:
        """The ids of the videos searches see."""
        return sorted(r["video"] for r in self._videos() if r["ready"])

    def nearest(self, kind: str, model: str, query: np.ndarray, k: int,
                videos: list[str] | None = None) -> list[Match]:
        """The ``k`` rows of ready videos (``videos``, else all) most like ``query``: exact
        over a few videos or a small table, else by the ANN index with re-ranking."""
        return self._nearest(kind, model, query, k, self._scope(videos))

    def lines(self, text: str, k: int, videos: list[str] | None = None) -> list[Match]:
        """The ``k`` lines of ready videos that share most of ``text``'s words (BM25 over
        stemmed words; then, for the rest, words one typo away)."""
        return self._lines(text, k, self._scope(videos))

    def shortlist(self, pictures: dict[str, np.ndarray], sentences: dict[str, np.ndarray],
                  text: str, limit: int, videos: list[str] | None = None) -> list[str]:
        """Up to ``limit`` videos most likely to hold a query's best moments: the videos of
        the nearest frames (per picture model, by its query vector in ``pictures``), of the
        nearest dialogue windows (per dialogue model), and of the lines sharing the query's
        words, taken in turn from each list, best first."""
        return pick(merged([self.channels(pictures, sentences, text, videos)]), limit)

    def channels(self, pictures: dict[str, np.ndarray], sentences: dict[str, np.ndarray],
                 text: str, videos: list[str] | None = None) -> Found:
        """What a shortlist is drawn from, a list per channel, best first: the
        ``CANDIDATES`` nearest frames per picture model (in ``pictures``' order), the nearest
        dialogue windows per dialogue model, then the lines sharing ``text``'s words with the
        counts their scores are made from (see :func:`merged`)."""
        scope = self._scope(videos)
        asked: list[tuple[Callable[..., list[Match]], tuple[Any, ...]]] = [
            (self._nearest, ("frames", model, vector, CANDIDATES, scope))
            for model, vector in pictures.items()]
        asked += [(self._nearest, ("windows", model, vector, CANDIDATES, scope))
                  for model, vector in sentences.items()]
        terms = query_terms(text, scope.langs)[:MAX_WORDS] if text else []
        if text:
            asked.append((self._lines, (text, self.line_candidates, scope)))
        if self._asking is None:  # a pool each store: one shard stuck holds up no other
            self._asking = ThreadPoolExecutor(4, thread_name_prefix="oneframe-store")
        futures = [self._asking.submit(ask, *args) for ask, args in asked]  # at once: waits
        counts = self._counts(terms, scope) if terms else {}
        return Found([sorted(future.result(), key=_best) for future in futures], terms, counts)

    def _counts(self, terms: list[str], scope: Scope) -> dict[str, int]:
        """BM25's statistics of ``terms`` in this store (``TERMS``)."""
        if TERMS not in scope.tables:
            return {}
        asked = ", ".join("'" + t.replace("'", "''") + "'" for t in
                          [*terms, LINE_COUNT, TOKEN_COUNT])
        rows = (self.db.open_table(TERMS).search().where(f"term IN ({asked})")
                .select(["term", "lines"]).limit(None).to_arrow())
        counts: dict[str, int] = {}
        for term, lines in zip(rows.column("term").to_pylist(), rows.column("lines").to_pylist(),
                               strict=True):
            counts[term] = counts.get(term, 0) + int(lines)
        return counts

    def _scope(self, videos: list[str] | None) -> Scope:
        rows = self._videos()
        ready = {r["video"] for r in rows if r["ready"]}
        chosen = sorted(ready if videos is None else ready.intersection(videos))
        return Scope(ready, chosen, len(chosen) == len(ready), len(rows) > len(ready),
                     self._tables(), {r.get("lang") or DEFAULT for r in rows if r["ready"]})

    def _search(self, scope: Scope, search: Any) -> Any:
        if not scope.whole or scope.pending:  # a few videos, or some not ready yet
            search = search.where(_within(scope.chosen), prefilter=True)
        return search

    def _nearest(self, kind: str, model: str, query: np.ndarray, k: int,
                 scope: Scope) -> list[Match]:
        name = group_name(kind, model, len(query))
        if not scope.chosen or k <= 0 or name not in scope.tables:
            return []
        table = self.db.open_table(name)
        row = "frame" if kind == "frames" else "window"
        search = self._search(scope, table.search(np.asarray(query, np.float32),
                                                  vector_column_name="vector")
                              .distance_type("cosine").select(["video", row, "_distance"]))
        probing = search_settings(table)
        if probing is not None and len(scope.chosen) > EXACT_VIDEOS:
            probes, ranked = probing
            search = search.nprobes(probes).refine_factor(max(2, ranked // k))
        else:
            search = search.bypass_vector_index()
        found = search.limit(k).to_arrow().to_pylist()
        return [Match(r["video"], int(r[row]), 1.0 - float(r["_distance"])) for r in found
                if r["video"] in scope.ready]

    def _lines(self, text: str, k: int, scope: Scope) -> list[Match]:
        from lancedb.query import MatchQuery

        terms = query_terms(text, scope.langs)[:MAX_WORDS]
        if not terms or not scope.chosen or k <= 0 or CUES not in scope.tables:
            return []
        table = self.db.open_table(CUES)
        found: dict[tuple[str, int], Match] = {}
        for fuzziness in (0, 1):
            if len(found) >= k:  # the exact words found enough: no typo search
                break
            query = MatchQuery(" ".join(terms), "terms", fuzziness=fuzziness)  # type: ignore[call-arg]
            search = self._search(scope, table.search(query, query_type="fts")
                                  .select(["video", "cue", "terms", "_score"]))
            for r in search.limit(k).to_arrow().to_pylist():
                if r["video"] in scope.ready and len(found) < k:
                    found.setdefault((r["video"], int(r["cue"])), Match(
                        r["video"], int(r["cue"]), float(r["_score"]), r["terms"],
                        fuzziness > 0))
        return list(found.values())


def pick(channels: list[list[Match]], limit: int) -> list[str]:
    """Up to ``limit`` videos, taken in turn from each channel's matches, best first."""
    found = [[m.video for m in channel] for channel in channels]
    chosen: dict[str, None] = {}
    for rank in range(max((len(f) for f in found), default=0)):
        for videos_found in found:
            if rank < len(videos_found) and len(chosen) < limit:
                chosen.setdefault(videos_found[rank])
    return list(chosen)


def merged(answers: list[Found]) -> list[list[Match]]:
    """Stores' (a split store's shards') channels as one store's: each channel's matches of
    every answer, best first, the first ``CANDIDATES`` kept. Lines are scored again by BM25
    with the counts of every answer summed, the whole library's: each shard's own BM25 weighs
    a word by how rare it is in that shard alone. Lines found by a word one typo away are
    kept only where the exact words found fewer than ``CANDIDATES`` in all, as one store
    looks for them only then."""
    width = max((len(a.channels) for a in answers), default=0)
    terms = list(dict.fromkeys(t for a in answers for t in a.terms))
    counts: dict[str, int] = {}
    for answer in answers:
        for term, count in answer.counts.items():
            counts[term] = counts.get(term, 0) + count
    channels = []
    for i in range(width):
        matches = [m for a in answers if i < len(a.channels) for m in a.channels[i]]
        if any(m.terms for m in matches):
            if sum(not m.fuzzy for m in matches) >= CANDIDATES:  # as one store: no typo pass
                matches = [m for m in matches if not m.fuzzy]
            if terms and counts:  # a store made before the counts keeps LanceDB's scores
                matches = rescored(matches, terms, counts)
        channels.append(sorted(matches, key=_best)[:CANDIDATES])
    return channels


def rescored(lines: list[Match], terms: list[str], counts: dict[str, int]) -> list[Match]:
    """``lines`` with their BM25 over ``terms`` given the ``counts`` (a line found by a word one
    typo away counts that word as the query's)."""
    from rapidfuzz.distance import Levenshtein

    total = max(counts.get(LINE_COUNT, 0), 1)
    mean = max(counts.get(TOKEN_COUNT, 0) / total, 1.0)
    weight = {t: math.log(1 + (total - counts.get(t, 0) + 0.5) / (counts.get(t, 0) + 0.5))
              for t in terms}
    found = []
    for line in lines:
        tokens = line.terms.split(" ")
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / mean)
        score = 0.0
        for term in terms:
            tf = tokens.count(term)
            if not tf and line.fuzzy and len(term) > 2:
                tf = sum(Levenshtein.distance(term, tok, score_cutoff=1) <= 1 for tok in tokens)
            score += weight[term] * tf * (BM25_K1 + 1) / (tf + norm) if tf else 0.0
        found.append(Match(line.video, line.row, score, line.terms, line.fuzzy))
    return found


def _best(match: Match) -> tuple[float, str, int]:
    """Best first; equal scores in the order of their videos and rows, so that a shard's
    answers merge in the order one store gives them."""
    return -match.score, match.video, match.row


def query_terms(text: str, langs: set[str]) -> list[str]:
    """A query's words and stems as each of ``langs`` (the library's languages, and the one
    its script tells) writes them, for the lines table."""
    asked = langs | {script_language(text) or DEFAULT}
    terms = (w for lang in sorted(asked) for word in words(text, lang)
             for w in (word, stem(word, lang)))
    return list(dict.fromkeys(terms))


@dataclass(frozen=True)
class Scope:
    """What one query may see: the ready videos, those chosen, whether that is all of them,
    whether any are half-written, and the tables there are."""

    ready: set[str]
    chosen: list[str]
    whole: bool
    pending: bool
    tables: set[str]
    langs: set[str]
    """The languages of the ready videos' dialogue."""
