"""Subtitle tracks inside the file, and every common caption format.

Tracks are made in the test with PyAV: the scene video remuxed with SRT, ASS and mov_text tracks,
tagged with languages, titles and the forced flag, as a film collection's files are.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, needs_shared
from media import with_mov_text, with_subtitle_tracks

from oneframe.core.errors import CaptionError
from oneframe.dialogue.captions import CAPTION_SUFFIXES, parse_captions, read_captions
from oneframe.dialogue.tracks import choose_track, list_tracks
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex

ENGLISH = "1\n00:00:00,500 --> 00:00:02,500\nThe red room is empty.\n\n" \
          "2\n00:00:03,200 --> 00:00:05,500\nGreen means we can go now.\n\n" \
          "3\n00:00:06,200 --> 00:00:08,500\nThe blue door is locked from the inside.\n"
ASS_HEAD = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,\
2,10,10,10,1
Style: Signs,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,\
8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""
SPANISH = ASS_HEAD + (
    "Dialogue: 0,0:00:00.50,0:00:02.50,Default,,0,0,0,,{\\i1}La habitación{\\i0} roja\\Nestá "
    "vacía.\n"
    "Dialogue: 0,0:00:03.20,0:00:05.50,Signs,,0,0,0,,SALIDA\n"
    "Comment: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,a translator's note\n"
    "Dialogue: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100{\\p0}\n"
    "Dialogue: 0,0:00:06.20,0:00:08.50,Default,,0,0,0,,La puerta azul está cerrada.\n")


@pytest.fixture()
def captions(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "en.srt").write_text(ENGLISH)
    (tmp_path / "es.ass").write_text(SPANISH)
    (tmp_path / "en-forced.srt").write_text("1\n00:00:04,000 --> 00:00:05,000\nSALIDA: exit.\n")
    return {"en": tmp_path / "en.srt", "es": tmp_path / "es.ass",
            "forced": tmp_path / "en-forced.srt"}


@pytest.fixture()
def film(tmp_path: Path, scene_video: Path, captions: dict[str, Path]) -> Path:
    """An MKV with a forced English track, a full English one and a Spanish one (ASS)."""
    return with_subtitle_tracks(scene_video, tmp_path / "Film.mkv", [
        (captions["forced"], "eng", "Signs & songs", True),
        (captions["en"], "eng", "English", False),
        (captions["es"], "spa", "Español", False),
    ])


def test_tracks_are_listed_with_language_title_codec_and_forced(film: Path) -> None:
    tracks = list_tracks(film)
    assert [(t.number, t.language, t.title, t.forced) for t in tracks] == [
        (1, "en", "Signs & songs", True), (2, "en", "English", False), (3, "es", "Español", False)]
    assert tracks[1].codec in ("subrip", "srt") and tracks[2].codec in ("ass", "ssa")
    assert tracks[1].label() == "English subtitle track"
    assert tracks[0].label() == "English (forced) subtitle track"


def test_the_track_is_chosen_as_site_captions_are(film: Path) -> None:
    tracks = list_tracks(film)
    assert choose_track(tracks, "en").number == 2  # full before forced
    assert choose_track(tracks, "es").number == 3
    assert choose_track(tracks, "ja").number == 2  # then English
    assert choose_track(tracks, "en", number=1).number == 1
    with pytest.raises(CaptionError, match="no subtitle track 7.*#1 English"):
        choose_track(tracks, "en", number=7)
    untagged = [tracks[0].__class__(1, 2, "subrip", None, None, False)]
    assert choose_track(untagged, "en").language is None  # unknown, found only as "any"


def test_a_film_s_own_track_is_its_dialogue(film: Path) -> None:
    record = ingest(str(film))
    assert (record.caption_kind, record.caption_lang, record.cues) == ("track", "en", 3)
    assert record.track["number"] == 2 and record.track["title"] == "English"
    hit = SearchIndex(Library()).search("the blue door was locked", visual_weight=0).hits[0]
    assert hit.start == pytest.approx(6.2) and hit.source == "track"
    spanish = ingest(str(film), lang="es")
    cues = Library().load(spanish.id).cues
    assert [c.text for c in cues] == ["La habitación roja está vacía.",
                                      "La puerta azul está cerrada."]  # no sign, drawing, note
    forced = ingest(str(film), subtitle_track=1)
    assert forced.track["forced"] and forced.cues == 1


def test_a_sidecar_still_wins_and_a_track_number_wins_over_it(film: Path, captions) -> None:
    (film.parent / "Film.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nFrom beside.\n")
    assert ingest(str(film)).caption_kind == "file"
    assert ingest(str(film), subtitle_track=3).caption_kind == "track"


def test_mov_text_in_mp4_and_a_corrupt_track(tmp_path: Path, scene_video: Path) -> None:
    lines = [(0.5, 2.5, "Welcome aboard."), (6.2, 8.5, "Mind the blue door.")]
    mp4 = with_mov_text(scene_video, tmp_path / "Clip.mp4", lines)
    [track] = list_tracks(mp4)
    assert track.codec == "mov_text" and track.language == "en"
    record = ingest(str(mp4))
    assert record.caption_kind == "track" and record.cues == 2
    broken = with_mov_text(scene_video, tmp_path / "Broken.mp4", lines, corrupt=True)
    record = ingest(str(broken))
    assert record.frames > 0 and record.cues == 0  # the video is added...
    assert any("English subtitle track" in n for n in record.notes)  # ...with a note


def test_every_common_caption_format_gives_cues(tmp_path: Path) -> None:
    ttml = ('<?xml version="1.0"?><tt xmlns="http://www.w3.org/2006/10/ttaf1"><body><div>'
            '<p begin="1.5s" end="3s">Hello <span>there</span></p>'
            '<p begin="00:00:04.000" end="00:00:05.000">Second<br/>line</p></div></body></tt>')
    sami = ("<SAMI><BODY><SYNC Start=1500><P Class=ENCC>Hello there<SYNC Start=3000>"
            "<P Class=ENCC>&nbsp;<SYNC Start=4000><P Class=ENCC>Second line</BODY></SAMI>")
    files = {"a.ass": SPANISH, "a.ttml": ttml, "a.dfxp": ttml, "a.smi": sami,
             "a.sub": "{36}{72}Hello there\n{96}{120}Second|line\n",
             "a.txt": "[15][30]Hello there\n[40][50]Second|line\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        cues = read_captions(tmp_path / name, fps=24.0)
        assert len(cues) >= 2 and cues[0].start > 0.4, name
    assert read_captions(tmp_path / "a.ttml")[1].text == "Second line"
    assert read_captions(tmp_path / "a.sub", fps=24.0)[0].start == pytest.approx(1.5)
    assert set(CAPTION_SUFFIXES) >= {".ass", ".ssa", ".ttml", ".dfxp", ".smi", ".sub"}
    with pytest.raises(CaptionError, match="no dialogue"):
        parse_captions(ASS_HEAD, "empty.ass")


@needs_shared
def test_the_parser_suites_ssa_and_ttml_files_give_cues() -> None:
    folder = DATA / "captions-corpus" / "popcorn-parser-data"
    ssa = read_captions(folder / "parserSSA" / "data.ssa")
    assert [c.text for c in ssa][0] == "Senator, we're making our final approach into Coruscant."
    for name in ("data.ttml", "unit.ttml"):
        cues = read_captions(folder / "parserTTML" / name)
        assert len(cues) >= 9, name
    nested = read_captions(folder / "parserTTML" / "data.ttml")
    assert nested[4].start == pytest.approx(22.76)  # a div's begin offsets its paragraphs


@pytest.mark.skipif(__import__("shutil").which("spumux") is None,
                    reason="Debian's dvdauthor (spumux) is absent; `make test` installs it")
def test_a_bitmap_track_is_read_by_ocr(tmp_path: Path) -> None:
    from media import dvd_with_subpictures

    dvd = dvd_with_subpictures(tmp_path / "Disc.mpg", [(1.0, 3.0, "Meet me at the old harbour"),
                                                       (4.0, 6.5, "The blue door is locked")])
    [track] = list_tracks(dvd)
    assert track.bitmap and track.label() == "Subtitle track"
    record = ingest(str(dvd), ocr="off")
    cues = Library().load(record.id).cues
    assert record.caption_kind == "track" and [c.text for c in cues] == [
        "Meet me at the old harbour", "The blue door is locked"]
    assert [round(c.start, 1) for c in cues] == [1.0, 4.0]
    hit = SearchIndex(Library()).search("meet me at the harbour", visual_weight=0).hits[0]
    assert hit.start == pytest.approx(1.0, abs=0.05)


def test_a_track_in_a_format_ffmpeg_does_not_know_is_listed_and_never_read(
        tmp_path: Path, scene_video: Path) -> None:
    (tmp_path / "en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n")
    made = with_subtitle_tracks(scene_video, tmp_path / "film.mkv",
                                [(tmp_path / "en.srt", "eng", None, False)])
    unknown = tmp_path / "unknown.mkv"  # the same track, its codec id one FFmpeg doesn't know
    unknown.write_bytes(made.read_bytes().replace(b"S_TEXT/UTF8", b"S_TEXT/ZZZZ"))
    [track] = list_tracks(unknown)
    assert track.codec == "unknown" and choose_track([track], "en") is None
    record = ingest(str(unknown))
    assert record.cues == 0 and record.frames > 0
    asked = ingest(str(unknown), subtitle_track=1)
    assert any("a format FFmpeg doesn't know" in note for note in asked.notes)


def test_a_far_out_cue_does_not_stretch_the_video(tmp_path: Path, scene_video: Path) -> None:
    """A subtitle cue at 999 hours makes the container's duration 999 hours; the picture's own
    length decides (it was refused as "only the first 12 s of 3596405 s could be decoded")."""
    (tmp_path / "far.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n\n"
                                      "2\n999:00:00,000 --> 999:00:01,000\nFar away\n")
    film = with_subtitle_tracks(scene_video, tmp_path / "film.mkv",
                                [(tmp_path / "far.srt", "eng", None, False)])
    record = ingest(str(film), subtitle_track=1)
    assert record.duration == pytest.approx(9.0, abs=0.5) and record.cues == 1
    assert not any("decoded" in note for note in record.notes)
    assert any("1 of the 2 caption lines start after the video ends" in n for n in record.notes)


class ShapeReader:
    """An OCR stand-in that notes the size of every picture it is handed and finds no text."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def text_det(self, image):
        self.shapes.append(image.shape)
        return None, None


def test_huge_bitmap_subtitles_are_bounded_before_ocr(tmp_path: Path, scene_video: Path) -> None:
    """A PGS picture of 16000x16000 took 2.4 GB and 52 s: one over 16 megapixels is never
    decoded, a large one is read at about 2 megapixels (every k-th pixel, before any copy)."""
    from media import write_pgs

    from oneframe.dialogue.tracks import MAX_BITMAP_PIXELS, pgs_too_large, read_track

    sup = write_pgs(tmp_path / "big.sup", [(1.0, 2.0, 16000, 16000), (3.0, 4.0, 6000, 2000),
                                           (5.0, 6.0, 1920, 1080)])
    film = with_subtitle_tracks(scene_video, tmp_path / "film.mkv", [(sup, "eng", None, False)])
    [track] = list_tracks(film)
    assert track.codec in ("hdmv_pgs_subtitle", "pgssub")
    reader = ShapeReader()
    with pytest.raises(CaptionError, match="holds no lines"):  # blank pictures
        read_track(film, track, reader)
    assert len(reader.shapes) == 2  # the 16000x16000 one was skipped unread
    big, full = reader.shapes
    assert (big[0] - 32) * (big[1] - 32) <= MAX_BITMAP_PIXELS * 1.1  # 6000x2000 scaled down
    assert full[:2] == (1080 + 32, 1920 + 32)  # 1080p read as it is (padded)
    assert pgs_too_large(bytes.fromhex("15000b") + bytes([0, 1, 0, 0xC0, 0, 0, 9]) +
                         (5000).to_bytes(2, "big") + (5000).to_bytes(2, "big"))
