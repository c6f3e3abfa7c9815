"""Removing a video: its folder, then the store's rows."""

from __future__ import annotations

from oneframe.index.store import follow
from oneframe.library.folders import Library


def remove(library: Library, vid: str) -> None:
    """Remove ``vid`` from the library (LibraryError if it is gone already or can't go), and
    bring the store in line."""
    library.remove(vid)
    follow(library, [vid])
