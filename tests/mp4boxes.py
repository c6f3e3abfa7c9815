"""An MP4's length as players and editors read it: the movie header (mvhd), each track's header
(tkhd), media header (mdhd) and edit list (elst). PyAV's ``container.duration`` is not that (it
said 6.0 s for a file whose video track runs 9.13 s), so exports are checked here."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Track:
    kind: str
    """The handler: ``vide``, ``soun``, ``text``, ``sbtl``..."""
    header_seconds: float
    """tkhd's duration, in the movie's timescale."""
    media_seconds: float
    """mdhd's duration, in the track's own timescale."""
    edits: list[tuple[float, float]] = field(default_factory=list)
    """The edit list: (segment seconds, media time in seconds; -1 for an empty edit)."""

    @property
    def seconds(self) -> float:
        """How long a player plays it: its edits' total where it has an edit list."""
        return sum(d for d, _ in self.edits) if self.edits else self.media_seconds


@dataclass
class Movie:
    seconds: float
    """mvhd's duration: the file's length as players and editors read it."""
    tracks: list[Track]

    def track(self, kind: str) -> Track:
        return next(t for t in self.tracks if t.kind == kind)


def _boxes(data: bytes, start: int = 0, end: int | None = None):  # type: ignore[no-untyped-def]
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
            header = 16
        elif size == 0:
            size = end - at
        yield kind.decode("latin-1"), at + header, at + size
        at += size


def _child(data: bytes, start: int, end: int, kind: str) -> tuple[int, int] | None:
    return next(((a, b) for k, a, b in _boxes(data, start, end) if k == kind), None)


def read_movie(path: Path) -> Movie:
    data = path.read_bytes()
    moov = _child(data, 0, len(data), "moov")
    assert moov is not None, f"{path} has no moov box"
    mvhd = _child(data, *moov, "mvhd")
    assert mvhd is not None
    scale, duration = _header(data, mvhd[0], times_at=(12, 20))
    tracks = []
    for kind, a, b in _boxes(data, *moov):
        if kind != "trak":
            continue
        tkhd = _child(data, a, b, "tkhd")
        mdia = _child(data, a, b, "mdia")
        assert tkhd is not None and mdia is not None
        version = data[tkhd[0]]
        header = struct.unpack(">I", data[tkhd[0] + 20:tkhd[0] + 24])[0] if version == 0 else \
            struct.unpack(">Q", data[tkhd[0] + 28:tkhd[0] + 36])[0]
        mdhd = _child(data, *mdia, "mdhd")
        hdlr = _child(data, *mdia, "hdlr")
        assert mdhd is not None and hdlr is not None
        media_scale, media = _header(data, mdhd[0], times_at=(12, 20))
        handler = data[hdlr[0] + 8:hdlr[0] + 12].decode("latin-1")
        edits = []
        edts = _child(data, a, b, "edts")
        elst = _child(data, *edts, "elst") if edts else None
        if elst is not None:
            version, at = data[elst[0]], elst[0] + 4
            count = struct.unpack(">I", data[at:at + 4])[0]
            at += 4
            for _ in range(count):
                if version == 0:
                    segment, media_time = struct.unpack(">Ii", data[at:at + 8])
                    at += 12
                else:
                    segment, media_time = struct.unpack(">Qq", data[at:at + 16])
                    at += 20
                edits.append((segment / scale,
                              -1.0 if media_time == -1 else media_time / media_scale))
        tracks.append(Track(handler, header / scale, media / media_scale, edits))
    return Movie(duration / scale, tracks)


def _header(data: bytes, at: int, times_at: tuple[int, int]) -> tuple[int, int]:
    """(timescale, duration) of an mvhd or mdhd box starting at ``at``."""
    if data[at] == 0:
        return struct.unpack(">II", data[at + times_at[0]:at + times_at[1]])
    return struct.unpack(">IQ", data[at + 20:at + 32])
