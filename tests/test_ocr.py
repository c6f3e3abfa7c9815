"""Burned-in subtitles: read from real decoded frames, in several fonts and colours."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import cv2
import pytest
from media import write_subtitled_video
from rapidfuzz import fuzz

from oneframe.dialogue.cues import Cue
from oneframe.dialogue.ocr import BurnedInTracker, has_burned_in
from oneframe.dialogue.windows import cue_windows
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.media.frames import sample_frames
from oneframe.search.index import SearchIndex

LINES = [
    (1.0, 3.0, "The quick brown fox jumps", cv2.FONT_HERSHEY_SIMPLEX, (255, 255, 255)),
    (4.0, 6.0, "Meet me at the old harbour", cv2.FONT_HERSHEY_DUPLEX, (0, 230, 255)),
    (7.0, 9.5, "Nobody saw the green lights", cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, (255, 255, 0)),
    (10.5, 12.0, "Where is my umbrella?", cv2.FONT_HERSHEY_COMPLEX, (80, 255, 80)),
]


@pytest.fixture(scope="module")
def subbed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_subtitled_video(tmp_path_factory.mktemp("ocr") / "subbed.mp4", LINES, 13.0)


def same(a: str, b: str) -> float:
    return fuzz.ratio("".join(a.lower().split()), "".join(b.lower().split()))


def test_lines_are_read_once_with_their_times(subbed: Path) -> None:
    assert has_burned_in(subbed)
    tracker = BurnedInTracker()
    list(sample_frames(subbed, look=tracker.look))
    cues = tracker.finish(13.0)
    assert len(cues) == len(LINES)
    for cue, (start, end, text, _, _) in zip(cues, LINES, strict=True):
        assert same(cue.text, text) >= 90, (cue.text, text)
        assert abs(cue.start - start) <= 0.3 and abs(cue.end - end) <= 0.3
        assert cue.source == "burned-in"
    assert tracker.reads <= 2 * len(LINES)  # read when the text changes, not every frame


def test_no_text_no_cues_and_almost_no_work(scene_video: Path) -> None:
    assert not has_burned_in(scene_video)
    tracker = BurnedInTracker()
    list(sample_frames(scene_video, look=tracker.look))
    assert tracker.finish(9.0) == [] and tracker.reads == 0
    record = ingest(str(scene_video))
    assert record.burned_in == 0 and record.dialogue_sources == []


def test_subtitles_elsewhere_need_their_band(tmp_path: Path) -> None:
    top = write_subtitled_video(tmp_path / "top.mp4", LINES[:2], 7.0, at_top=True)
    assert not has_burned_in(top)
    assert has_burned_in(top, band=(0.0, 0.34))
    record = ingest(str(top), ocr="on", ocr_band=(0.0, 0.34))
    assert record.burned_in == 2
    assert ingest(str(top), ocr="on").burned_in == 0  # another band: another index


def test_search_finds_a_burned_in_line_without_captions(subbed: Path) -> None:
    record = ingest(str(subbed))
    assert record.burned_in == 4 and record.cues == 0
    assert record.dialogue_sources == ["burned-in"]
    hit = SearchIndex(Library()).search("where's my umbrella", visual_weight=0.0).hits[0]
    assert 10.0 <= hit.time <= 11.0 and hit.source == "burned-in"
    assert "umbrella" in hit.marked


def test_burned_in_beside_a_caption_track(subbed: Path, tmp_path: Path) -> None:
    captions = tmp_path / "track.srt"
    captions.write_text("1\n00:00:01,000 --> 00:00:03,000\nA fox? In this weather?\n\n"
                        "2\n00:00:10,500 --> 00:00:12,000\nIt is raining again.\n")
    record = ingest(str(subbed), captions=captions)
    assert record.dialogue_sources == ["file", "burned-in"] and record.cues == 2
    index = SearchIndex(Library())
    assert index.search("raining again", visual_weight=0.0).hits[0].source == "file"
    assert index.search("old harbour", visual_weight=0.0).hits[0].source == "burned-in"
    cues = Library().load(record.id).cues
    assert [c.source for c in cues] == ["", "", "burned-in", "burned-in", "burned-in",
                                        "burned-in"]
    windows = cue_windows(cues)
    assert all(len({cues[i].source for i in range(f, f + n)}) == 1 for f, n in windows)


def test_ocr_off_reads_nothing(subbed: Path) -> None:
    assert ingest(str(subbed), ocr="off").burned_in == 0


def test_only_the_headless_opencv_is_installed() -> None:
    importlib.metadata.distribution("opencv-python-headless")
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("opencv-python")


def test_cue_sources_round_trip() -> None:
    cue = Cue(1.0, 2.0, "hi", "burned-in")
    assert Cue.from_json(cue.to_json()) == cue
    assert "source" not in Cue(1.0, 2.0, "hi").to_json()


def test_a_long_still_shot_with_text_does_not_stall_ingest(tmp_path: Path) -> None:
    """Frames of a still shot are not kept, but its band is queued for OCR all the while."""
    import numpy as np

    still = tmp_path / "still.mp4"
    writer = cv2.VideoWriter(str(still), cv2.VideoWriter_fourcc(*"mp4v"), 10, (1920, 1080))
    frame = np.full((1080, 1920, 3), 90, np.uint8)
    for dx in (-3, 0, 3):
        for dy in (-3, 0, 3):
            cv2.putText(frame, "A long quiet scene", (640 + dx, 1000 + dy),
                        cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(frame, "A long quiet scene", (640, 1000), cv2.FONT_HERSHEY_SIMPLEX, 2.0,
                (255, 255, 255), 4, cv2.LINE_AA)
    for _ in range(250):  # 25 s: more 1080p bands than the OCR queue holds between frames
        writer.write(frame)
    writer.release()
    record = ingest(str(still), ocr="on")
    assert record.burned_in == 1 and record.frames <= 4
