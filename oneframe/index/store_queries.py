"""What a query asks of the store: the nearest frames or dialogue windows, the lines sharing
its words, and the shortlist of videos drawn from all three (``VectorStore`` keeps the tables
these read in line with the library's folders)."""

from __future__ import annotations

import hashlib
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
CANDIDATES = 100
"""Rows per channel a shortlist looks at (frames, windows, lines)."""
MAX_WORDS = 32
EXACT_VIDEOS = 24
"""A nearest-vector query over at most this many videos scans their rows exactly; over more
(the library, a large selection, or the library while a video is half-written) it uses the
ANN index, their ids as a prefilter."""
_ASKING = ThreadPoolExecutor(4, thread_name_prefix="oneframe-store")


@dataclass(frozen=True)
class Match:
    """One stored row that matched a query vector."""

    video: str
    row: int
    score: float
    """A vector's cosine to the query, or a line's BM25 score."""


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
        return pick(self.channels(pictures, sentences, text, videos), limit)

    def channels(self, pictures: dict[str, np.ndarray], sentences: dict[str, np.ndarray],
                 text: str, videos: list[str] | None = None) -> list[list[Match]]:
        """What a shortlist is drawn from, a list per channel, best first: the
        ``CANDIDATES`` nearest frames per picture model (in ``pictures``' order), the nearest
        dialogue windows per dialogue model, then the lines sharing ``text``'s words (a
        sharded store merges each shard's lists channel by channel)."""
        scope = self._scope(videos)
        asked: list[tuple[Callable[..., list[Match]], tuple[Any, ...]]] = [
            (self._nearest, ("frames", model, vector, CANDIDATES, scope))
            for model, vector in pictures.items()]
        asked += [(self._nearest, ("windows", model, vector, CANDIDATES, scope))
                  for model, vector in sentences.items()]
        if text:
            asked.append((self._lines, (text, CANDIDATES, scope)))
        futures = [_ASKING.submit(ask, *args) for ask, args in asked]  # at once: mostly waits
        return [sorted(future.result(), key=_best) for future in futures]

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
        found: dict[tuple[str, int], float] = {}
        for fuzziness in (0, 1):
            if len(found) >= k:  # the exact words found enough: no typo search
                break
            query = MatchQuery(" ".join(terms), "terms", fuzziness=fuzziness)  # type: ignore[call-arg]
            search = self._search(scope, table.search(query, query_type="fts")
                                  .select(["video", "cue", "_score"]))
            for r in search.limit(k).to_arrow().to_pylist():
                if r["video"] in scope.ready and len(found) < k:
                    found.setdefault((r["video"], int(r["cue"])), float(r["_score"]))
        return [Match(video, cue, score) for (video, cue), score in found.items()]


def pick(channels: list[list[Match]], limit: int) -> list[str]:
    """Up to ``limit`` videos, taken in turn from each channel's matches, best first."""
    found = [[m.video for m in channel] for channel in channels]
    chosen: dict[str, None] = {}
    for rank in range(max((len(f) for f in found), default=0)):
        for videos_found in found:
            if rank < len(videos_found) and len(chosen) < limit:
                chosen.setdefault(videos_found[rank])
    return list(chosen)


def merged(answers: list[list[list[Match]]]) -> list[list[Match]]:
    """Shards' channels as one store's: each channel's matches of every shard, best first,
    the first ``CANDIDATES`` kept (the shards' BM25 scores are each their own shard's, close
    to the whole library's where the shards are alike)."""
    width = max((len(a) for a in answers), default=0)
    return [sorted((m for answer in answers if i < len(answer) for m in answer[i]),
                   key=_best)[:CANDIDATES] for i in range(width)]


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
