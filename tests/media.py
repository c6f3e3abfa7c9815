"""Real media made in the tests: mp4v videos written by OpenCV, caption files, HTML pages."""

from __future__ import annotations

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
