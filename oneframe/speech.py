"""Dialogue from speech, where a video has no text of its own: faster-whisper (CTranslate2).

Int8 on the CPU (the GPU where there is one), with its voice-activity filter on (without it
Whisper invents lines over music and silence) and word timestamps, so lines are cut where the
speaker pauses and timed by their words. The model is ``ONEFRAME_SPEECH_MODEL`` (a hub id or
a folder in faster-whisper's format), else Whisper base: the English-only ``base.en`` when
the captions asked for are English, the multilingual ``base`` otherwise. Loaded once, from the
local cache first, like the other models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oneframe.cues import Cue, Word, group_words
from oneframe.errors import ModelError
from oneframe.models import INFERENCE, device, first_line, load_once, pretrained, resolve
from oneframe.progress import Progress, no_progress

SPEECH_MODEL_ENV = "ONEFRAME_SPEECH_MODEL"
DEFAULT_ENGLISH = "Systran/faster-whisper-base.en"
DEFAULT_MULTILINGUAL = "Systran/faster-whisper-base"
SPEECH_MODES = ("auto", "on", "off")
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
        """Speech cues (``source="speech"``) of the audio in a media file, in readable lines."""
        language = "en" if self.english_only else (lang.split("-")[0] if lang else None)
        segments, info = self.model.transcribe(
            str(audio), language=language, beam_size=BEAM, vad_filter=True,
            word_timestamps=True, condition_on_previous_text=False)
        total = int(info.duration)
        progress("speech", 0, total)
        words: list[Word] = []
        while True:
            with INFERENCE:  # the cores are shared with frame embedding and OCR by turns
                segment = next(segments, None)
            if segment is None:
                break
            words += [Word(w.word.strip(), float(w.start), float(w.end))
                      for w in segment.words or [] if w.word.strip()]
            progress("speech", min(int(segment.end), total), total)
        progress("speech", total, total)
        return [Cue(c.start, c.end, c.text, "speech")
                for c in group_words(words, sentences=True)]


def _load(model_id: str) -> Transcriber:
    try:
        from faster_whisper import WhisperModel

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


def audio_streams(path: Path) -> int:
    """How many audio streams a media file has (0 if it can't be read)."""
    import av

    try:
        with av.open(str(path)) as container:
            return len(container.streams.audio)
    except (av.FFmpegError, OSError, ValueError):
        return 0
