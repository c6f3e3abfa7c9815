"""Where a video's lines come from, in order of trust: a caption file given or beside it, the
site's captions, a subtitle track inside the file (text, or pictures read by OCR); and, where
there is none of these, its speech (:func:`speech_cues`, through :mod:`oneframe.speech`).

Each source that fails is a note on the record, never the end of the ingest, except a caption
file the user named, whose failure is theirs to fix.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from oneframe.core import settings
from oneframe.core.errors import CaptionError, ModelError
from oneframe.core.progress import Progress, no_progress
from oneframe.core.settings import number
from oneframe.core.timefmt import timestamp
from oneframe.dialogue.captions import read_captions
from oneframe.dialogue.cues import Cue
from oneframe.dialogue.speech import audio_streams, load_transcriber
from oneframe.dialogue.tracks import Track, choose_track, list_tracks, track_cues


@dataclass
class Dialogue:
    """The lines of a video's caption-like source (file, site or track), and where from."""

    cues: list[Cue] = field(default_factory=list)
    kind: str | None = None
    """``file``, ``manual``, ``auto`` (the site's) or ``track``; None: no such source."""
    lang: str | None = None
    track: dict[str, Any] | None = None
    """The subtitle track read (number, index, codec, language, title, forced)."""
    notes: list[str] = field(default_factory=list)


class Fetched(Protocol):
    """What gathering needs of a fetched video (``sources.probe.Fetched`` is one)."""

    video: Path
    captions: Path | None
    caption_kind: str | None
    caption_lang: str | None
    caption_data: bytes | None
    caption_failure: str | None


def gather(fetched: Fetched, *, explicit: bool, lang: str, subtitle_track: int | None = None,
           fps: float | None = None, duration: float | None = None,
           progress: Progress = no_progress) -> Dialogue:
    """The best caption-like source of a fetched video, without the lines that start after
    its ``duration`` (a note says how many).

    A caption file the user gave wins; then a subtitle track the user asked for by number;
    then a sidecar file or the site's captions; then the best subtitle track inside the file.
    """
    if fetched.captions is not None and (explicit or subtitle_track is None):
        found = _caption_file(fetched, explicit, fps, duration, lang)
        if found.cues or explicit:
            return found
        notes = found.notes
    else:
        notes = []
    if fetched.caption_failure:
        notes.append(f"The video was added without the site's captions: "
                     f"{fetched.caption_failure} Add the same link again later to fetch them "
                     "(the video is kept until then).")
    tracks = list_tracks(fetched.video)
    chosen = choose_track(tracks, lang, subtitle_track)
    if chosen is None:
        return Dialogue(notes=notes)
    return _track(fetched.video, chosen, notes, duration, progress)


def _caption_file(fetched: Fetched, explicit: bool, fps: float | None,
                  duration: float | None, lang: str) -> Dialogue:
    """The cues of the caption file: in the language its name or the site gives, else the
    one asked for (a hint for its encoding, its stems and common words)."""
    assert fetched.captions is not None
    notes: list[str] = []
    lang = fetched.caption_lang or lang
    try:
        cues = fit_to_video(read_captions(fetched.captions, fps, lang, fetched.caption_data),
                            duration, notes,
                            fetched.captions.name)
    except CaptionError as exc:
        if explicit:
            raise
        return Dialogue(notes=[f"Captions were found but skipped: {exc}"])
    return Dialogue(cues, fetched.caption_kind, lang, notes=notes)


MAX_CUES_PER_MINUTE_ENV, MAX_CUES_PER_MINUTE = settings.MAX_CUES_PER_MINUTE, 200
"""Fast dialogue is 20-30 lines a minute; captions timed word by word, up to about 150."""


MAX_CUE_TEXT = 2000
"""The longest line kept whole, in characters (a subtitle line is rarely over 100): a longer
one (a hostile file) is cut, so that matching and showing it stay quick."""


def _shortened(cues: list[Cue], notes: list[str]) -> list[Cue]:
    """``cues`` with each line over ``MAX_CUE_TEXT`` characters cut at a word, and a note."""
    long = sum(len(c.text) > MAX_CUE_TEXT for c in cues)
    if not long:
        return cues
    notes.append(f"{long:,} caption line{'s were' if long > 1 else ' was'} longer than "
                 f"{MAX_CUE_TEXT:,} characters and cut there.")
    return [c if len(c.text) <= MAX_CUE_TEXT else
            Cue(c.start, c.end, c.text[:MAX_CUE_TEXT].rsplit(" ", 1)[0] + " …", c.source)
            for c in cues]


def fit_to_video(cues: list[Cue], duration: float | None, notes: list[str],
                 name: str) -> list[Cue]:
    """``cues`` without those that start after the video ends (``duration``) and with lines
    over ``MAX_CUE_TEXT`` characters cut, with a note saying how many; CaptionError if more
    are left than ``$ONEFRAME_MAX_CUES_PER_MINUTE`` a minute of video (captions of something
    else, or a hostile file)."""
    if not cues:
        return cues
    cues = _shortened(cues, notes)
    if duration is None:
        return cues
    kept = [c for c in cues if c.start < duration]
    if beyond := len(cues) - len(kept):
        notes.append(f"{beyond:,} of the {len(cues):,} caption lines start after the video "
                     f"ends ({timestamp(duration)}) and were left out: the captions may belong "
                     "to another video or another cut of it.")
    limit = number(MAX_CUES_PER_MINUTE_ENV, MAX_CUES_PER_MINUTE)
    if len(kept) > max(limit * duration / 60, 10):
        raise CaptionError(
            f"{name}: {len(kept):,} caption lines in {timestamp(duration)} of video, "
            f"{len(kept) / max(duration, 1) * 60:,.0f} a minute; the most oneframe reads is "
            f"{limit:g} a minute (the operator's setting {MAX_CUES_PER_MINUTE_ENV}). These "
            "captions look like they belong to something else.")
    return kept


def _track(video: Path, track: Track, notes: list[str], duration: float | None,
           progress: Progress) -> Dialogue:
    reader = None
    if track.bitmap:
        from oneframe.dialogue.ocr import load_reader

        try:
            reader = load_reader()
        except ModelError as exc:
            return Dialogue(notes=[*notes, f"The {track.label()} is pictures of text, which "
                                   f"need OCR, and OCR is not available: {exc}"])
    try:
        cues = fit_to_video(track_cues(video, track, reader, progress, duration), duration,
                            notes, track.label())
    except CaptionError as exc:
        return Dialogue(notes=[*notes, str(exc)])
    return Dialogue(cues, "track", track.language, track.to_json(), notes)


def speech_cues(video: Path, mode: str, has_text: bool, lang: str, notes: list[str],
                progress: Progress = no_progress) -> tuple[list[Cue], str | None]:
    """Transcribed speech cues and the model that made them: always with ``on``, with ``auto``
    only where the video has no caption-like source; none with ``off``. A video without sound
    or without speech gets a note; a model that can't load is an error only with ``on``."""
    if mode == "off" or (mode == "auto" and has_text):
        return [], None
    if not audio_streams(video):
        notes.append("The video has no sound track, so there is no speech to transcribe.")
        return [], None
    try:
        transcriber = load_transcriber(lang=lang)
    except ModelError as exc:
        if mode == "on":
            raise
        notes.append(str(exc))
        return [], None
    cues = transcriber.transcribe(video, lang, progress)
    if not cues:
        notes.append("No speech was heard in the video (music or silence), so it has no "
                     "dialogue to search.")
    return cues, transcriber.model_id


REPEAT_SECONDS = 2.0
REPEAT_SIMILARITY = 85


def without_repeats(extra: list[Cue], cues: list[Cue]) -> list[Cue]:
    """``extra`` (burned-in subtitles, say) without the lines ``cues`` (a caption track)
    already hold: the same words (fuzzily: OCR misreads a letter now and then) within
    ``REPEAT_SECONDS`` of each other. Two sources of one line are one line."""
    from rapidfuzz import fuzz

    from oneframe.dialogue.text import words

    if not extra or not cues:
        return extra
    starts = [c.start for c in cues]
    plain = [" ".join(words(c.text)) for c in cues]
    kept = []
    for cue in extra:
        lo = bisect.bisect_left(starts, cue.start - REPEAT_SECONDS - 30)
        said = " ".join(words(cue.text))
        hi = bisect.bisect_right(starts, cue.end + REPEAT_SECONDS)
        near = range(lo, hi)
        if not any(cues[i].end >= cue.start - REPEAT_SECONDS
                   and fuzz.ratio(said, plain[i]) >= REPEAT_SIMILARITY for i in near):
            kept.append(cue)
    return kept
