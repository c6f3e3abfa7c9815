"""The ingest pipeline: source -> video + captions -> frames -> embeddings -> library.

Each stage is a function of its own module; this one only wires them and reports progress.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.core.errors import LibraryError, ModelError
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.core.timefmt import timestamp
from oneframe.core.timing import timed
from oneframe.dialogue.cues import Cue
from oneframe.dialogue.gather import Dialogue, gather, speech_cues, without_repeats
from oneframe.dialogue.languages import code, guess, language_name
from oneframe.dialogue.ocr import (
    BurnedInTracker,
    QueuedTracker,
    has_burned_in,
)
from oneframe.dialogue.windows import WordIndex, cue_windows, window_vectors
from oneframe.encoders.dual import Encoder, load_encoder
from oneframe.encoders.sentences import (
    dialog_model_for,
    load_sentence_encoder,
)
from oneframe.index.store import follow
from oneframe.ingest.options import IngestKey, IngestOptions, read_caption_file
from oneframe.library.atomic import reported_writes
from oneframe.library.folders import Library, VideoRecord
from oneframe.media.frames import (
    ANALYSIS_FPS,
    Frame,
    open_video,
    sample_frames,
    thumbnail_jpeg,
    video_info,
)
from oneframe.media.prefetch import prefetch
from oneframe.sources.door import admit
from oneframe.sources.policy import ServePolicy
from oneframe.sources.probe import Fetched, Probe, fetch, probe, youtube_id

LOG = logging.getLogger("oneframe")



def ingest(source: str, options: IngestOptions | None = None, *,
           library: Library | None = None, progress: Progress = no_progress,
           policy: ServePolicy | None = None, **choices: Any) -> VideoRecord:
    """Index a URL or local file into the library, as ``options`` say (or ``choices``, the
    fields of :class:`IngestOptions`), and return its record.

    ``policy`` is what the web app may read and fetch for a visitor (None: anything, as on the
    command line); it is checked once, as the source comes in. A second ingest of the same
    source with the same options and model is a cache hit (the record's ``outcome`` is
    ``existing``). With other options it is added as a new entry beside the first (``beside``),
    unless ``options.replace`` asks to replace the source's entry (True) or one of its entries
    by id (``replaced``); see :func:`outcome_message`. Adding a link again whose captions could
    not be fetched the first time replaces that entry. On any failure the library is left as
    it was.
    """
    if options is None:
        options = IngestOptions(**choices)
    elif choices:
        raise TypeError("give the options or the choices, not both")
    library = library or Library()
    door = admit(source, policy)
    given = read_caption_file(options.captions)  # read once: its hash keys, its text is parsed
    key = options.key(given)
    known = youtube_id(door.source)  # a YouTube link's id is known without the network
    if known and not options.replace and (hit := library.find_source(f"yt-{known}", key)):
        hit.outcome = "existing"
        return hit
    progress(Stage.PROBE, 0, 1)
    name = options.source_label or door.source
    with door.network():
        found = probe(door.source, options.cookies, policy=policy, name=name)
    captions, data = options.captions, given
    if captions is None and options.subtitle_track is None:  # a track asked for wins
        captions = door.sidecar(found, options.lang)
        data = read_caption_file(captions)
        key = options.key(None, data)
    if not options.replace and (hit := library.find_source(found.source_id, key)):
        hit.outcome = "existing"
        return hit
    into = _entry_to_replace(library, found.source_id, key, options.replace)
    encoder = load_encoder(key.model)  # fail before downloading if the model cannot load
    with reported_writes("add the video to the library"), library.staging() as stage:
        with door.network():
            fetched = fetch(found, stage, captions=captions, caption_data=data,
                            lang=options.lang, cookies=options.cookies, progress=progress)
        record = _indexed(fetched, found, stage, encoder, options, key, progress, name,
                          explicit=options.captions is not None)
        if into is not None:
            record.id, record.origin = into, (None if into == found.source_id
                                              else found.source_id)
        progress(Stage.SAVE, 0, 1)  # the last report: a callback that raises to cancel stops here
        with timed("commit"):
            committed = library.commit(stage, record, replace=into is not None)
    with timed("commit"):
        follow(library, [committed.id])
    return committed


def _indexed(fetched: Fetched, found: Probe, stage: Path, encoder: Encoder,
             options: IngestOptions, key: IngestKey, progress: Progress, name: str,
             explicit: bool) -> VideoRecord:
    """The fetched video's dialogue and frames, indexed into ``stage``: its record."""
    progress(Stage.CAPTIONS, 0, 1)
    info = video_info(fetched.video, name)
    with timed("captions"):
        dialogue = gather(fetched, explicit=explicit, lang=options.lang,
                          subtitle_track=options.subtitle_track, fps=info.fps,
                          duration=info.duration, progress=progress)
    cues, notes = dialogue.cues, dialogue.notes
    progress(Stage.CAPTIONS, 1, 1)
    with timed("speech"):
        spoken, record_speech = speech_cues(fetched.video, options.speech, bool(cues),
                                            options.lang, notes, progress)
    with timed("OCR"):
        tracker = start_ocr(fetched.video, options.ocr, options.ocr_band, notes, progress)
    duration, frames = index_frames(fetched.video, stage, encoder, options.interval, progress,
                                    tracker, name=name, notes=notes)
    burned = without_repeats(tracker.finish(duration), cues + spoken) if tracker else []
    if beyond := sum(c.start >= duration for c in cues):
        cues = [c for c in cues if c.start < duration]
        notes.append(f"{beyond:,} caption lines start after {timestamp(duration)}, where "
                     "the video could be decoded to, and were left out.")
    said = cues + spoken + burned
    lang = _language(said, dialogue, cues, notes)
    with timed("dialogue"):
        dialog_model = index_dialog(said, stage, dialog_model_for(lang), notes, progress)
    record = _record(found, fetched, stage, key.model, options.interval, key.captions,
                     duration, frames, dialogue)
    record.dialog_key, record.dialog_model, record.dim = key.dialogue, dialog_model, encoder.dim
    record.ocr_key, record.burned_in = key.ocr, len(burned)
    record.caption_lang = lang if cues else None  # what they are written in
    WordIndex.of(said, record.caption_lang).save(stage)  # as searches will split them
    record.speech, record.speech_model = len(spoken), record_speech
    record.source = options.source_label or record.source
    if found.path is not None and options.source_label:  # an upload: its name, not the copy's
        record.title = Path(options.source_label).stem or record.title
    return record


def _language(said: list[Cue], dialogue: Dialogue, cues: list[Cue], notes: list[str]) -> str:
    """The language the dialogue reads as (a note where the captions differ from the
    choice)."""
    lang = guess((c.text for c in said[:400]), dialogue.lang if cues else None)
    if cues and code(dialogue.lang) not in (None, lang):
        notes.append(f"The captions read as {language_name(lang)} ({lang}), not "
                     f"{language_name(code(dialogue.lang) or '')} as chosen: they are "
                     f"matched as {language_name(lang)}.")
    return lang


CAPTIONS_FAILED = "|captions-failed"
"""Marks a caption key whose captions could not be fetched: adding the video again retries."""

CHOICES = ("library format", "picture model", "frame interval", "captions or speech setting",
           "dialogue model", "burned-in subtitle setting")
"""What each part of a record's ``params()`` is, as users call it."""


def _entry_to_replace(library: Library, source_id: str, params: IngestKey,
                      replace: bool | str) -> str | None:
    """The id of the source's entry this ingest replaces, or None (a new entry)."""
    entries = library.entries_of(source_id)
    if isinstance(replace, str):
        if replace not in {r.id for r in entries}:
            raise LibraryError(f"'{replace}' is not an entry of this video, so it can't be "
                               "replaced by it: choose one of "
                               f"{', '.join(r.id for r in entries) or 'none (add it anew)'}.")
        return replace
    if replace:
        return source_id
    for record in entries:  # a collection's dialogue-only entry: the whole video takes its place
        if not record.has_pictures:
            return record.id
    for record in entries:  # its captions failed last time: this is the retry the note promised
        if CAPTIONS_FAILED in record.caption_key and record.params()[:3] == params[:3] and \
                record.params()[4:] == params[4:] and \
                record.caption_key.replace(CAPTIONS_FAILED, "") == params[3]:
            return record.id
    return None


def outcome_message(record: VideoRecord) -> str | None:
    """What the ingest that returned ``record`` did, where it wasn't a plain add: an entry that
    was there already, one replaced, one added beside another of the same video."""
    twin = record.twin
    if record.outcome == "existing":
        return (f"Already in the library as “{record.title}” ({record.id}), added with the same "
                "choices: nothing was added again.")
    if record.outcome == "replaced" and twin is not None and not twin.has_pictures:
        return (f"Its picture joined the library's entry of its dialogue, “{twin.title}” "
                f"({twin.id}).")
    if record.outcome == "replaced" and twin is not None:
        return f"Replaced the library's entry “{twin.title}” ({twin.id}), as asked."
    if record.outcome == "beside" and twin is not None:
        differ = [name for name, a, b in zip(CHOICES, twin.params(), record.params(),
                                             strict=True) if a != b] or ["choices"]
        return (f"This video is also in the library as “{twin.title}” ({twin.id}), with another "
                f"{' and '.join(differ)}; it was added beside it as a new entry, {record.id}. "
                "Remove the one you don't need on the Library page; to replace an entry instead "
                "of adding one, use Re-add there (on the command line: `oneframe remove ID`, "
                "`--replace`).")
    return None


def index_dialog(cues: list[Cue], stage: Path, dialog_model: str, notes: list[str],
                 progress: Progress = no_progress) -> str | None:
    """Write the cues, their windows and (if the sentence model loads) the windows' embeddings.

    Returns the sentence model used, or None when dialogue will be matched by words only.
    """
    (stage / "cues.json").write_text(json.dumps([c.to_json() for c in cues]), encoding="utf-8")
    windows = cue_windows(cues)
    np.save(stage / "windows.npy", windows)
    if not cues:
        return None
    try:
        sentences = load_sentence_encoder(dialog_model)
    except ModelError as exc:  # the visitor's words in the entry, the operator's in the log
        LOG.warning("oneframe: %s", exc)
        notes.append(exc.for_visitor())
        return None
    texts = [c.text for c in cues]
    progress(Stage.DIALOG, 0, len(texts))
    vectors = sentences.embed(texts, lambda done: progress(Stage.DIALOG, done, len(texts)))
    weights = np.asarray([max(len(t), 1) for t in texts], np.float32)
    np.save(stage / "dialog.npy", window_vectors(vectors, windows, weights).astype(np.float16))
    return sentences.model_id


def start_ocr(video: Path, mode: str, band: tuple[float, float], notes: list[str],
              progress: Progress = no_progress) -> QueuedTracker | None:
    """A tracker for burned-in subtitles, or None (mode off, or auto and none detected)."""
    if mode == "off":
        return None
    try:
        if mode == "auto":
            progress(Stage.SUBTITLES, 0, 1)
            found = has_burned_in(video, band)
            progress(Stage.SUBTITLES, 1, 1)
            if not found:
                return None
        return QueuedTracker(BurnedInTracker(band))
    except ModelError as exc:
        if mode == "on":
            raise
        notes.append(str(exc))
        return None


CANCEL_EVERY = 8
"""Frames embedded between two progress reports (where a cancel is heard): about half a second
of ViT-B/32 on an AVX2 CPU, so Cancel stops an ingest within a second."""


def index_frames(
    video: Path, stage: Path, encoder: Encoder, interval: float,
    progress: Progress = no_progress, tracker: QueuedTracker | None = None,
    name: str | None = None, notes: list[str] | None = None,
) -> tuple[float, int]:
    """Sample, thumbnail and embed the frames of ``video`` into ``stage``; ``(duration, count)``.

    Frames are decoded in a background thread while the previous batch is embedded; progress
    is reported from the calling thread (Streamlit can only draw from there). A ``tracker``
    reads burned-in subtitles from the frames looked at, between embedding batches. ``name``
    is how messages call the video. Where decoding stops well before the end the container
    gives, that is added to ``notes`` and the duration is what could be decoded.
    """
    cap, info = open_video(video, name)
    cap.release()
    written = _FrameWriter(stage, encoder, progress)
    total, lines = int(info.duration), 0
    decoded = [0.0]  # the last time looked at, written by the decoding thread

    def look(time: float, bgr: np.ndarray) -> None:
        decoded[0] = time
        if tracker is not None:
            tracker.look(time, bgr)

    idle = tracker.pump if tracker is not None else None
    for frame in prefetch(sample_frames(video, interval, look=look, name=name), idle=idle):
        progress(Stage.FRAMES, min(int(frame.time), total), total)
        if tracker is not None:
            tracker.pump()
        if tracker is not None and len(tracker.cues) != lines:
            lines = len(tracker.cues)
            progress(Stage.OCR, lines, 0)
        written.add(frame)
    written.save()
    progress(Stage.FRAMES, total, total)
    times = written.times
    end = decoded[0] + 1 / ANALYSIS_FPS
    if info.duration - end > max(1.0, 0.05 * info.duration):
        if notes is not None:
            notes.append(f"Only the first {timestamp(end)} of {timestamp(info.duration)} could "
                         "be decoded: the file looks truncated or damaged, and the rest can't be "
                         "searched or played. Re-download or re-export it to index all of it.")
        return max(end, times[-1]), len(times)
    return max(info.duration, times[-1]), len(times)


class _FrameWriter:
    """Kept frames into a stage: embedded ``CANCEL_EVERY`` at a time (a cancel is heard
    between batches), thumbnailed, their times and vectors saved at the end."""

    def __init__(self, stage: Path, encoder: Encoder, progress: Progress) -> None:
        self.stage, self.encoder, self.progress = stage, encoder, progress
        (stage / "frames").mkdir()
        self.times: list[float] = []
        self.vectors: list[np.ndarray] = []
        self.batch: list[Frame] = []

    def add(self, frame: Frame) -> None:
        self.batch.append(frame)
        if len(self.batch) == CANCEL_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        with timed("embed"):
            self.vectors.append(self.encoder.embed_images([f.image for f in self.batch])
                                .astype(np.float16))
        with timed("thumbnails"):
            for frame in self.batch:
                (self.stage / "frames" / f"{len(self.times):06d}.jpg").write_bytes(
                    thumbnail_jpeg(frame.image))
                self.times.append(frame.time)
        self.progress(Stage.EMBED, len(self.times), len(self.times))
        self.batch.clear()

    def save(self) -> None:
        self.flush()
        np.save(self.stage / "times.npy", np.asarray(self.times, np.float64))
        np.save(self.stage / "embeddings.npy", np.concatenate(self.vectors))


def _record(found: Probe, fetched: Fetched, stage: Path, model_id: str, interval: float, key: str,
            duration: float, frames: int, dialogue: Dialogue) -> VideoRecord:
    if fetched.caption_failure:
        key += CAPTIONS_FAILED  # not a cache hit: the next ingest of the link tries again
    cues = dialogue.cues
    return VideoRecord(
        id=found.source_id, title=found.title, source=found.source, url=found.url,
        duration=round(duration, 3), model=model_id, interval=interval, caption_key=key,
        caption_kind=dialogue.kind if cues else None,
        caption_lang=dialogue.lang if cues else None, track=dialogue.track if cues else None,
        frames=frames, cues=len(cues), video_file=fetched.video.name,
        created=datetime.now(UTC).isoformat(timespec="seconds"), notes=dialogue.notes,
        path=stage,
    )
