"""Caption parsing and cleaning: real files, encodings, rolling auto-captions, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA, ROOT, needs_shared

from oneframe.core.errors import CaptionError
from oneframe.dialogue.captions import (
    Cue,
    clean_text,
    decode_caption_bytes,
    parse_captions,
    read_captions,
)
from oneframe.dialogue.cues import MAX_CUE_CHARS
from oneframe.dialogue.rolling import rolling_words

ROLLING = """WEBVTT
Kind: captions
Language: en

00:00:00.030 --> 00:00:01.559 align:start position:0%
 
hello<00:00:00.302><c> everyone</c><00:00:00.794><c> and</c><00:00:01.259><c> welcome</c>

00:00:01.559 --> 00:00:01.569 align:start position:0%
hello everyone and welcome
 

00:00:01.569 --> 00:00:03.715 align:start position:0%
hello everyone and welcome
[Music]<00:00:01.952><c> back</c><00:00:02.321><c> to</c><00:00:02.752><c> the</c>

00:00:03.715 --> 00:00:03.725 align:start position:0%
[Music] back to the
 
"""


def test_friday_cues_with_their_times() -> None:
    if not DATA.is_dir():
        pytest.skip("../shared/data (the project's shared test media) is absent")
    cues = read_captions(DATA / "clips" / "friday.vtt")
    assert cues == [
        Cue(0.0, 0.999, "Hildy!"),
        Cue(1.0, 1.499, "How are you?"),
        Cue(1.5, 2.999, "Tell me, is the lord of the universe in?"),
        Cue(3.0, 4.299, "Yes, he's in - in a bad humor"),
        Cue(4.3, 6.0, "Somebody must've stolen the crown jewels"),
    ]


def test_markup_speakers_and_sound_tags_are_cleaned() -> None:
    text = """WEBVTT

00:00:01.000 --> 00:00:02.500 line:80%
<v Roger Bingham><i>We are</i> in New York City &amp; it's cold

00:00:03.000 --> 00:00:04.000
>> NARRATOR: [Music] ♪ la la ♪

00:00:05.000 --> 00:00:06.000
[door slams]

00:00:07.000 --> 00:00:08.000
- Who's there?
- (whispering) Me.
"""
    assert parse_captions(text, "x.vtt") == [
        Cue(1.0, 2.5, "We are in New York City & it's cold"),
        Cue(3.0, 4.0, "la la"),
        Cue(7.0, 8.0, "Who's there? Me."),
    ]


def test_srt_with_bom_crlf_ssa_tags_and_hourless_times() -> None:
    srt = "\ufeff1\r\n00:01,000 --> 00:02,500\r\n{\\an8}<b>Hello</b> there|friend\r\n\r\n"
    data = srt.encode("utf-8-sig")
    assert parse_captions(decode_caption_bytes(data), "a.srt") == [
        Cue(1.0, 2.5, "Hello there friend")]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig", "latin-1"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "legacy.srt"
    path.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCafé crème, señor\n".encode(encoding))
    assert read_captions(path) == [Cue(1.0, 2.0, "Café crème, señor")]


def test_undecodable_bytes_do_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "odd.vtt"
    path.write_bytes(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbad \x81\x8d\x9d bytes\n")
    [cue] = read_captions(path)
    assert cue.text.startswith("bad") and cue.text.endswith("bytes")


def test_repeated_consecutive_cues_are_merged() -> None:
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nSame\n\n"
            "00:00:02.000 --> 00:00:03.000\nSame\n\n00:00:04.000 --> 00:00:05.000\nOther\n")
    assert parse_captions(text) == [Cue(1.0, 3.0, "Same"), Cue(4.0, 5.0, "Other")]


def test_rolling_captions_give_each_word_once_at_its_time() -> None:
    cues = parse_captions(ROLLING, "auto.vtt")
    assert " ".join(c.text for c in cues) == "hello everyone and welcome back to the"
    assert cues[0].start == pytest.approx(0.03)


@needs_shared
def test_youtube_rolling_dev_file_matches_the_truth() -> None:
    folder = DATA / "youtube"
    truth = [(w, t) for w, t in json.loads((folder / "youtube-rolling-dev.words.json").read_text())]
    from oneframe.dialogue.captions import parse_raw_cues

    text = decode_caption_bytes((folder / "youtube-rolling-dev.vtt").read_bytes())
    words = rolling_words(parse_raw_cues(text, "vtt", "dev"))
    assert [(w.text, round(w.start, 3)) for w in words] == truth
    cues = read_captions(folder / "youtube-rolling-dev.vtt")
    assert " ".join(c.text for c in cues).split() == [w for w, _ in truth]
    assert all(len(c.text) <= MAX_CUE_CHARS for c in cues)
    starts = {t for _, t in truth}
    assert all(round(c.start, 3) in starts for c in cues)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(cues, cues[1:], strict=False))


@needs_shared
def test_real_youtube_excerpt_has_no_repeats() -> None:
    cues = read_captions(DATA / "youtube" / "youtube-auto-captions-excerpt.vtt")
    words = " ".join(c.text for c in cues).split()
    assert words == ["yeah", "what", "this", "will", "happen", "is", "I'm", "telling"]


@pytest.mark.parametrize(("content", "says"), [
    (b"", "empty"),
    (b"WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nbroken\n", "timing lines"),
    (b"WEBVTT\n\nNOTE nothing here\n", "no captions"),
    (b"NOT VTT\n\n00:00:01.000 --> 00:00:02.000\nx\n", "WEBVTT header"),
])
def test_malformed_files_raise_caption_error_naming_the_file(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "bad.vtt"
    path.write_bytes(content)
    with pytest.raises(CaptionError, match=says) as info:
        read_captions(path)
    assert "bad.vtt" in str(info.value)


def test_a_text_file_is_not_a_caption_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, I am not a caption file\n")
    with pytest.raises(CaptionError, match="notes.txt: not a caption file"):
        read_captions(path)


def test_missing_file_is_a_caption_error(tmp_path: Path) -> None:
    with pytest.raises(CaptionError, match="cannot be read"):
        read_captions(tmp_path / "absent.srt")


@needs_shared
@pytest.mark.timeout(180)
def test_every_corpus_file_gives_cues_or_a_clean_error() -> None:
    files = [p for p in sorted((DATA / "captions-corpus").rglob("*"))
             if p.is_file() and not p.name.endswith("SOURCE.txt") and p.suffix != ".md"]
    assert len(files) > 390
    parsed = 0
    for path in files:
        started = time.monotonic()
        try:
            cues = read_captions(path)
        except CaptionError as exc:
            assert path.name in str(exc)
        else:
            parsed += 1
            assert all(c.text and c.end >= c.start >= 0 for c in cues)
        assert time.monotonic() - started < 5, f"{path} took too long"
    assert parsed > 250


def test_clean_text_is_linear_on_hostile_input() -> None:
    started = time.monotonic()
    clean_text("<" * 200_000 + "a")
    clean_text("[" * 200_000)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("name", ["blank.srt", "blank.vtt", "blank.sbv", "blank.txt"])
def test_a_file_of_blank_lines_is_read_in_linear_time(name: str) -> None:
    """Timing patterns once began ``^\\s*`` with re.M: at every line start they ran over every
    blank line after it, so 32,000 blank lines took a minute (this many, hours)."""
    started = time.monotonic()
    with pytest.raises(CaptionError):
        parse_captions("\n" * 400_000 + "x", name)
    with pytest.raises(CaptionError):
        parse_captions(" \n" * 200_000 + "x", name)
    assert time.monotonic() - started < 10


def test_ass_override_blocks_take_linear_memory() -> None:
    """pysubs2's ``is_drawing`` built every prefix of a line's override blocks: 40,000 ``{}``
    peaked at 1.9 GB."""
    import tracemalloc

    head = ("[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, "
            "Name, MarginL, MarginR, MarginV, Effect, Text\n")
    line = "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,," + "{}" * 80_000 + "Hello there\n"
    tracemalloc.start()
    try:
        cues = parse_captions(head + line + line.replace("{}", "{\\p1}m 0 0 l 1 1", 1), "x.ass")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [c.text for c in cues] == ["Hello there"]  # the drawing is still dropped
    assert peak < 100e6


def test_cli_prints_json_per_file_without_importing_torch(tmp_path: Path) -> None:
    good = tmp_path / "good.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:02,000\n<i>Hi</i> there\n")
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nbroken\n")
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "oneframe", "captions", str(good), str(bad),
         "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines[0] == {"file": str(good), "cues": [{"start": 1.0, "end": 2.0, "text": "Hi there"}]}
    assert lines[1]["file"] == str(bad) and "bad.vtt" in lines[1]["error"]
    assert run.returncode == 1
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    assert "oneframe.dialogue.captions" in imported
    assert not {"torch", "transformers", "cv2", "yt_dlp"} & imported


def test_speech_words_become_one_line_per_sentence() -> None:
    from oneframe.dialogue.cues import Word, group_words

    said = "You're not paying attention. I just want to answer the phone. Mr. Smith? Yes."
    words = [Word(w, i * 0.3, i * 0.3 + 0.25) for i, w in enumerate(said.split())]
    assert [c.text for c in group_words(words, sentences=True)] == [
        "You're not paying attention.", "I just want to answer the phone.", "Mr. Smith?",
        "Yes."]
    assert len(group_words(words)) == 2  # without punctuation rules: by length and pauses only
