"""Text from hostile places made safe to write anywhere: one line, no control characters, no
lone surrogates (bytes that were not UTF-8, carried through by the file system or stdin)."""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 can't hold, C1 controls (which no editor shows) and lone surrogates."""


def printable(text: str) -> str:
    """``text`` without control characters or lone surrogates; its line breaks kept."""
    return CONTROL.sub(" ", text)


def one_line(text: str, limit: int = 2000) -> str:
    """``text`` on one line, printable, at most ``limit`` characters."""
    return " ".join(printable(text).split())[:limit]
