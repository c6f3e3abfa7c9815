"""oneframe: find the exact frame of a video by describing what is seen or said."""

__version__ = "0.1.0"
