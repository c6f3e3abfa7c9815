"""Errors written for the user: each message says what happened and what to do.

Pages show ``str(error)`` with ``st.error``; the CLI prints it and exits 1. The core never
prints, never exits and never returns None for a failure: it raises one of these.
"""


class OneframeError(Exception):
    """A failure the user can act on; the message is meant to be shown as it is."""


class SourceError(OneframeError):
    """A URL or local file could not be turned into a video (and its captions)."""


class CaptionError(OneframeError):
    """A caption file could not be read."""


class VideoError(OneframeError):
    """A video file could not be decoded."""


class ModelError(OneframeError):
    """The embedding model could not be loaded."""


class LibraryError(OneframeError):
    """The on-disk library could not be read or written, or lacks what was asked for."""
