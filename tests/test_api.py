"""The public API's examples run as written (its module docstring is the tour a script
follows), and the pages reach the core through it alone."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import oneframe.api

SRT = """1
00:00:01,000 --> 00:00:03,000
Good morning.

2
00:00:04,000 --> 00:00:06,000
You're an Italian stuntman, aren't you?

3
00:00:07,000 --> 00:00:08,500
See you tonight.
"""


def test_the_api_examples_run_as_written(tmp_path: Path, scene_video: Path) -> None:
    (tmp_path / "media").mkdir()
    video = tmp_path / "media" / "stuntman.mp4"
    shutil.copyfile(scene_video, video)
    (tmp_path / "media" / "stuntman.srt").write_text(SRT)  # found beside the video
    (tmp_path / "out").mkdir()
    failed, tried = doctest.testmod(oneframe.api, extraglobs={
        "folder": tmp_path / "library", "video": str(video), "out": tmp_path / "out"},
        optionflags=doctest.ELLIPSIS, raise_on_error=False, verbose=False)
    assert tried >= 8 and failed == 0
    assert (tmp_path / "out" / "still.png").stat().st_size > 1000


def test_every_name_the_api_lists_is_there() -> None:
    missing = [name for name in oneframe.api.__all__ if not hasattr(oneframe.api, name)]
    assert not missing and len(set(oneframe.api.__all__)) == len(oneframe.api.__all__)
