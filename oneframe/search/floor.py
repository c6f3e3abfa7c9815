"""How well a moment must match to be shown, and when two finds are one moment (kept apart
from ``fusion`` so that the command line reads them without importing numpy)."""

MIN_SCORE = 0.12
"""A moment whose best channel (see :func:`oneframe.search.fusion.strength`) is below this did
not match well enough to show; none left is the "nothing matched well" state."""

SAME_LINE_SECONDS = 5.0
"""The same words of one video found this close (in seconds) are one line said once: one
moment in results, chapters, SRT and supercuts."""
