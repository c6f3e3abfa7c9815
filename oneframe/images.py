"""Images given as queries ("frames that look like this"): a file or uploaded bytes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from oneframe.errors import SourceError


def read_image(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """An RGB image from a file or its bytes; SourceError if it is not one."""
    if isinstance(source, bytes):
        data = np.frombuffer(source, np.uint8)
    else:
        data = np.fromfile(str(source), np.uint8) if Path(source).is_file() else np.zeros(0)
    image = cv2.imdecode(data.astype(np.uint8), cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        label = name or (str(source) if not isinstance(source, bytes) else "The file")
        raise SourceError(f"{label} is not an image oneframe can read (JPEG, PNG, WebP...).")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
