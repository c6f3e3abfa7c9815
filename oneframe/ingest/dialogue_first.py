"""A video's lines in the library before its picture: a *dialogue-only* entry.

Only the video's captions are fetched (the site's, manual over auto, the language asked; or
the caption file beside a local video); its lines are indexed by their words at once, so a
search finds them within seconds, and the entry's "frames" are the times its lines start,
with no picture (model :data:`NO_PICTURES`, vectors 0 wide, no thumbnails, no video file).
The picture stage later replaces the entry with a whole one, in one step
(:func:`oneframe.ingest.pipeline.ingest` with ``replace`` set to its id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from oneframe.core.errors import CaptionError
from oneframe.dialogue.captions import check_caption_size, max_caption_bytes, read_captions
from oneframe.dialogue.cues import Cue
from oneframe.dialogue.gather import fit_to_video
from oneframe.dialogue.languages import guess
from oneframe.dialogue.windows import WordIndex, cue_windows
from oneframe.index.store import follow
from oneframe.ingest.options import IngestOptions
from oneframe.library.folders import Library, VideoRecord
from oneframe.library.manifest import NO_PICTURES
from oneframe.sources.door import Door, admit
from oneframe.sources.policy import ServePolicy
from oneframe.sources.probe import Probe, caption_lang_from_name, is_url, probe, probed
from oneframe.sources.ytdlp import ManyVideos

DIALOGUE_FIRST = "dialogue-first"
"""The caption key of a dialogue-only entry (never the key of a whole add)."""


@dataclass
class DialogueOutcome:
    """What looking for a video's lines came to: its entry (a new dialogue-only one, or the
    one the library had), where its lines came from, or why it has none yet."""

    record: VideoRecord | None
    captions: str
    """``manual``, ``auto``, ``file``, or ``none`` (its lines wait for speech or OCR)."""
    existing: bool = False
    published: str | None = None


def add_dialogue(source: str, options: IngestOptions, *, library: Library,
                 policy: ServePolicy | None = None, follow_store: bool = True,
                 videos: ManyVideos | None = None) -> DialogueOutcome:
    """The lines of ``source`` as a dialogue-only entry of ``library`` (or the entry it has
    already: nothing is added twice). No captions: no entry, ``captions == "none"``. A
    failure to fetch them raises (SourceError): the caller tries again later. ``videos``:
    the yt-dlp instances of a collection's run, reused from one video to the next."""
    door = admit(source, policy)
    videos = videos or ManyVideos(options.cookies)
    with door.network():
        if is_url(door.source):
            found = _probe_link(door.source, policy, videos)
        else:
            found = probe(door.source, options.cookies, policy=policy)
    published = _published(found)
    if existing := library.entries_of(found.source_id):
        best = next((r for r in existing if r.has_pictures), existing[0])
        return DialogueOutcome(best, best.caption_kind or "none", True, published)
    got = _captions(door, found, options, videos)
    if got is None:
        return DialogueOutcome(None, "none", published=published)
    data, name, kind, lang = got
    notes: list[str] = []
    try:
        cues = fit_to_video(read_captions(name, None, lang or options.lang, data),
                            found.duration, notes, name)
    except CaptionError:  # a notes file beside a video, captions of another film: as the
        cues = []  # single-video path does, skipped; its lines come with its picture (speech)
    if not cues:
        return DialogueOutcome(None, "none", published=published)
    with library.staging() as stage:
        record = _write(stage, found, cues, kind, guess((c.text for c in cues[:400]),
                                                       lang or options.lang), options, notes)
        record.source = options.source_label or record.source
        committed = library.commit(stage, record, replace=False)
    if follow_store:
        follow(library, [committed.id])
    return DialogueOutcome(committed, kind, committed.outcome == "existing", published)


def _probe_link(url: str, policy: ServePolicy | None, videos: ManyVideos) -> Probe:
    if policy is not None:
        parts = urlsplit(url)
        policy.check_host(parts.hostname or "", parts.port or (443 if parts.scheme == "https"
                                                              else 80))
    return probed(url, videos.extract(url))


def _captions(door: Door, found: Probe, options: IngestOptions, videos: ManyVideos
              ) -> tuple[bytes, str, str, str | None] | None:
    """``(bytes, file name, kind, language)`` of the video's captions, or None."""
    if found.path is not None:
        sidecar = door.sidecar(found, options.lang)
        if sidecar is None:
            return None
        check_caption_size(sidecar)
        return sidecar.read_bytes(), sidecar.name, "file", caption_lang_from_name(sidecar)
    assert found.info is not None
    with door.network():
        got = videos.captions(found.info, options.lang, max_caption_bytes())
    if got is None:
        return None
    data, ext, kind, lang = got
    return data, f"captions.{ext}", kind, lang


def _write(stage: Path, found: Probe, cues: list[Cue], kind: str, lang: str,
           options: IngestOptions, notes: list[str]) -> VideoRecord:
    """Lines, their windows and their start times as frames without pictures, into
    ``stage``; the entry's record."""
    (stage / "cues.json").write_text(json.dumps([c.to_json() for c in cues]), encoding="utf-8")
    np.save(stage / "windows.npy", cue_windows(cues))
    WordIndex.of(cues, lang).save(stage)
    times = np.unique(np.asarray([c.start for c in cues], np.float64))
    np.save(stage / "times.npy", times)
    np.save(stage / "embeddings.npy", np.zeros((len(times), 0), np.float16))
    duration = found.duration or max(c.end for c in cues)
    return VideoRecord(
        id=found.source_id, title=found.title, source=found.source, url=found.url,
        duration=round(float(max(duration, times[-1])), 3), model=NO_PICTURES,
        interval=options.interval, caption_key=DIALOGUE_FIRST, caption_kind=kind,
        caption_lang=lang, frames=len(times), cues=len(cues), video_file=None,
        created=datetime.now(UTC).isoformat(timespec="seconds"), notes=notes, dim=0,
        path=stage)


def _published(found: Probe) -> str | None:
    """The video's date (``YYYY-MM-DD``) where its page gives one."""
    day = (found.info or {}).get("upload_date")
    if isinstance(day, str) and len(day) == 8 and day.isdigit():
        return f"{day[:4]}-{day[4:6]}-{day[6:]}"
    return None
