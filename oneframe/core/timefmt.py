"""Times as people read them."""

from __future__ import annotations


def timestamp(seconds: float) -> str:
    """``1:02:03.4`` or ``2:03.4``."""
    seconds = max(seconds, 0.0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 1:
        return f"{int(hours)}:{int(minutes):02d}:{secs:04.1f}"
    return f"{int(minutes)}:{secs:04.1f}"
