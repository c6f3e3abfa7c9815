"""Dialogue from speech, where a video has no text of its own: faster-whisper (CTranslate2).

Int8 on the CPU (the GPU where there is one), with its voice-activity filter on (without it
Whisper invents lines over music and silence) and word timestamps, so lines are cut where the
speaker pauses and timed by their words. The model is ``ONEFRAME_SPEECH_MODEL`` (a hub id or
a folder in faster-whisper's format), else Whisper base: the English-only ``base.en`` when
the captions asked for are English, the multilingual ``base`` otherwise. Loaded once, from the
local cache first, like the other models.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.core import settings
from oneframe.core.errors import ModelError
from oneframe.core.extras import how_to_install
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.dialogue.cues import Cue, Word, group_words
from oneframe.encoders.models import INFERENCE, device, first_line, load_once, pretrained, resolve

SPEECH_MODEL_ENV = settings.SPEECH_MODEL
DEFAULT_ENGLISH = "Systran/faster-whisper-base.en"
DEFAULT_MULTILINGUAL = "Systran/faster-whisper-base"

BEAM = 1
"""Greedy decoding: about twice as fast as faster-whisper's default beam of 5 on a CPU, for a
word error rate within a point of it on clear speech (bench/eval_speech.py)."""


def resolve_speech_model(model: str | None = None, lang: str = "en") -> str:
    """The argument, else ``$ONEFRAME_SPEECH_MODEL``, else Whisper base (English-only for
    English)."""
    english = lang.lower().split("-")[0] == "en"
    return resolve(model, SPEECH_MODEL_ENV, DEFAULT_ENGLISH if english else DEFAULT_MULTILINGUAL)


class Transcriber:
    """A loaded faster-whisper model."""

    def __init__(self, model_id: str, model: Any) -> None:
        self.model_id = model_id
        self.model = model
        self.english_only = model_id.rstrip("/").endswith(".en") or bool(
            getattr(model, "model", None) is not None and not model.model.is_multilingual)

    def transcribe(self, audio: Path, lang: str | None = None,
                   progress: Progress = no_progress) -> list[Cue]:
        """Speech cues (``source="speech"``) of the audio in a media file, in readable lines.

        The audio is decoded a window at a time (``WINDOW_SECONDS``), so memory stays flat in
        the film's length (handed the whole file, faster-whisper decoded all of it: 1.75 GB
        for two hours); a window's last words, which may be cut, are heard again at the start
        of the next one. ``progress`` hears every segment, so a cancel lands within seconds.
        """
        language = "en" if self.english_only else (lang.split("-")[0] if lang else None)
        total = int(audio_seconds(audio))
        progress(Stage.SPEECH, 0, total)
        words: list[Word] = []
        windows = AudioWindows(audio)
        for start, samples, last in windows:
            heard = self._heard(samples, language, start, total, progress)
            if not last:  # the words near the window's end wait for the next window
                heard = [w for w in heard if w.end <= start + len(samples) / RATE - OVERLAP]
            words += [w for w in heard if not words or w.start >= words[-1].end - 0.05]
            if heard and not last:
                windows.resume = heard[-1].end
        progress(Stage.SPEECH, total, total)
        return [Cue(c.start, c.end, c.text, "speech")
                for c in group_words(words, sentences=True)]

    def _heard(self, samples: np.ndarray, language: str | None, offset: float, total: int,
               progress: Progress) -> list[Word]:
        segments, _ = self.model.transcribe(
            samples, language=language, beam_size=BEAM, vad_filter=True,
            word_timestamps=True, condition_on_previous_text=False)
        words: list[Word] = []
        while True:
            with INFERENCE:  # the cores are shared with frame embedding and OCR by turns
                segment = next(segments, None)
            if segment is None:
                return words
            words += [Word(w.word.strip(), offset + float(w.start), offset + float(w.end))
                      for w in segment.words or [] if w.word.strip()]
            progress(Stage.SPEECH, min(int(offset + segment.end), total), total)


def _load(model_id: str) -> Transcriber:
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ModelError(
            "Speech can't be transcribed here: faster-whisper is not installed. To transcribe "
            f"videos without captions, {how_to_install('speech')}.",
            visitor="This server does not transcribe speech; add a video with captions, or "
            "ask whoever runs it.") from exc
    try:
        where = device()
        compute = "int8" if where == "cpu" else "float16"

        def whisper(name: str, **kwargs: object) -> Any:
            return WhisperModel(name, device=where, compute_type=compute, cpu_threads=0,
                                **kwargs)

        return Transcriber(model_id, pretrained(whisper, model_id))
    except Exception as exc:  # network, missing files, not a Whisper model: one message
        raise ModelError(
            f"Could not load the speech model '{model_id}': {first_line(exc)}. It is "
            "downloaded from the Hugging Face Hub on first use. To use a local copy, set "
            f"{SPEECH_MODEL_ENV} to a folder in faster-whisper's format (CTranslate2), such as "
            "one made with `hf download Systran/faster-whisper-base.en --local-dir DIR`. "
            "Without it, a video with no captions has no dialogue to search."
        ) from exc


def load_transcriber(model: str | None = None, lang: str = "en") -> Transcriber:
    """The speech model for ``model`` (see :func:`resolve_speech_model`), loaded once."""
    return load_once("speech", resolve_speech_model(model, lang), _load)


RATE = 16_000
"""Whisper hears 16 kHz mono."""
WINDOW_SECONDS = 120.0
OVERLAP = 3.0
"""Seconds at a window's end whose words are left to the next window, which starts again at
the last word kept (a word cut by the window's edge is heard whole there)."""


def audio_seconds(path: Path) -> float:
    """How long the first audio stream lasts (the container's length where it doesn't say)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        return (container.duration or 0) / 1e6


class AudioWindows:
    """A file's first audio stream as ``(start seconds, 16 kHz mono float32 samples, is the
    last)`` windows of about ``WINDOW_SECONDS``, decoded as they are needed. Each window after
    the first starts at ``resume`` if the consumer set it (its last whole word's end), else
    ``OVERLAP`` before the previous one's end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.resume: float | None = None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray, bool]]:
        import av

        with av.open(str(self.path)) as container:
            source = self._samples(container)
            held, start, done = np.zeros(0, np.float32), 0.0, False
            while not done:
                pieces, size = [held], len(held)
                while size < WINDOW_SECONDS * RATE:
                    piece = next(source, None)
                    if piece is None:
                        done = True
                        break
                    pieces.append(piece)
                    size += len(piece)
                window = np.concatenate(pieces)
                self.resume = None
                yield start, window, done
                end = start + len(window) / RATE
                resume = min(max(self.resume or end - OVERLAP, start + 1.0), end)
                held, start = window[int((resume - start) * RATE):], resume

    @staticmethod
    def _samples(container: Any) -> Iterator[np.ndarray]:
        import av

        resampler = av.AudioResampler(format="fltp", layout="mono", rate=RATE)
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                yield out.to_ndarray().reshape(-1).astype(np.float32)
        for out in resampler.resample(None):
            yield out.to_ndarray().reshape(-1).astype(np.float32)


def audio_streams(path: Path) -> int:
    """How many audio streams a media file has (0 if it can't be read)."""
    import av

    try:
        with av.open(str(path)) as container:
            return len(container.streams.audio)
    except (av.FFmpegError, OSError, ValueError):
        return 0
