"""Real media made in the tests: mp4v videos written by OpenCV, caption files, HTML pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np

Colour = tuple[int, int, int]


def write_video(
    path: Path,
    scenes: list[tuple[float, Colour | None]],
    fps: int = 10,
    size: tuple[int, int] = (160, 96),
    moving: bool = True,
) -> Path:
    """An mp4v video of solid-colour scenes ``(seconds, BGR colour)``; None is a black scene.

    A white square moves across each coloured scene unless ``moving`` is False (a static shot).
    """
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    for seconds, colour in scenes:
        for i in range(round(seconds * fps)):
            frame = np.zeros((height, width, 3), np.uint8)
            if colour is not None:
                frame[:] = colour
                x = (i * 3) % (width - 20) if moving else 10
                cv2.rectangle(frame, (x, 30), (x + 20, 50), (255, 255, 255), -1)
            writer.write(frame)
    writer.release()
    return path


SCENES: list[tuple[float, Colour | None]] = [(3.0, (200, 40, 40)), (3.0, (40, 200, 40)),
                                             (3.0, (40, 40, 200))]


def write_subtitled_video(path: Path, lines: list[tuple[float, float, str, int, Colour]],
                          seconds: float, fps: int = 10, size: tuple[int, int] = (640, 360),
                          at_top: bool = False) -> Path:
    """A video with moving pictures and subtitles burned in: ``(start, end, text, font, BGR)``.

    Letters are drawn in an OpenCV font and colour over a black outline, in the bottom third,
    over a panning picture of soft colours.
    """
    width, height = size
    rng = np.random.default_rng(3)
    background = cv2.resize(rng.integers(40, 210, (9, 16, 3), dtype=np.uint8), size,
                            interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(round(seconds * fps)):
        t = i / fps
        frame = np.roll(background, i * 4, axis=1).copy()
        for start, end, text, font, colour in lines:
            if start <= t < end:
                (w, h), _ = cv2.getTextSize(text, font, 0.9, 2)
                x, y = (width - w) // 2, 50 if at_top else height - 30
                for dx in (-2, 0, 2):
                    for dy in (-2, 0, 2):
                        cv2.putText(frame, text, (x + dx, y + dy), font, 0.9, (0, 0, 0), 2,
                                    cv2.LINE_AA)
                cv2.putText(frame, text, (x, y), font, 0.9, colour, 2, cv2.LINE_AA)
        writer.write(frame)
    writer.release()
    return path


PAGE = """<html><head><title>{title}</title></head><body>
<video controls src="{video}"><track kind="subtitles" src="{captions}" srclang="en"></video>
</body></html>"""
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nThe red scene\n"


def serve_page(root: Path, video: Path, title: str = "Scenes") -> None:
    shutil.copyfile(video, root / "clip.mp4")
    (root / "clip.vtt").write_text(VTT)
    (root / "page.html").write_text(PAGE.format(title=title, video="clip.mp4",
                                                captions="clip.vtt"))
