"""The search pipeline: a query -> the distinct moments that best match it, in any videos.

:class:`SearchIndex` loads a set of videos once (frame vectors, cues, cue windows) and answers
many queries; moving the picture/dialogue weight re-ranks without re-encoding anything, since
query embeddings are cached.

A frame stands for the span until the next kept frame (static shots keep few frames). A cue's
score reaches every frame whose span it overlaps, with ``CUE_MARGIN`` seconds either side, and
a hit driven by dialogue is timed at the start of its line.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from oneframe.core.errors import LibraryError, ModelError, OneframeError
from oneframe.dialogue.cues import Cue
from oneframe.dialogue.languages import language_name, script_language
from oneframe.dialogue.text import words
from oneframe.encoders.sentences import MULTILINGUAL_DIALOG_MODEL, is_multilingual, sentence_vector
from oneframe.library.folders import Library, VideoIndex
from oneframe.media.images import read_image
from oneframe.search.dialogue import DialogCorpus, DialogScores
from oneframe.search.floor import MIN_SCORE, SAME_LINE_SECONDS
from oneframe.search.fusion import blend, calibrate_dialog, distinct_moments, name_weights, strength
from oneframe.search.highlight import highlight
from oneframe.search.picture import PictureIndex, PictureScores
from oneframe.search.query import Query
from oneframe.search.results import Hit, SearchResult, Timeline, moment_url, source_name

DEFAULT_VISUAL_WEIGHT = 0.5
DEFAULT_TOP_K = 12
DEFAULT_MIN_GAP = 2.0
CUE_MARGIN = 0.5
SHOW_WINDOW = 0.15  # below this dialogue score a hit shows the line on screen, not the match
_KEY_STRIDE = 1e7  # seconds: frame keys (video, time) stay sorted across the whole index
MARGIN_DISCOUNT = 0.9  # a frame only within the margin of a line ranks below one during it
PICTURE_LEAD = 2.0  # Play starts this many seconds before a moment found by its picture
SELF_FIRST = 1e-3
"""How close to the best "more like this frame"'s own frame must score to come first."""
EXCLUDED_PICTURE = 0.5
"""A frame whose picture matches an excluded word (``-word``) this well is left out."""


LOG = logging.getLogger("oneframe")
_ENCODING = ThreadPoolExecutor(2, thread_name_prefix="oneframe-query")


@dataclass
class _Scored:
    """One search's scores, frame by frame, on their way to moments."""

    chosen: np.ndarray
    frames: np.ndarray
    visual: np.ndarray
    warnings: list[str]
    frame_cue: np.ndarray
    frame_dialog: np.ndarray | None = None
    scores: DialogScores | None = None
    matched: set[str] = field(default_factory=set)
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def dialog_of_frames(self) -> np.ndarray | None:
        return None if self.frame_dialog is None else self.frame_dialog[self.frames]


class SearchIndex:
    """Frames, vectors and dialogue of a set of library videos, loaded for searching."""

    def __init__(self, library: Library | None = None, videos: Sequence[str] | None = None,
                 loaded: Sequence[VideoIndex] | None = None):
        """The ``videos`` of ``library`` (all of them by default), read into memory (no
        library file is held open: an entry can be removed or replaced meanwhile), or those
        ``loaded`` (searched as they are, memory-mapped or not)."""
        self.library = library or Library()
        self.skipped: list[str] = []  # messages about damaged entries left out of the index
        self.left_out: dict[str, str] = {}  # the ids of those entries, and why
        if loaded is not None:
            loaded = list(loaded)
        elif videos is not None:
            loaded = [self.library.load(vid) for vid in videos]
        else:
            loaded = []
            for vid in self.library.ids():
                try:
                    loaded.append(self.library.load(vid))
                except LibraryError as exc:
                    self.skipped.append(str(exc))
                    self.left_out[vid] = str(exc)
        self.records = [v.record for v in loaded]
        self.ids = [r.id for r in self.records]
        self.position = {vid: i for i, vid in enumerate(self.ids)}
        self.cues = [v.cues for v in loaded]
        sizes = [len(v.times) for v in loaded]
        self.frame_offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.times = np.concatenate([v.times for v in loaded]) if loaded else np.zeros(0)
        self.frame_video = np.repeat(np.arange(len(loaded)), sizes)
        self.span_end = np.concatenate(
            [np.append(v.times[1:], max(v.record.duration, v.times[-1] if len(v.times) else 0))
             for v in loaded]) if loaded else np.zeros(0)
        self.picture = PictureIndex([r.model for r in self.records],
                                    [v.embeddings for v in loaded], self.frame_offset,
                                    [v.cache for v in loaded])
        self.dialog = DialogCorpus([(v.cues, v.windows, v.dialog_vectors, v.record.dialog_model)
                                    for v in loaded], [v.words() for v in loaded])
        self.cue_offset = np.concatenate([[0], np.cumsum([len(c) for c in self.cues])])
        self.cue_start = np.array([c.start for c in self.dialog.cues], np.float64)
        self.cue_end = np.array([c.end for c in self.dialog.cues], np.float64)
        self.cue_video = self.dialog.cue_video  # video of each cue
        self.frame_key = self.frame_video * _KEY_STRIDE + self.times  # sorted across videos
        self._no_picture: np.ndarray | None = None
        self.duration = np.asarray([r.duration for r in self.records], np.float64)
        """Per video: lines that start after it (in an entry made before they were left out
        at ingest) can't be played, so they are never found."""

    def cues_of(self, video: str) -> list[Cue]:
        """The lines of ``video`` (one of the index's)."""
        return self.cues[self.position[video]]

    def frame_time(self, video: str, frame: int) -> float:
        return float(self.times[self.frame_offset[self.position[video]] + frame])

    def nearest_frame(self, video: str, seconds: float) -> int:
        """The frame of ``video`` (its number within the video) nearest to ``seconds``."""
        v = self.position[video]
        times = self.times[self.frame_offset[v]:self.frame_offset[v + 1]]
        return int(np.argmin(np.abs(times - seconds))) if len(times) else 0

    def __len__(self) -> int:
        return len(self.ids)

    def _select(self, videos: Sequence[str] | None) -> np.ndarray:
        if videos is None or not len(videos):
            return np.arange(len(self.ids))
        missing = [v for v in videos if v not in self.position]
        if missing:
            raise no_such_video(missing, self.left_out)
        return np.asarray(sorted({self.position[v] for v in videos}))

    def _frame_dialog(self, chosen: np.ndarray,
                      scores: DialogScores) -> tuple[np.ndarray, np.ndarray]:
        """Per frame: the best calibrated cue score reaching it, and that cue (or -1)."""
        values = calibrate_dialog(scores.cue, scores.baseline[self.cue_video])
        frame_score = np.zeros(len(self.times), np.float32)
        frame_cue = np.full(len(self.times), -1, np.int64)
        live = np.flatnonzero((values > 0) & np.isin(self.cue_video, chosen))
        live = live[(self.frame_offset[self.cue_video[live] + 1]
                     > self.frame_offset[self.cue_video[live]])  # videos with frames
                    & (self.cue_start[live] < self.duration[self.cue_video[live]])]
        if not len(live):
            return frame_score, frame_cue
        video = self.cue_video[live]
        starts, ends = self.cue_start[live] - CUE_MARGIN, self.cue_end[live] + CUE_MARGIN
        first, last = self.frame_offset[video], self.frame_offset[video + 1]
        lo = np.searchsorted(self.frame_key, video * _KEY_STRIDE + starts, side="right") - 1
        lo = np.clip(lo, first, last - 1)
        hi = np.searchsorted(self.frame_key, video * _KEY_STRIDE + ends, side="left")
        hi = np.clip(hi, lo + 1, last)
        counts = hi - lo
        frames = np.repeat(lo, counts) + _ranges(counts)
        value = np.repeat(values[live], counts)
        during = ((self.times[frames] < np.repeat(ends, counts) - CUE_MARGIN)
                  & (self.span_end[frames] > np.repeat(starts, counts) + CUE_MARGIN))
        value = np.where(during, value, value * MARGIN_DISCOUNT)
        order = np.argsort(value, kind="stable")  # the best value is written last
        frame_score[frames[order]] = value[order]
        frame_cue[frames[order]] = np.repeat(live, counts)[order]
        return frame_score, frame_cue

    def search(
        self,
        query: Query | str | None = None,
        *,
        videos: Sequence[str] | None = None,
        visual_weight: float = DEFAULT_VISUAL_WEIGHT,
        top_k: int = DEFAULT_TOP_K,
        min_gap: float = DEFAULT_MIN_GAP,
        image: np.ndarray | str | Path | None = None,
        like: tuple[str, float] | None = None,
        timelines: bool = False,
        min_score: float = MIN_SCORE,
        picture_at_zero: bool = True,
    ) -> SearchResult:
        """The ``top_k`` distinct moments for a query (:class:`Query`, or words, an image or a
        stored frame: ``like``, a video and the time of one of its frames).

        Moments whose best channel scores below ``min_score`` (see :func:`fusion.strength`) are
        left out; none left is "nothing matched well". With ``picture_at_zero`` False a text
        query at visual weight 0 over videos with dialogue scores no picture (no picture model
        is loaded; hits carry no picture score): the dialogue-only path.
        """
        if isinstance(image, (str, Path)):
            image = read_image(image)
        asked = query if isinstance(query, Query) else Query.of(query, image=image, like=like)
        chosen = self._select(videos)
        if not len(chosen):  # an empty library: nothing to find, nothing wrong
            return SearchResult([], min_score=min_score, by_image=not asked.by_words)
        frame = self._like_frame(asked.like)
        has_dialog = asked.by_words and any(self.cues[i] for i in chosen)
        dialogue_only = has_dialog and visual_weight <= 0 and not picture_at_zero
        scored = self._score(asked, chosen, frame, has_dialog, dialogue_only)
        fused = self._fused(scored, visual_weight)
        hit_times = self._hit_times(scored.frame_cue, scored.frame_dialog, visual_weight)
        matched_by = strength(scored.visual[scored.frames], scored.dialog_of_frames,
                              visual_weight)
        eligible = scored.frames[matched_by >= min_score]
        if asked.exact or asked.exclude:
            eligible = self._as_asked(eligible, asked, scored.lines, scored.chosen, hit_times)
        picked = distinct_moments(fused[eligible], hit_times[eligible],
                                  self.frame_video[eligible], top_k, min_gap,
                                  scored.lines[eligible], self._overlaps(scored.lines[eligible]))
        if frame is not None:
            picked = self._itself_first(picked, eligible, fused, frame)
        hits = [self._hit(int(eligible[p]), fused, None if dialogue_only else scored.visual,
                          scored.frame_dialog, scored.frame_cue, hit_times, scored.matched,
                          scored.scores, int(scored.lines[eligible[p]])) for p in picked]
        result = SearchResult(hits, dialog_absent=scored.frame_dialog is None,
                              min_score=min_score, by_image=not asked.by_words,
                              warnings=scored.warnings)
        if timelines:
            result.timelines = self._timelines(scored, fused)
        return result

    def _fused(self, scored: _Scored, visual_weight: float) -> np.ndarray:
        """Per frame, its blended score (-inf for frames of videos not searched). A video whose
        picture is not fetched yet is judged by its dialogue, as strongly as the slider lets
        the dialogue speak, not as if its picture had scored 0."""
        fused = np.full(len(self.times), -np.inf, np.float32)
        fused[scored.frames] = blend(scored.visual[scored.frames], scored.dialog_of_frames,
                                     visual_weight)
        dialog = scored.dialog_of_frames
        if dialog is not None and (blind := self._unpictured(scored.frames)).any():
            say = (1 - visual_weight) / max(visual_weight, 1 - visual_weight)
            fused[scored.frames[blind]] = dialog[blind] * say
        return fused

    def _unpictured(self, frames: np.ndarray) -> np.ndarray:
        """Per frame of ``frames``, whether its video is dialogue-only (no picture yet)."""
        if self._no_picture is None:
            self._no_picture = np.asarray([not r.has_pictures for r in self.records], bool)
        return self._no_picture[self.frame_video[frames]]

    def _like_frame(self, like: tuple[str, float] | None) -> tuple[str, int] | None:
        """A stored frame asked for by time (frame numbers change with a re-ingest)."""
        if like is None:
            return None
        self._select([like[0]])
        if not self.records[self.position[like[0]]].has_pictures:
            raise OneframeError("That video's picture is not fetched yet, so there is no frame "
                                "to search like: fetch its pictures first.")
        return like[0], self.nearest_frame(like[0], float(like[1]))

    def _score(self, asked: Query, chosen: np.ndarray, frame: tuple[str, int] | None,
               has_dialog: bool, dialogue_only: bool) -> _Scored:
        """Every frame's picture score and its best line's dialogue score."""
        readings = asked.readings if has_dialog else []
        sentences = {(model, r.core): _ENCODING.submit(sentence_vector, model, r.core)
                     for r in readings for model in self.dialog.models()
                     }  # encoded beside the picture model's text
        if dialogue_only:
            picture = PictureScores(np.zeros(len(self.times), np.float32))
        else:
            picture = self.picture.score(chosen, asked.picture_text, asked.image,
                                         (self.position[frame[0]], frame[1]) if frame else None)
        warnings = list(picture.warnings)
        chosen = np.asarray([v for v in chosen.tolist() if v not in picture.left_out], np.int64)
        if not len(chosen):
            raise ModelError(" ".join(warnings))
        scored = _Scored(chosen, np.flatnonzero(np.isin(self.frame_video, chosen)),
                         picture.values, warnings, np.full(len(self.times), -1, np.int64))
        if readings:
            warnings += self._language_warning(readings[0].text, chosen)  # what the lines are asked
            vectors = self._sentence_vectors(sentences, warnings)
            for r in readings:
                r.vectors = {model: v for (model, core), v in vectors.items() if core == r.core}
            scored.scores = self.dialog.score(readings)
            scored.frame_dialog, scored.frame_cue = self._frame_dialog(chosen, scored.scores)
            scored.matched = scored.scores.matched
        scored.lines = self._lines(scored.frame_cue, scored.frame_dialog, scored.scores)
        if scored.frame_dialog is not None and scored.scores is not None and \
                scored.scores.named is not None:
            scored.frame_dialog = scored.frame_dialog * name_weights(
                scored.scores.named, chosen)[self.frame_video]
        return scored

    def _timelines(self, scored: _Scored, fused: np.ndarray) -> dict[str, Timeline]:
        out = {}
        for i in scored.chosen:
            lo, hi = self.frame_offset[i], self.frame_offset[i + 1]
            out[self.ids[i]] = Timeline(
                self.times[lo:hi], scored.visual[lo:hi],
                None if scored.frame_dialog is None or not self.cues[i]
                else scored.frame_dialog[lo:hi], fused[lo:hi])
        return out

    def _itself_first(self, picked: list[int], eligible: np.ndarray, fused: np.ndarray,
                      like: tuple[str, int]) -> list[int]:
        """``picked`` with the frame "more like this" was asked of first where it scores within
        ``SELF_FIRST`` of the best (stored in float16, an identical frame elsewhere can score
        a hair above it)."""
        own = int(self.frame_offset[self.position[like[0]]] + like[1])
        at = np.flatnonzero(eligible == own)
        if not picked or not len(at) or fused[own] < fused[eligible[picked[0]]] - SELF_FIRST:
            return picked
        return [int(at[0]), *[p for p in picked if p != at[0]]][:len(picked)]

    @staticmethod
    def _sentence_vectors(futures: dict[tuple[str, str], Future[np.ndarray]],
                          warnings: list[str]) -> dict[tuple[str, str], np.ndarray]:
        """The vector of each ``(sentence model, text)``; a model that can't load leaves its
        videos' dialogue matched by words only, with a warning (once)."""
        vectors = {}
        for (model, text), future in futures.items():
            try:
                vectors[(model, text)] = future.result()
            except ModelError as exc:  # the visitor's words on the page, the operator's logged
                LOG.warning("oneframe: %s", exc)
                if (warning := exc.for_visitor()) not in warnings:
                    warnings.append(warning)
        return vectors

    def _lines(self, frame_cue: np.ndarray, frame_dialog: np.ndarray | None,
               scores: DialogScores | None) -> np.ndarray:
        """Per frame, the window of lines its dialogue match shows (-1: not a dialogue match).

        Frames matched by one window are one moment, however long the line runs.
        """
        lines = np.full(len(self.times), -1, np.int64)
        if frame_dialog is None or scores is None:
            return lines
        shown = np.flatnonzero((frame_cue >= 0) & (frame_dialog >= SHOW_WINDOW))
        lines[shown] = self._one_line(scores.window[frame_cue[shown]])
        return lines

    def _one_line(self, windows: np.ndarray) -> np.ndarray:
        """``windows`` with each one that repeats an earlier window's words (a line read from
        both a caption track and the picture, in an entry made before ingest merged them) as
        that window: one moment, not two."""
        first, length = self.dialog.first, self.dialog.length
        seen: dict[tuple[int, tuple[str, ...]], tuple[list[float], list[int]]] = {}
        same = {}
        for w in sorted(set(windows.tolist()), key=lambda w: self.cue_start[first[w]]):
            key = (int(self.dialog.window_video[w]), tuple(
                word for cue in range(first[w], first[w] + length[w])
                for word in self.dialog.cue_words[cue]))
            start = float(self.cue_start[first[w]])
            times, ids = seen.setdefault(key, ([], []))
            at = bisect.bisect_left(times, start - SAME_LINE_SECONDS)  # the earliest close one
            same[w] = ids[at] if at < len(ids) else w
            times.append(start)
            ids.append(w)
        return np.asarray([same[w] for w in windows.tolist()], np.int64)

    def _overlaps(self, lines: np.ndarray) -> dict[int, set[int]]:
        """Per window among ``lines``, the others that share a line with it (windows never
        join two videos, so sharing a cue is sharing a video)."""
        windows = np.unique(lines[lines >= 0])
        if len(windows) < 2:
            return {}
        first = self.dialog.first[windows].astype(np.int64)
        last = first + self.dialog.length[windows] - 1
        share = (first[:, None] <= last[None, :]) & (first[None, :] <= last[:, None])
        np.fill_diagonal(share, False)
        return {int(w): {int(x) for x in windows[row]}
                for w, row in zip(windows, share, strict=True) if row.any()}

    def _hit_times(self, frame_cue: np.ndarray, frame_dialog: np.ndarray | None,
                   weight: float) -> np.ndarray:
        """Frame times, moved to the start of the matched line where dialogue drives a hit."""
        times = self.times.copy()
        if frame_dialog is None or weight >= 1:
            return times
        driven = np.flatnonzero((frame_cue >= 0) & (frame_dialog > 0))
        starts = self.cue_start[frame_cue[driven]]
        times[driven] = np.clip(starts, self.times[driven], self.span_end[driven])
        return times

    def _as_asked(self, frames: np.ndarray, parts: Query, lines: np.ndarray,
                  chosen: np.ndarray, hit_times: np.ndarray) -> np.ndarray:
        """``frames`` whose line (the one its moment shows, at its hit time) holds every phrase
        the query quotes and no word it excludes, and whose picture matches no excluded word
        (its picture score for the word under ``EXCLUDED_PICTURE``)."""
        shown: dict[tuple[str, int], str] = {}

        def line_of(f: int) -> str:
            window = int(lines[f])
            key = ("window", window) if window >= 0 else (
                "cue", self._said_at(int(self.frame_video[f]), float(hit_times[f])))
            if key not in shown:
                if key[0] == "window":
                    first, length = int(self.dialog.first[window]), int(self.dialog.length[window])
                    cues = self.dialog.cues[first:first + length]
                else:
                    cues = [self.dialog.cues[key[1]]] if key[1] >= 0 else []
                shown[key] = " " + " ".join(words(" ".join(c.text for c in cues))) + " "
            return shown[key]

        wanted = [" " + " ".join(words(p)) + " " for p in parts.exact]
        unwanted = [" " + " ".join(words(w)) + " " for w in parts.exclude]
        keep = np.asarray([all(p in line_of(int(f)) for p in wanted)
                           and not any(w in line_of(int(f)) for w in unwanted)
                           for f in frames], bool)
        for word in parts.exclude:
            seen = self.picture.score(chosen, word, None, None).values
            keep &= seen[frames] < EXCLUDED_PICTURE
        return frames[keep]

    def _said_at(self, v: int, t: float) -> int:
        """The cue on screen at ``t`` in video ``v`` (the latest to start), or -1."""
        lo, hi = self.cue_offset[v], self.cue_offset[v + 1]
        starts, ends = self.cue_start[lo:hi], self.cue_end[lo:hi]
        on = np.flatnonzero((starts - CUE_MARGIN <= t) & (t <= ends + CUE_MARGIN))
        return int(lo + on[np.argmax(starts[on])]) if len(on) else -1

    def _language_warning(self, query: str, chosen: np.ndarray) -> list[str]:
        """Says so where the query's script shows a language that none of the searched
        videos' dialogue is in, and no multilingual model could carry it across."""
        asked = script_language(query)
        langs = {self.dialog.langs[v] for v in chosen.tolist()}
        models = {self.records[v].dialog_model for v in chosen.tolist()}
        if asked is None or asked in langs or any(is_multilingual(m) for m in models if m):
            return []
        LOG.warning("oneframe: a %s query met dialogue in %s: to search across languages, "
                    "set ONEFRAME_DIALOG_MODEL to a multilingual model (e.g. %s) and add the "
                    "videos again", language_name(asked), ", ".join(sorted(langs)),
                    MULTILINGUAL_DIALOG_MODEL)
        return [f"The query looks {language_name(asked)}, but the dialogue searched is in "
                f"{', '.join(language_name(lang) for lang in sorted(langs))}: its words can't "
                "match, and this server can't carry meaning across languages. Ask in the "
                "dialogue's language."]

    def _hit(self, f: int, fused: np.ndarray, visual: np.ndarray | None,
             frame_dialog: np.ndarray | None,
             frame_cue: np.ndarray, hit_times: np.ndarray, matched: set[str],
             scores: DialogScores | None, window: int) -> Hit:
        v = int(self.frame_video[f])
        record = self.records[v]
        local = f - int(self.frame_offset[v])
        t = float(hit_times[f])
        if window >= 0:  # a dialogue match: its lines, played from their start
            first, length = int(self.dialog.first[window]), int(self.dialog.length[window])
            text = " ".join(c.text for c in self.dialog.cues[first:first + length])
            segments = highlight(text, matched, self.dialog.langs[v])
            cue, start = int(frame_cue[f]), float(self.cue_start[first])
            span = (start, float(self.cue_end[first + length - 1]))
        else:  # what is said on screen then, if anything; played from a little before
            cue = self._said_at(v, t)
            text = self.dialog.cues[cue].text if cue >= 0 else ""
            segments = [(text, False)] if text else []
            start = max(0.0, t - PICTURE_LEAD)
            span = (float(self.times[f]), float(self.span_end[f]))
        source = (self.dialog.cues[cue].source or record.caption_kind) if cue >= 0 else None
        dialog = None
        if frame_dialog is not None and self.cues[v]:
            dialog = float(frame_dialog[f])
        picture = None if visual is None or not record.has_pictures else float(visual[f])
        return Hit(record.id, record.title, t, float(fused[f]), picture, dialog, text,
                   segments, record.frame_path(local), moment_url(record, start), local, source,
                   start=start, matched_line=window >= 0, frame_time=float(self.times[f]),
                   source_name=source_name(record, source) if source else None, span=span,
                   pictured=record.has_pictures)


def no_such_video(missing: Sequence[str], left_out: dict[str, str]) -> OneframeError:
    """Why videos asked for can't be searched: damaged (and why), or not in the library."""
    if damaged := [left_out[v] for v in missing if v in left_out]:
        return LibraryError(" ".join(damaged))
    return OneframeError(f"No video {', '.join(missing)} in the library. Run "
                         "`oneframe list` to see the ids.")


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``[0..c0-1, 0..c1-1, ...]`` for counts ``[c0, c1, ...]``."""
    if not len(counts):
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    return np.arange(ends[-1]) - np.repeat(ends - counts, counts)

