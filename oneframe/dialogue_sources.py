"""Where a video's lines come from, in order of trust: a caption file given or beside it, the
site's captions, a subtitle track inside the file (text, or pictures read by OCR); and, where
there is none of these, its speech (:func:`speech_cues`, through :mod:`oneframe.speech`).

Each source that fails is a note on the record, never the end of the ingest, except a caption
file the user named, whose failure is theirs to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oneframe.captions import read_captions
from oneframe.cues import Cue
from oneframe.errors import CaptionError, ModelError
from oneframe.progress import Progress, no_progress
from oneframe.sources import Fetched
from oneframe.speech import audio_streams, load_transcriber
from oneframe.tracks import Track, choose_track, list_tracks, track_cues


@dataclass
class Dialogue:
    """The lines of a video's caption-like source (file, site or track), and where from."""

    cues: list[Cue] = field(default_factory=list)
    kind: str | None = None
    """``file``, ``manual``, ``auto`` (the site's) or ``track``; None: no such source."""
    lang: str | None = None
    track: dict | None = None
    """The subtitle track read (number, index, codec, language, title, forced)."""
    notes: list[str] = field(default_factory=list)


def gather(fetched: Fetched, *, explicit: bool, lang: str, subtitle_track: int | None = None,
           fps: float | None = None) -> Dialogue:
    """The best caption-like source of a fetched video.

    A caption file the user gave wins; then a subtitle track the user asked for by number;
    then a sidecar file or the site's captions; then the best subtitle track inside the file.
    """
    if fetched.captions is not None and (explicit or subtitle_track is None):
        found = _caption_file(fetched, explicit, fps)
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
    return _track(fetched.video, chosen, notes)


def _caption_file(fetched: Fetched, explicit: bool, fps: float | None) -> Dialogue:
    assert fetched.captions is not None
    try:
        cues = read_captions(fetched.captions, fps)
    except CaptionError as exc:
        if explicit:
            raise
        return Dialogue(notes=[f"Captions were found but skipped: {exc}"])
    return Dialogue(cues, fetched.caption_kind, fetched.caption_lang)


def _track(video: Path, track: Track, notes: list[str]) -> Dialogue:
    reader = None
    if track.bitmap:
        from oneframe.ocr import load_reader

        try:
            reader = load_reader()
        except ModelError as exc:
            return Dialogue(notes=[*notes, f"The {track.label()} is pictures of text, which "
                                   f"need OCR, and OCR is not available: {exc}"])
    try:
        cues = track_cues(video, track, reader)
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
