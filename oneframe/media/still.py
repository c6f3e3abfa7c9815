"""A still: the frame on screen at an exact time, full size, as PNG or JPEG, with the line
said then drawn under it if asked (the screenshot people share)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oneframe.core.errors import VideoError
from oneframe.media.destination import check, writing
from oneframe.media.streams import frames


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """The RGB frame on screen at ``seconds``: frame ``floor(seconds * fps)``, full size."""
    for _, frame in frames(path, seconds):
        return frame.to_ndarray(format="rgb24")
    raise VideoError(f"{path.name} has no frame at {seconds:.3f} s.")


STILLS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
"""What a still can be written as, by suffix."""


def still(path: Path, seconds: float, out: Path, line: str | None = None,
          replace: bool = False) -> Path:
    """The frame at ``seconds`` as PNG or JPEG (by ``out``'s suffix), with ``line`` drawn
    under it as a subtitle if given. Written to a file of its own and moved into place when
    whole (an existing ``out`` only if ``replace``)."""
    from PIL import Image

    check(out, list(STILLS), "still", replace)
    image = Image.fromarray(frame_at(path, seconds))
    if line:
        image = _subtitled(image, line)
    with writing(out, replace) as partial:
        if STILLS[out.suffix.lower()] == "JPEG":
            image.save(partial, "JPEG", quality=92)
        else:  # zlib's fastest level: a quarter of the time of its default, 8 % larger
            image.save(partial, "PNG", compress_level=1)
    return out


FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
         "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
         "/System/Library/Fonts/Supplemental/Arial Bold.ttf", "C:/Windows/Fonts/arialbd.ttf")


def _subtitled(image: Any, line: str) -> Any:
    """``image`` with ``line`` drawn at its foot as subtitles are: white, outlined, wrapped."""
    from PIL import ImageDraw, ImageFont

    size = max(14, image.height // 18)
    font: Any = next((ImageFont.truetype(f, size) for f in FONTS if Path(f).is_file()), None)
    if font is None:
        font = ImageFont.load_default(size)
    draw = ImageDraw.Draw(image)
    lines = _wrapped(draw, line, font, int(image.width * 0.9))
    gap = int(size * 1.25)
    y = image.height - gap * len(lines) - size
    for text in lines:
        width = draw.textlength(text, font=font)
        draw.text(((image.width - width) / 2, y), text, font=font, fill="white",
                  stroke_width=max(2, size // 12), stroke_fill="black")
        y += gap
    return image


def _wrapped(draw: Any, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines[-3:] or [""]
