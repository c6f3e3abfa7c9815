"""Checks of the command line's values: a usage error names the value and what it must be."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
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


def _given_file(text: str, exists: Callable[[Path], bool]) -> str:
    """``text`` as a path that ``exists`` accepts: never a folder."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file")
    if not exists(path):
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return str(path)


def filename(text: str) -> str:
    """A regular file."""
    return _given_file(text, Path.is_file)


def readable(text: str) -> str:
    """A file to read: ``-`` (standard input), a regular file or a pipe (``<(...)``)."""
    return text if text == "-" else _given_file(text, Path.exists)
