"""OpenCV sampling: one frame every ``interval`` seconds, plus a frame of each new shot.

Frames are looked at about ten times a second on tiny grey thumbnails. A large change between
two looks is a cut; the shot after it gets a frame of its own only when it is a shot: the next
look agrees with it (a flash, or fast action where every look differs, is not one), it is far
from the last kept frame (not the same shot again after a flash or a cutaway), and it comes at
least ``SHOT_GAP`` intervals after it. A sample that barely differs from the last kept frame (a
static shot), or comes within ``MIN_GAP`` of it and looks like it, or is black, is skipped; a
static shot still gets a frame every ``MAX_GAP_INTERVALS`` intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from oneframe.core.errors import VideoError
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.core.timing import timed

ANALYSIS_FPS = 10.0
CUT_THRESHOLD = 30.0       # mean absolute grey difference (0-255) between looks
SETTLED = 12.0             # the look after a cut differs less than this: a new shot, not a flash
NEW_SHOT = 20.0            # a frame this close to the last kept one shows the same shot
MIN_GAP = 0.5              # intervals after a kept frame before a similar one is kept
SHOT_GAP = 0.25            # intervals after a kept frame before a new shot is kept
DUPLICATE_THRESHOLD = 2.5  # below this, a sample repeats the last kept frame
BLACK_LEVEL = 16.0
BLACK_SPREAD = 6.0
MAX_GAP_INTERVALS = 10
THUMB_LONG_SIDE = 512


@dataclass
class Frame:
    """A kept frame: its time in seconds and its RGB pixels."""

    time: float
    image: np.ndarray
    cut: bool = False


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frames: int
    duration: float
    width: int
    height: int


def open_video(path: Path, name: str | None = None) -> tuple[cv2.VideoCapture, VideoInfo]:
    """An open capture and what the container says about it; VideoError if unreadable.

    ``name`` is how messages call the video (what the user gave), else the file's name.
    """
    name = name or path.name
    if not path.is_file() or path.stat().st_size == 0:
        raise VideoError(f"{name}: the file is missing or empty. Give a complete video file.")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened() or not cap.get(cv2.CAP_PROP_FRAME_WIDTH):
        cap.release()
        if _sound_only(path):
            raise VideoError(f"{name}: holds sound but no picture. oneframe finds moments in "
                             "videos; give a video file (for a recording of a talk or a "
                             "podcast, one with a picture, even a still one).")
        raise VideoError(
            f"{name}: could not be opened as a video. It is not a video file, it is "
            "incomplete, or it uses a codec OpenCV cannot decode (such as AV1). Convert it to "
            "H.264 MP4 or VP9 WebM and try again."
        )
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if 0 < fps < 1000 else 25.0
    frames = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    duration = picture_seconds(path)
    if duration is not None:  # the picture's own length, not the container's (see there)
        frames = min(frames, int(round(duration * fps))) if frames else int(duration * fps)
    info = VideoInfo(fps, frames, frames / fps, int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    return cap, info


def picture_seconds(path: Path) -> float | None:
    """How long the video stream itself claims to last: its header's frame count (a truncated
    file still claims all of them), else its own duration, else (MKV, WebM) the container's,
    unless another stream is what runs on past the picture's last packet. OpenCV's count comes
    from the container's duration, which a subtitle cue at 999 hours stretches to 999 hours.
    None if PyAV can't tell."""
    try:
        import av

        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            base = stream.time_base or 0
            start = float(stream.start_time * base) if stream.start_time else 0.0
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            if stream.frames and rate:
                return stream.frames / rate
            if stream.duration:
                return float(stream.duration * base)
            if not container.duration:
                return None
            claimed = container.duration / 1e6
            container.seek(container.duration, backward=True, any_frame=False)
            ends: dict[str, float] = {}
            for packet in container.demux():
                if packet.pts is not None and packet.time_base is not None:
                    kind = "video" if packet.stream is stream else "other"
                    at = float((packet.pts + (packet.duration or 0)) * packet.time_base)
                    ends[kind] = max(ends.get(kind, at), at)
            if "video" in ends and ends.get("other", 0.0) >= 0.9 * claimed:
                return max(ends["video"] - start, 0.0)  # another stream runs on: the picture ends
            return claimed  # nothing reaches the claimed end: a truncated file
    except Exception:  # noqa: BLE001 - unreadable by PyAV: OpenCV's view stands
        return None


def _sound_only(path: Path) -> bool:
    """Whether a file has audio streams and no video stream (an MP3, a WAV...)."""
    try:
        import av

        with av.open(str(path)) as container:
            return bool(container.streams.audio) and not container.streams.video
    except Exception:  # noqa: BLE001 - unreadable: not "sound only", just not a video
        return False


def video_info(path: Path, name: str | None = None) -> VideoInfo:
    """What the container says about a video; VideoError if it can't be opened as one."""
    cap, info = open_video(path, name)
    cap.release()
    return info


def _signature(bgr: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (32, 18), interpolation=cv2.INTER_AREA).astype(np.float32)


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _is_black(signature: np.ndarray) -> bool:
    return signature.mean() < BLACK_LEVEL and signature.std() < BLACK_SPREAD


def sample_frames(
    path: str | Path, interval: float = 1.0, progress: Progress = no_progress,
    look: Callable[[float, np.ndarray], None] | None = None, name: str | None = None,
) -> Iterator[Frame]:
    """Yield the kept frames of a video in time order. VideoError if nothing decodes.

    ``look(time, bgr)`` sees every frame looked at (about ten a second), kept or not. ``name``
    is how messages call the video.
    """
    path = Path(path)
    name = name or path.name
    if interval <= 0:
        raise ValueError("interval must be positive")
    cap, info = open_video(path, name)
    next_due, reported = 0.0, -1
    last_look: np.ndarray | None = None
    after_cut: np.ndarray | None = None  # the look that followed a cut, until the next look
    kept: tuple[float, np.ndarray] | None = None
    first: Frame | None = None
    time = 0.0
    try:
        for time, bgr in _looks(cap, info):
            if look is not None:
                look(time, bgr)
            with timed("cut detection"):
                sign = _signature(bgr)
                cut = last_look is not None and _difference(sign, last_look) > CUT_THRESHOLD
                new_shot = after_cut is not None and _difference(sign, after_cut) < SETTLED
            after_cut, last_look = (sign if cut else None), sign
            if int(time) != reported:
                reported = int(time)
                progress(Stage.FRAMES, reported, int(info.duration))
            due = time >= next_due
            if not (due or new_shot):
                continue
            if due:
                next_due = (np.floor(time / interval + 1e-6) + 1) * interval
            if first is None:
                first = Frame(time, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if _is_black(sign) or (kept and not _worth_keeping(time, sign, kept, interval, due)):
                continue
            kept = (time, sign)
            yield Frame(time, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), new_shot)
    finally:
        cap.release()
    if kept is None and first is not None:  # an all-black video still gets one frame
        yield first
    _decoded_enough(name, first is not None, time, info.duration)
    progress(Stage.FRAMES, int(info.duration or time), int(info.duration or time))


def _looks(cap: Any, info: VideoInfo) -> Iterator[tuple[float, np.ndarray]]:
    """``(time, BGR)`` of the frames looked at: about ``ANALYSIS_FPS`` a second."""
    step = max(1, round(info.fps / ANALYSIS_FPS))
    index = -1
    while True:
        with timed("decode"):
            if not cap.grab():
                return
            index += 1
            if index % step:
                continue
            ok, bgr = cap.retrieve()
            if not ok or bgr is None:
                continue
        msec = cap.get(cv2.CAP_PROP_POS_MSEC)
        yield (msec / 1000 if msec > 0 or index == 0 else index / info.fps), bgr


def _decoded_enough(name: str, any_frame: bool, reached: float, duration: float) -> None:
    """VideoError where nothing decoded, or a long video stopped before half of it."""
    if not any_frame:
        raise VideoError(f"{name}: no frame could be decoded. The file is damaged or is not "
                         "a video; re-download or re-export it.")
    if duration > 10 and reached < 0.5 * duration:
        raise VideoError(
            f"{name}: only the first {reached:.0f} s of {duration:.0f} s could be decoded; "
            "the file is truncated or damaged. Re-download or re-export it."
        )


def _worth_keeping(time: float, sign: np.ndarray, kept: tuple[float, np.ndarray],
                   interval: float, due: bool) -> bool:
    """Whether a candidate adds to the last kept frame. A new shot: it is far from it, and not
    too soon after it. A sample due on the grid: it differs from it (or a static shot has gone
    ``MAX_GAP_INTERVALS`` without a frame), and if it comes soon after it, it differs a lot."""
    since, change = time - kept[0], _difference(sign, kept[1])
    if not due:
        return change >= NEW_SHOT and since >= SHOT_GAP * interval
    if since < MIN_GAP * interval:
        return change >= NEW_SHOT
    return change >= DUPLICATE_THRESHOLD or since >= MAX_GAP_INTERVALS * interval


def thumbnail_jpeg(image: np.ndarray, long_side: int = THUMB_LONG_SIDE, quality: int = 85) -> bytes:
    """JPEG bytes of an RGB frame scaled so its long side is at most ``long_side``."""
    height, width = image.shape[:2]
    scale = long_side / max(height, width)
    if scale < 1:
        image = cv2.resize(image, (round(width * scale), round(height * scale)),
                           interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise VideoError("A frame could not be encoded as JPEG.")
    return data.tobytes()
