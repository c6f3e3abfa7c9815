"""Burned-in subtitles: read the subtitle band with OCR (rapidocr) and turn it into cues.

OCR is slow (~0.1 s a frame), so it runs only when the band's *text* changes. Subtitles are
light letters with a dark outline, shadow or box; a mask of light pixels next to dark ones
shows them and ignores most of the picture behind. A new OCR is triggered when that mask
appears, or changes inside the box of the line last read; when it fades away the line ends
without one. Consecutive reads of the same line merge into one cue (start = the first frame
it was seen, end = the first frame without it).
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from rapidfuzz import fuzz

from oneframe.core.errors import ModelError
from oneframe.core.timing import timed
from oneframe.dialogue.cues import Cue
from oneframe.dialogue.modes import DEFAULT_BAND
from oneframe.encoders.models import INFERENCE

BURNED_IN = "burned-in"

LIGHT, DARK = 190, 70          # grey levels of letters and of their outline
TEXT_DENSITY = 0.0015          # share of the band that must look like letters
CHANGED = 0.5                  # mask change inside the line's box that means a new line
GONE = 0.3                     # share of the line's mask left when it has faded away
MIN_OCR_GAP = 0.25             # seconds between two reads of the band
LOOKS_PER_SECOND = 8           # band checks a second: lines are timed to about 1/8 s
STABLE_LOOKS = 3               # looks in a row letters must hold still to count
MIN_SCORE = 0.6                # recogniser confidence below which a piece is dropped
SAME_LINE = 88                 # rapidfuzz ratio of two reads of one line (spaces ignored)
TARGET_WIDTH = 1200            # small video is upscaled so letters reach the recogniser size
DETECT_SAMPLES = 12

_LOCK = threading.Lock()
_READER: list[Any] = []
_KERNEL = np.ones((5, 5), np.uint8)


def load_reader() -> Any:
    """The OCR engine, loaded once per process; ModelError if it is not installed."""
    with _LOCK:
        if not _READER:
            try:
                from rapidocr_onnxruntime import RapidOCR

                _READER.append(RapidOCR(det_limit_type="max", det_limit_side_len=1280,
                                        use_cls=False, print_verbose=False))
            except Exception as exc:  # missing package, broken model files
                raise ModelError(
                    f"Could not start the OCR engine for burned-in subtitles ({exc}). Reinstall "
                    "the requirements (`make run` does), or switch OCR off."
                ) from exc
        return _READER[0]


def band_of(frame: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    height = frame.shape[0]
    return frame[int(height * band[0]):max(int(height * band[1]), int(height * band[0]) + 1)]


def text_mask(band: np.ndarray) -> np.ndarray:
    """Light pixels with a dark pixel within two: the letters of a subtitle, outline or box.

    Lightness is the brightest channel, so white, yellow, cyan or green letters all count.
    """
    if band.ndim == 3:
        blue, green, red = cv2.split(band)
        value = cv2.max(cv2.max(blue, green), red)
    else:
        value = band
    light = cv2.compare(value, LIGHT, cv2.CMP_GT)  # type: ignore[call-overload]
    dark = cv2.dilate(cv2.compare(value, DARK, cv2.CMP_LT), _KERNEL)  # type: ignore[call-overload]
    return cv2.bitwise_and(light, dark) > 0


@dataclass
class Read:
    """What OCR made of a band: its text, confidence, and the box around it (band pixels)."""

    text: str
    score: float
    box: tuple[int, int, int, int] | None  # y0, y1, x0, x1


def _recognise(reader: Any, band: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
    """``(box, text, score)`` per line piece: boxes found on the band as it is, letters read
    from an upscaled copy (small letters lose the spaces between words otherwise)."""
    scale = min(max(TARGET_WIDTH / band.shape[1], 1.0), 2.0)
    with INFERENCE:
        boxes, _ = reader.text_det(band)
    if boxes is None or not len(boxes):
        return []
    boxes = reader.sorted_boxes(boxes)
    image = band
    if scale > 1:
        image = cv2.resize(band, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    crops = reader.get_crop_img_list(image, [np.asarray(b, np.float32) * scale for b in boxes])
    with INFERENCE:
        read, _ = reader.text_rec(crops)
    return [(np.asarray(b, np.float32), text, float(score))
            for b, (text, score, *_) in zip(boxes, read, strict=True)]


def read_band(reader: Any, band: np.ndarray) -> Read:
    """OCR one band: pieces in reading order, unsure pieces dropped."""
    pieces = [(box, text.strip(), score) for box, text, score in _recognise(reader, band)
              if score >= MIN_SCORE and text.strip()]
    text = " ".join(t for _, t, _ in pieces)
    if sum(c.isalnum() for c in text) < 2:
        return Read("", 0.0, None)
    points = np.concatenate([p for p, _, _ in pieces])
    x0, y0 = np.maximum(points.min(0).astype(int) - 4, 0)
    x1, y1 = points.max(0).astype(int) + 4
    return Read(text, float(np.mean([s for _, _, s in pieces])), (int(y0), int(y1), int(x0),
                                                                   int(x1)))


def _changed(now: np.ndarray, then: np.ndarray) -> float:
    """How much of two letter masks differs, relative to the larger."""
    return float(np.logical_xor(now, then).sum()) / max(int(now.sum()), int(then.sum()), 1)


def _key(text: str) -> str:
    return "".join(text.lower().split())


@dataclass
class _Line:
    start: float
    reads: list[Read] = field(default_factory=list)

    def text(self) -> str:
        return max(self.reads, key=lambda r: (r.score, r.text.count(" "))).text


class BurnedInTracker:
    """Watches the subtitle band frame by frame and reads it only when its text changes.

    Letters must stay put for ``STABLE_LOOKS`` looks in a row to count: subtitles hold still
    while the picture behind them moves, so moving light-on-dark detail is not read as text.
    """

    def __init__(self, band: tuple[float, float] = DEFAULT_BAND, reader: Any = None) -> None:
        self.band = band
        self.reader = reader or load_reader()
        self.cues: list[Cue] = []
        self.reads = 0
        self._line: _Line | None = None
        self._mask: np.ndarray | None = None  # stable letters at the last read
        self._box: tuple[int, int, int, int] | None = None  # where the current line is
        self._recent: deque[tuple[float, np.ndarray]] = deque(maxlen=STABLE_LOOKS)
        self._last_read = -1e9
        self._last_look = -1e9

    def look(self, time: float, frame: np.ndarray) -> None:
        """Feed one decoded (BGR) frame."""
        self.look_band(time, band_of(frame, self.band))

    def look_band(self, time: float, band: np.ndarray) -> None:
        """Feed the subtitle band of one frame (more than ``LOOKS_PER_SECOND`` are skipped)."""
        if time - self._last_look < 1 / LOOKS_PER_SECOND:
            return
        self._last_look = time
        mask = text_mask(band)
        self._recent.append((time, mask))
        stable = mask.copy()
        for _, earlier in list(self._recent)[:-1]:
            stable &= earlier
        since = self._recent[0][0]  # the letters have been there since this look
        if self._line is not None and self._box is not None and self._mask is not None:
            y0, y1, x0, x1 = self._box
            then = self._mask[y0:y1, x0:x1]
            if mask[y0:y1, x0:x1].sum() < GONE * then.sum():  # faded away
                self._close(time)
                self._mask, self._box = None, None
            elif _changed(stable[y0:y1, x0:x1], then) > CHANGED and self._due(time):
                self._read(max(since, self._last_read), band, stable)
            return
        if (len(self._recent) == STABLE_LOOKS and float(stable.mean()) > TEXT_DENSITY
                and self._due(time)
                and (self._mask is None or _changed(stable, self._mask) > CHANGED)):
            self._read(since, band, stable)

    def _due(self, time: float) -> bool:
        return time - self._last_read >= MIN_OCR_GAP

    def _read(self, time: float, band: np.ndarray, mask: np.ndarray) -> None:
        read = read_band(self.reader, band)
        self.reads += 1
        self._last_read = self._last_look
        if not read.text:  # keep the mask: the same picture is not read again
            self._close(time)
            self._mask, self._box = mask, None
            return
        same = self._line is not None and fuzz.ratio(
            _key(read.text), _key(self._line.reads[-1].text)) >= SAME_LINE
        if not same:
            self._close(time)
            self._line = _Line(time)
        assert self._line is not None
        self._line.reads.append(read)
        self._mask, self._box = mask, read.box

    def _close(self, time: float) -> None:
        if self._line is not None:
            self.cues.append(Cue(self._line.start, max(time, self._line.start),
                                 self._line.text(), BURNED_IN))
        self._line = None

    def finish(self, end: float) -> list[Cue]:
        """The cues read, the last one closed at ``end``."""
        self._close(end)
        return self.cues


class QueuedTracker:
    """A tracker fed from the decoding thread and run from the embedding one.

    ``look`` (decoding thread) copies the band into a bounded queue; ``pump`` (the thread that
    embeds frames) reads what is queued between embedding batches, so OCR and embedding take
    turns on the cores instead of fighting over them; ``finish`` reads the rest.
    """

    QUEUE_BYTES = 64 << 20  # bands held between two pumps, at most

    def __init__(self, tracker: BurnedInTracker) -> None:
        self.tracker = tracker
        self._queue: queue.Queue[Any] | None = None
        self._last = -1e9

    @property
    def cues(self) -> list[Cue]:
        return self.tracker.cues

    def look(self, time: float, frame: np.ndarray) -> None:
        if time - self._last >= 1 / LOOKS_PER_SECOND:
            self._last = time
            band = band_of(frame, self.tracker.band).copy()
            if self._queue is None:
                depth = min(max(self.QUEUE_BYTES // max(band.nbytes, 1), 16), 256)
                self._queue = queue.Queue(maxsize=depth)
            self._queue.put((time, band))

    def pump(self) -> None:
        while self._queue is not None:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            with timed("OCR"):
                self.tracker.look_band(*item)

    def finish(self, end: float) -> list[Cue]:
        self.pump()
        return self.tracker.finish(end)


def has_burned_in(path: Path, band: tuple[float, float] = DEFAULT_BAND,
                  samples: int = DETECT_SAMPLES, reader: Any = None) -> bool:
    """Whether a video shows subtitles in the band, from a few frames spread over it.

    Frames whose band has no letter-like pixels are dismissed without OCR, so a video without
    subtitles costs a few seeks. Text must be read in at least two samples and either differ
    between them or be missing from others: a logo or a watermark is the same everywhere.
    """
    cap = cv2.VideoCapture(str(path))
    try:
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if count <= 0:
            return False
        texts, looked = [], 0
        for i in range(samples):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(count * (i + 0.5) / samples))
            ok, frame = cap.read()
            if not ok:
                continue
            looked += 1
            strip = band_of(frame, band)
            mask = text_mask(strip)
            if mask.mean() <= TEXT_DENSITY:
                continue
            read = read_band(reader or load_reader(), strip)
            if read.text and read.score >= 0.8:
                texts.append(_key(read.text))
                if len(set(texts)) >= 2:
                    return True
        return len(texts) >= 2 and len(texts) < looked  # one line that comes and goes
    finally:
        cap.release()

