"""Checks of the command line's values: a usage error names the value and what it must be."""

from __future__ import annotations

import argparse
import math


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_seconds(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def seconds(text: str) -> float:
    value = number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 seconds or more, not {text}")
    return value


def share(text: str) -> float:
    value = number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def filename(text: str) -> str:
    from pathlib import Path

    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return str(path)


def readable(text: str) -> str:
    """A file to read: ``-`` (standard input), a regular file or a pipe (``<(...)``)."""
    from pathlib import Path

    if text == "-":
        return text
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file")
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return str(path)


def band(text: str) -> tuple[float, float]:
    try:
        top, bottom = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("write the band as TOP:BOTTOM, e.g. 0.667:1") from None
    if not 0 <= top < bottom <= 1:
        raise argparse.ArgumentTypeError("need 0 <= TOP < BOTTOM <= 1, e.g. 0.667:1")
    return top, bottom
