"""Markers for editors and viewers from lines full of hostile text, from sources of several
rates: each format read back (OpenTimelineIO for the timelines, a structural check of FCPXML as
Final Cut's import reads it), each moment at its own time and rate within one frame (issue 36:
FCPXML crashed on an apostrophe, the EDL used the first clip's rate for every source)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from fractions import Fraction
from pathlib import Path

import pytest
from media import barcode_video

from oneframe.core.errors import OneframeError
from oneframe.search.markers import MARKER_FORMATS, marker_files, markers
from oneframe.search.moments import Moment, distinct
from oneframe.search.timelines import timecode

HOSTILE = [
    "It's 5:30, don't go",
    'She said "stop" & left <now>',
    "]]> <![CDATA[ x ]]> --> <!-- &amp; &#0;",
    "bell\x07 escape\x1b[31m null\x00 tab\t vertical\x0b C1\x85 end",
    "עברית ومرحبا mixed RTL text \u202e reversed",
    "line one\nline two\n\nafter a blank",
    "word " * 400,
    "'",
]
RATES = [Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30)]


def first_frame(moment: Moment) -> int:
    return math.floor(moment.start * moment.fps + Fraction(1, 10**6))


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[Fraction, Path]:
    folder = tmp_path_factory.mktemp("rates")
    return {rate: barcode_video(folder / f"bars-{float(rate):.2f}.mp4", 90, rate, 30, 0,
                                size=(160, 90), sound=rate == 25) for rate in RATES}


def found_in(sources: dict[Fraction, Path]) -> list[Moment]:
    """A moment per hostile line, the sources' rates taking turns, 0.4 to 2.6 s in."""
    out = []
    for n, line in enumerate(HOSTILE):
        rate = RATES[n % len(RATES)]
        start = 0.13 + 0.29 * n
        out.append(Moment(f"video-{float(rate):.2f}", f"Title's\n{n} & <b>", sources[rate],
                          rate, start, start + 0.77, start + 0.2, line, 0.5, "q's \"query\""))
    return out


def test_every_format_reads_back_each_moment_at_its_own_rate(sources) -> None:
    import opentimelineio as otio

    found = found_in(sources)
    for fmt, adapter in (("fcp7xml", "fcp_xml"), ("otio", "otio_json"), ("fcpxml", "fcpx_xml")):
        clips = list(otio.adapters.read_from_string(markers(found, fmt), adapter).find_clips())
        assert len(clips) == len(found), fmt
        for clip, moment in zip(clips, found, strict=True):
            # OTIO's FCPXML reader takes 29.97 as 29: a frame of that is what it can say
            rate = math.floor(moment.fps) if adapter == "fcpx_xml" else moment.fps
            got = clip.source_range
            assert abs(got.start_time.to_seconds() - first_frame(moment) / moment.fps) \
                <= 1.01 / rate, (fmt, moment.fps)
            if adapter != "fcpx_xml":
                assert got.start_time.rate == pytest.approx(float(moment.fps), abs=0.01)
            assert "\n" not in clip.name and "\x07" not in clip.name
    assert "It's 5:30, don't go" in markers(found, "otio")


def test_an_edl_a_rate_counts_each_source_s_own_frames_and_names_distinct_reels(
        sources) -> None:
    """Tried as a user: the EDL used the first clip's rate for every source and named every
    reel ``videomp4``. A CMX 3600 list counts one rate: moments of four rates make four
    lists, each read back by OpenTimelineIO at its own rate, from 01:00:00:00."""
    import opentimelineio as otio

    found = found_in(sources)
    files = marker_files(found, "edl")
    assert [tell for _, tell, _ in files] == ["24 fps", "25 fps", "29.97 fps", "30 fps"]
    with pytest.raises(OneframeError, match="4 frame rates"):
        markers(found, "edl")
    reels: dict[str, str] = {}
    for first, _, text in files:
        own = [m for m in found if m.fps == first.fps]
        lines = text.splitlines()
        events = [x for x in lines if re.match(r"^\d{3}  ", x)]
        assert len(events) == len(own)  # no line of text became an event
        assert all(x.startswith(("TITLE:", "FCM:", "* ")) or re.match(r"^\d{3}  ", x)
                   or not x for x in lines), "a line outside an event or its comments"
        assert events[0].split()[6] in ("01:00:00:00", "01:00:00;00")
        drop = first.fps == Fraction(30000, 1001)
        assert f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}" in lines
        reels |= {m.video: e.split()[1] for m, e in zip(own, events, strict=True)}
        clips = list(otio.adapters.read_from_string(text, "cmx_3600",
                                                    rate=float(first.fps)).find_clips())
        assert len(clips) == len(own)
        for clip, moment in zip(clips, own, strict=True):
            assert clip.source_range.start_time.value == first_frame(moment)
            assert clip.metadata["cmx_3600"]["reel"] == reels[moment.video]
            assert "\n" not in clip.name
    assert len(set(reels.values())) == len(reels) == len(RATES)
    assert all(re.fullmatch(r"[A-Z0-9]{8}", r) for r in reels.values())
    assert "videomp4" not in " ".join(text for *_, text in files).lower()


def test_timecode_formats_refuse_rates_timecode_can_t_count(tmp_path: Path) -> None:
    video = barcode_video(tmp_path / "odd.mp4", 30, Fraction(25, 2), 12, 0, size=(64, 36),
                          sound=False)
    found = [Moment("o", "Odd", video, Fraction(25, 2), 0.5, 1.5, 0.5, "Hi", 0.5)]
    for fmt in ("edl", "fcp7xml"):
        with pytest.raises(OneframeError, match="12.5 fps can't be written"):
            markers(found, fmt)
    assert "asset-clip" in markers(found, "fcpxml") and markers(found, "otio")


def test_drop_frame_timecode_skips_two_numbers_a_minute_but_every_tenth() -> None:
    ntsc = Fraction(30000, 1001)
    assert timecode(1799, ntsc) == "00:00:59;29" and timecode(1800, ntsc) == "00:01:00;02"
    assert timecode(17982, ntsc) == "00:10:00;00" and timecode(17981, ntsc) == "00:09:59;29"
    assert timecode(107892, ntsc) == "01:00:00;00"
    assert timecode(3600 * 24, Fraction(24)) == "01:00:00:00"
    assert timecode(3599, Fraction(60000, 1001)) == "00:00:59;59"
    assert timecode(3600, Fraction(60000, 1001)) == "00:01:00;04"


def test_fcpxml_has_what_final_cut_s_import_reads(sources) -> None:
    """No DTD for FCPXML ships in a package (Apple's is not redistributed), so the structure
    Final Cut's import expects is checked: a format per rate with its frame duration, an asset
    per source with its own format, asset clips on one spine, each offset where the last
    ended, every time a rational number of seconds."""
    found = found_in(sources)
    text = markers(found, "fcpxml")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>')
    root = ElementTree.fromstring(text.split("\n", 2)[2])
    assert root.tag == "fcpxml" and root.get("version") == "1.8"
    formats = {f.get("id"): f for f in root.iter("format")}
    assets = {a.get("id"): a for a in root.iter("asset")}
    assert len(assets) == len(RATES) and len(formats) == len(RATES)
    ids = [*formats, *assets]
    assert len(set(ids)) == len(ids)

    def seconds(value: str | None) -> Fraction:
        assert value and re.fullmatch(r"\d+(/\d+)?s", value), value
        return Fraction(value[:-1])

    for asset in assets.values():
        rate = Fraction(1) / seconds(formats[asset.get("format")].get("frameDuration"))
        assert asset.get("src", "").startswith("file:///") and asset.get("hasVideo") == "1"
        assert f"{float(rate):.2f}" in asset.get("src", "")  # the source's own rate
        assert "\n" not in asset.get("name", "")
    [sequence] = root.iter("sequence")
    assert sequence.get("format") in formats
    offset = Fraction(0)
    clips = list(root.iter("asset-clip"))
    assert len(clips) == len(found)
    for clip, moment in zip(clips, found, strict=True):
        assert clip.get("ref") in assets and clip.get("format") == assets[clip.get("ref")].get(
            "format")
        assert seconds(clip.get("offset")) == offset
        start = seconds(clip.get("start"))
        assert start == Fraction(first_frame(moment)) / moment.fps
        offset += seconds(clip.get("duration"))
        [marker] = clip.iter("marker")
        assert start <= seconds(marker.get("start")) < start + seconds(clip.get("duration"))
    assert seconds(sequence.get("duration")) == offset


def test_chapters_follow_youtube_s_rules_or_say_why_not(tmp_path: Path) -> None:
    video = barcode_video(tmp_path / "long.mp4", 1500, 25, 250, 0, size=(64, 36), sound=False)

    def moment(start: float, line: str, score: float = 0.5) -> Moment:
        return Moment("v", "Bars", video, Fraction(25), start, start + 2, start, line, score)

    lines = [moment(3.0, "Hello there"), moment(8.0, "Too close to the first", 0.9),
             moment(21.4, "A line " + "that runs on and on " * 6),
             moment(33.0, "Hello there"), moment(55.0, "Near the end")]
    text = markers(lines, "chapters")
    rows = text.splitlines()
    times = [r.split(" ", 1)[0] for r in rows]
    titles = [r.split(" ", 1)[1] for r in rows]
    assert times == ["0:00", "0:21", "0:33"]  # 0:00 first; >= 10 s apart; 10 s before the end
    assert titles[0] == "Too close to the first"  # the better of two moments too close
    assert len(set(titles)) == len(titles) and all(len(t) <= 60 for t in titles)
    assert titles[1].endswith("…") and titles[1][:-1].split()[-1] in ("on", "and", "that",
                                                                      "runs", "line")
    with pytest.raises(OneframeError, match="at least three"):
        markers(lines[:2], "chapters")


def test_the_same_line_found_twice_close_by_is_one_moment_and_srt_is_in_time_order(
        tmp_path: Path) -> None:
    video = barcode_video(tmp_path / "bars.mp4", 300, 25, 25, 0, size=(64, 36), sound=False)
    other = barcode_video(tmp_path / "other.mp4", 300, 25, 25, 0, size=(64, 36), sound=False)

    def moment(vid: str, start: float, line: str, score: float) -> Moment:
        return Moment(vid, vid.title(), video if vid == "a" else other, Fraction(25), start,
                      start + 1, start, line, score)

    found = distinct([moment("a", 8.0, "Later line.", 0.9), moment("a", 2.0, "The line.", 0.5),
                      moment("a", 5.0, "the line", 0.7), moment("b", 1.0, "Other.", 0.8),
                      moment("a", 12.0, "The line.", 0.6)])
    assert [(m.video, m.start) for m in found] == [("a", 8.0), ("a", 5.0), ("b", 1.0),
                                                   ("a", 12.0)]
    files = marker_files(found, "srt")
    assert [m.video for m, _, _ in files] == ["a", "b"]  # one per video
    blocks = files[0][2].split("\n\n")
    assert [b.splitlines()[2] for b in blocks] == ["the line", "Later line.", "The line."]
    with pytest.raises(OneframeError, match="2 videos"):
        markers(found, "srt")
    assert set(MARKER_FORMATS) == {"edl", "fcpxml", "fcp7xml", "otio", "chapters", "srt"}


def test_the_command_line_s_choices_are_the_registry_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """A format added to the registry is offered by ``--format`` with nothing else edited."""
    from oneframe.cli.main import build_parser
    from oneframe.search import markers as registry

    extra = registry.MarkerFormat("lines", "Plain lines", ".lines", "text/plain", None,
                                  lambda found: "\n".join(m.text for m in found))
    monkeypatch.setitem(registry.MARKER_FORMATS, "lines", extra)
    parser = build_parser()
    args = parser.parse_args(["export", "markers", "-", "--format", "lines"])
    assert args.fmt == "lines"
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "markers", "-", "--format", "nope"])


def test_a_video_at_a_rate_broadcast_timecode_lacks_still_reaches_every_timeline(
        tmp_path: Path) -> None:
    """15 fps (a screen recording): OpenTimelineIO's timecode refuses it; FCP 7 XML still
    carries it, and every timeline format reads back at that rate."""
    import opentimelineio as otio

    video = barcode_video(tmp_path / "slow.mp4", 60, 15, 15, 0, size=(64, 36), sound=False)
    found = [Moment("s", "Screen", video, Fraction(15), 1.2, 2.5, 1.5, "Click it", 0.5)]
    for fmt, adapter in (("fcp7xml", "fcp_xml"), ("otio", "otio_json"), ("fcpxml", "fcpx_xml")):
        [clip] = otio.adapters.read_from_string(markers(found, fmt), adapter).find_clips()
        assert clip.source_range.start_time.to_seconds() == pytest.approx(18 / 15), fmt
    assert "00:00:01:03 00:00:02:08" in markers(found, "edl")


def test_edge_cases_a_reviewer_found(tmp_path: Path) -> None:
    """23.976 fps starts at 01:00:00:00; two videos of one title get files apart; an empty line
    falls back to the title; chapter titles stay distinct; 29.97 typed means NTSC."""
    from oneframe.cli.export import rate

    film = barcode_video(tmp_path / "film.mp4", 60, Fraction(24000, 1001), 24, 0,
                         size=(64, 36), sound=False)
    moment = Moment("a", "Same", film, Fraction(24000, 1001), 0.5, 1.5, 0.5, "  ", 0.5)
    edl_text = markers([moment], "edl")
    assert " 01:00:00:00 01:00:01:01" in edl_text and "FROM CLIP NAME: Same at 0:00.5" in edl_text
    twin = Moment("b", "Same", film, Fraction(24000, 1001), 0.5, 1.5, 0.5, "x", 0.5)
    assert [t for _, t, _ in marker_files([moment, twin], "srt")] == ["Same a", "Same b"]
    from oneframe.search.markers import _distinct

    assert _distinct(["Hello", "Hello", "Hello (2)", "Hello"]) == [
        "Hello", "Hello (2)", "Hello (2) (2)", "Hello (3)"]
    assert rate("29.97") == Fraction(30000, 1001) and rate("23.976") == Fraction(24000, 1001)
    assert rate("25") == 25 and rate("12.5") == Fraction(25, 2)
