"""Frame sampling on real decoded videos: interval, cuts, static shots, black, bad files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from media import write_video

from oneframe.core.errors import VideoError
from oneframe.media.frames import sample_frames, thumbnail_jpeg


def test_interval_samples_and_scene_cuts(scene_video: Path) -> None:
    """Three 3-s shots sampled every 2 s: the second shot gets a frame of its own (the look
    after the cut, once it is settled), which stands for the grid's next sample (4.0); the third
    starts on the grid (6.0), so its own frame would repeat it."""
    frames = list(sample_frames(scene_video, interval=2.0))
    times = [round(f.time, 1) for f in frames]
    assert times == [0.0, 2.0, 3.1, 6.0, 8.0]
    assert [f.cut for f in frames] == [False, False, True, False, False]
    blue, green, red = (frames[i].image[5, 5] for i in (0, 2, 3))  # RGB of BGR scenes
    assert blue[2] > 150 and green[1] > 150 and red[0] > 150
    assert frames[0].image.shape == (96, 160, 3)


def test_flashes_and_fast_action_are_not_new_shots(tmp_path: Path) -> None:
    """A one-frame flash, and shots that change on every look, add no frames to the grid's;
    a short shot that holds does, and so does the return to the first shot after it."""
    grey, white, teal = (90, 90, 90), (255, 255, 255), (200, 220, 40)
    flash = write_video(tmp_path / "flash.mp4", [(1.5, grey), (0.1, white), (1.4, grey)])
    assert [round(f.time, 1) for f in sample_frames(flash)] == [0.0, 1.0, 2.0]
    strobe = [(0.1, (20, 30, 20) if i % 2 else (150 + 3 * i,) * 3) for i in range(30)]
    assert [round(f.time, 1) for f in sample_frames(write_video(tmp_path / "strobe.mp4", strobe))] \
        == [0.0, 1.0, 2.0]
    cutaway = write_video(tmp_path / "cutaway.mp4", [(1.2, grey), (0.6, teal), (1.2, grey)])
    assert [round(f.time, 1) for f in sample_frames(cutaway)] == [0.0, 1.0, 1.3, 1.9]


def test_static_shots_keep_few_frames_but_not_none(tmp_path: Path) -> None:
    video = write_video(tmp_path / "static.mp4", [(25.0, (90, 90, 90))], moving=False)
    times = [round(f.time) for f in sample_frames(video, interval=1.0)]
    assert times == [0, 10, 20]


def test_black_frames_are_skipped(tmp_path: Path) -> None:
    video = write_video(tmp_path / "black.mp4", [(3.0, None), (2.0, (30, 180, 220))])
    times = [round(f.time, 1) for f in sample_frames(video, interval=1.0)]
    assert times == [3.0, 4.0]


def test_an_all_black_video_still_gives_one_frame(tmp_path: Path) -> None:
    video = write_video(tmp_path / "night.mp4", [(3.0, None)])
    assert [f.time for f in sample_frames(video)] == [0.0]


def test_progress_reports_seconds(scene_video: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    list(sample_frames(scene_video, progress=lambda *a: seen.append(a)))
    assert seen[0] == ("frames", 0, 9) and seen[-1] == ("frames", 9, 9)


@pytest.mark.parametrize(("content", "says"), [
    (b"", "missing or empty"),
    (b"this is a text file, not a video\n" * 100, "could not be opened as a video"),
])
def test_non_video_files(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError, match=says):
        list(sample_frames(path))


def test_truncated_video(tmp_path: Path, scene_video: Path) -> None:
    data = scene_video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="cut.mp4"):
        list(sample_frames(cut))


def test_thumbnail_long_side() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    decoded = cv2.imdecode(np.frombuffer(thumbnail_jpeg(image), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (288, 512, 3)
    small = cv2.imdecode(np.frombuffer(thumbnail_jpeg(image[:90, :160]), np.uint8), 1)
    assert small.shape == (90, 160, 3)


def test_video_that_stops_decoding_half_way(tmp_path: Path) -> None:
    full = tmp_path / "full.webm"
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"VP80"), 10, (160, 96))
    for i in range(300):
        writer.write(np.full((96, 160, 3), (i * 7) % 255, np.uint8))
    writer.release()
    data = full.read_bytes()
    cut = tmp_path / "cut.webm"
    cut.write_bytes(data[: len(data) * 4 // 10])
    with pytest.raises(VideoError, match="truncated"):
        list(sample_frames(cut))
