"""How well a moment must match to be shown (kept apart from ``fusion`` so that the command
line reads it without importing numpy)."""

MIN_SCORE = 0.12
"""A moment whose best channel (see :func:`oneframe.search.fusion.strength`) is below this did
not match well enough to show; none left is the "nothing matched well" state."""
