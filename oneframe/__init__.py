"""oneframe: find the exact frame of a video by describing what is seen or said."""

import os

# The core never prints: keep FFmpeg's and OpenCV's native warnings off the terminal.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

__version__ = "0.1.0"
