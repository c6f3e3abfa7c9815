"""Errors written for the user: each message says what happened and what to do.

Pages show ``str(error)`` with ``st.error``; the CLI prints it and exits 1. The core never
prints, never exits and never returns None for a failure: it raises one of these.
"""


class OneframeError(Exception):
    """A failure the user can act on; the message is meant to be shown as it is.

    ``details`` is what a curious user or a bug report may want beside it (the last warning of
    a download tool, say): shown under "Details", never instead of the message.
    """

    def __init__(self, message: str = "", details: str | None = None,
                 visitor: str | None = None) -> None:
        super().__init__(message)
        self.details = details
        self.visitor = visitor
        """The message for a visitor of the web app, where the plain one advises what only
        the server's operator can do (set a variable, fetch a model into a server folder)."""

    def for_visitor(self) -> str:
        return self.visitor or str(self)


class SourceError(OneframeError):
    """A URL or local file could not be turned into a video (and its captions)."""


class PlaylistLink(SourceError):
    """A link to several videos (a playlist, a channel, a page with many): one is needed."""

    def __init__(self, message: str, entries: list[tuple[str, str]], more: bool) -> None:
        super().__init__(message)
        self.entries = entries
        """``(link, title)`` of the first videos, in order."""
        self.more = more
        """Whether there are more than ``entries``."""


class CaptionError(OneframeError):
    """A caption file could not be read."""


class VideoError(OneframeError):
    """A video file could not be decoded."""


class ModelError(OneframeError):
    """The embedding model could not be loaded."""


class LibraryError(OneframeError):
    """The on-disk library could not be read or written, or lacks what was asked for."""
