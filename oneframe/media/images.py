"""Images given as queries ("frames that look like this"): a file or uploaded bytes.

An image's size is read from its header before anything is decoded: one larger than
``$ONEFRAME_MAX_IMAGE_MEGAPIXELS`` is refused with a message, and a large JPEG is decoded
already scaled down (the picture model looks at a few hundred pixels a side).
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np

from oneframe.core import settings
from oneframe.core.errors import SourceError
from oneframe.core.settings import number

MAX_MEGAPIXELS_ENV, MAX_MEGAPIXELS = settings.MAX_IMAGE_MEGAPIXELS, 40.0
DECODE_SIDE = 1024
"""A JPEG is decoded at the smallest scale (1/2, 1/4, 1/8) whose sides stay above this."""


def read_image(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """An RGB image from a file or its bytes; SourceError if it is not one, or too large."""
    from PIL import Image, UnidentifiedImageError

    label = name or (str(source) if not isinstance(source, bytes) else "The file")
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise SourceError(f"{label} can't be read ({exc.strerror or exc}).") from exc
    limit = number(MAX_MEGAPIXELS_ENV, MAX_MEGAPIXELS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                image = Image.open(io.BytesIO(data))  # the header only, so far
            except Image.DecompressionBombError as exc:  # Pillow's ceiling, far above ours
                pixels = re.search(r"\((\d+) pixels\)", str(exc))
                raise _too_large(label, f"{int(pixels.group(1)) / 1e6:,.0f}" if pixels else
                                 "more than 178", limit) from None
            width, height = image.size
            if width * height > limit * 1e6:
                raise _too_large(label, f"{width:,}x{height:,} pixels, "
                                        f"{width * height / 1e6:,.0f}", limit)
            image.draft("RGB", (DECODE_SIDE, DECODE_SIDE))  # JPEG: decode scaled down
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise SourceError(f"{label} is not an image oneframe can read (JPEG, PNG, WebP...)."
                          ) from exc


def _too_large(label: str, size: str, limit: float) -> SourceError:
    advice = ("Resize it: a few hundred pixels a side is plenty to find frames that look like "
              "it.")
    return SourceError(f"{label} is too large ({size} megapixels); the most oneframe reads is "
                       f"{limit:g} megapixels (the operator's setting {MAX_MEGAPIXELS_ENV}). "
                       + advice, visitor=f"{label} is too large ({size} megapixels); the most "
                       f"this server reads is {limit:g} megapixels. " + advice)
