"""Real media made in the tests: mp4v videos written by OpenCV, caption files, HTML pages."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from oneframe.media.cut import MOV_TEXT_HEADER

Colour = tuple[int, int, int]


def write_video(
    path: Path,
    scenes: list[tuple[float, Colour | None]],
    fps: int = 10,
    size: tuple[int, int] = (160, 96),
    moving: bool = True,
) -> Path:
    """An mp4v video of solid-colour scenes ``(seconds, BGR colour)``; None is a black scene.

    A white square moves across each coloured scene unless ``moving`` is False (a static shot).
    """
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    for seconds, colour in scenes:
        for i in range(round(seconds * fps)):
            frame = np.zeros((height, width, 3), np.uint8)
            if colour is not None:
                frame[:] = colour
                x = (i * 3) % (width - 20) if moving else 10
                cv2.rectangle(frame, (x, 30), (x + 20, 50), (255, 255, 255), -1)
            writer.write(frame)
    writer.release()
    return path


SCENES: list[tuple[float, Colour | None]] = [(3.0, (200, 40, 40)), (3.0, (40, 200, 40)),
                                             (3.0, (40, 40, 200))]


def write_subtitled_video(path: Path, lines: list[tuple[float, float, str, int, Colour]],
                          seconds: float, fps: int = 10, size: tuple[int, int] = (640, 360),
                          at_top: bool = False) -> Path:
    """A video with moving pictures and subtitles burned in: ``(start, end, text, font, BGR)``.

    Letters are drawn in an OpenCV font and colour over a black outline, in the bottom third,
    over a panning picture of soft colours.
    """
    width, height = size
    rng = np.random.default_rng(3)
    background = cv2.resize(rng.integers(40, 210, (9, 16, 3), dtype=np.uint8), size,
                            interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(round(seconds * fps)):
        t = i / fps
        frame = np.roll(background, i * 4, axis=1).copy()
        for start, end, text, font, colour in lines:
            if start <= t < end:
                (w, h), _ = cv2.getTextSize(text, font, 0.9, 2)
                x, y = (width - w) // 2, 50 if at_top else height - 30
                for dx in (-2, 0, 2):
                    for dy in (-2, 0, 2):
                        cv2.putText(frame, text, (x + dx, y + dy), font, 0.9, (0, 0, 0), 2,
                                    cv2.LINE_AA)
                cv2.putText(frame, text, (x, y), font, 0.9, colour, 2, cv2.LINE_AA)
        writer.write(frame)
    writer.release()
    return path


PAGE = """<html><head><title>{title}</title></head><body>
<video controls src="{video}"><track kind="subtitles" src="{captions}" srclang="en"></video>
</body></html>"""
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nThe red scene\n"


def serve_page(root: Path, video: Path, title: str = "Scenes") -> None:
    shutil.copyfile(video, root / "clip.mp4")
    (root / "clip.vtt").write_text(VTT)
    (root / "page.html").write_text(PAGE.format(title=title, video="clip.mp4",
                                                captions="clip.vtt"))


def with_subtitle_tracks(video: Path, out: Path,
                         tracks: list[tuple[Path, str | None, str | None, bool]]) -> Path:
    """``video`` remuxed (no re-encoding) into ``out`` (MKV) with subtitle tracks made from
    caption files: ``(file, ISO 639-2 language or None, title or None, forced)``. The files'
    own formats (SRT, ASS) become the tracks' codecs, as ``ffmpeg -c copy`` would do."""
    import av

    inputs = [av.open(str(video))] + [av.open(str(path)) for path, *_ in tracks]
    with av.open(str(out), "w") as container:
        streams = [container.add_stream_from_template(inputs[0].streams.video[0])]
        for (_, language, title, forced), source in zip(tracks, inputs[1:], strict=True):
            stream = container.add_stream_from_template(source.streams[0])
            if language:
                stream.metadata["language"] = language
            if title:
                stream.metadata["title"] = title
            if forced:
                stream.disposition = 0x40  # forced
            streams.append(stream)
        for source, stream in zip(inputs, streams, strict=True):
            for packet in source.demux(source.streams[0]):
                if packet.dts is None:
                    continue
                packet.stream = stream
                container.mux(packet)
    for source in inputs:
        source.close()
    return out


def with_mov_text(video: Path, out: Path, lines: list[tuple[float, float, str]],
                  language: str = "eng", corrupt: bool = False) -> Path:
    """``video`` remuxed into an MP4 with a mov_text (QuickTime text) track of ``lines``; with
    ``corrupt``, packets too short to hold a text sample."""
    import struct
    from fractions import Fraction

    import av

    source = av.open(str(video))
    with av.open(str(out), "w") as container:
        picture = container.add_stream_from_template(source.streams.video[0])
        text = container.add_stream("mov_text")
        text.codec_context.subtitle_header = MOV_TEXT_HEADER  # what its encoder must be given
        text.metadata["language"] = language
        text.time_base = Fraction(1, 1000)
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = picture
            container.mux(packet)
        for start, end, line in lines:
            body = line.encode()
            data = b"\x00" if corrupt else struct.pack(">H", len(body)) + body
            packet = av.Packet(data)
            packet.stream = text
            packet.time_base = Fraction(1, 1000)
            packet.pts = packet.dts = round(start * 1000)
            packet.duration = round((end - start) * 1000)
            container.mux(packet)
    source.close()
    return out


def spoken(text: str, voice: str = "en-us", rate: int = 150) -> np.ndarray:
    """``text`` said by Debian's espeak-ng: 22,050 Hz mono int16 samples."""
    import subprocess
    import tempfile
    import wave

    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", out.name, text],
                       check=True, capture_output=True)
        with wave.open(out.name) as clip:
            assert clip.getframerate() == SPEECH_RATE and clip.getnchannels() == 1
            return np.frombuffer(clip.readframes(clip.getnframes()), np.int16)


SPEECH_RATE = 22050


def with_sound(video: Path, out: Path, samples: np.ndarray) -> Path:
    """``video`` remuxed into an MKV with a PCM sound track of ``samples`` (22,050 Hz mono)."""
    import av

    source = av.open(str(video))
    with av.open(str(out), "w") as container:
        picture = container.add_stream_from_template(source.streams.video[0])
        sound = container.add_stream("pcm_s16le", rate=SPEECH_RATE, layout="mono")
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = picture
            container.mux(packet)
        for at in range(0, len(samples), 4096):
            frame = av.AudioFrame.from_ndarray(samples[None, at:at + 4096], format="s16",
                                               layout="mono")
            frame.sample_rate, frame.pts = SPEECH_RATE, at
            for packet in sound.encode(frame):
                container.mux(packet)
        for packet in sound.encode(None):
            container.mux(packet)
    source.close()
    return out


def speech_track(seconds: float, lines: list[tuple[float, str]], voice: str = "en-us",
                 noise: float = 0.0) -> np.ndarray:
    """A sound track ``seconds`` long with each ``(start, text)`` said at its time."""
    samples = np.zeros(int(seconds * SPEECH_RATE), np.float64)
    rng = np.random.default_rng(1)
    if noise:
        samples += rng.normal(0, noise * 32767, len(samples))
    for start, text in lines:
        clip = spoken(text, voice).astype(np.float64)
        at = int(start * SPEECH_RATE)
        samples[at:at + len(clip)] += clip[:len(samples) - at]
    return np.clip(samples, -32768, 32767).astype(np.int16)


def music_track(seconds: float) -> np.ndarray:
    """Chords and a drum-like noise burst every half second: sound, but no speech."""
    t = np.arange(int(seconds * SPEECH_RATE)) / SPEECH_RATE
    chords = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    beat = (np.random.default_rng(2).normal(0, 1, len(t)) * np.exp(-((t % 0.5) * 30)))
    return (np.clip(0.3 * chords + 0.2 * beat, -1, 1) * 20000).astype(np.int16)


def dvd_with_subpictures(out: Path, lines: list[tuple[float, float, str]],
                         seconds: float = 8.0) -> Path:
    """An MPEG-2 DVD program stream with a VobSub track (pictures of text): the video made with
    PyAV, the subtitles drawn into DVD subpictures by Debian's dvdauthor (``spumux``)."""
    import os
    import subprocess
    from fractions import Fraction

    import av

    folder = out.parent
    plain = folder / "plain.mpg"
    with av.open(str(plain), "w", format="vob") as container:
        stream = container.add_stream("mpeg2video", rate=Fraction(30000, 1001))
        stream.width, stream.height, stream.pix_fmt = 720, 480, "yuv420p"
        for i in range(int(seconds * 30)):
            picture = np.full((480, 720, 3), (i * 2) % 200 + 30, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    srt = folder / "subpictures.srt"
    srt.write_text("".join(
        f"{i}\n00:00:{a:06.3f} --> 00:00:{b:06.3f}\n{text}\n\n".replace(".", ",")
        for i, (a, b, text) in enumerate(lines, 1)))
    fonts = folder / "spumux-home"
    (fonts / ".spumux").mkdir(parents=True, exist_ok=True)
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if font.is_file() and not (fonts / ".spumux" / font.name).exists():
        (fonts / ".spumux" / font.name).symlink_to(font)
    (folder / "subpictures.xml").write_text(
        f'<subpictures><stream><textsub filename="{srt}" characterset="UTF-8" fontsize="28.0" '
        f'font="{font.name}" horizontal-alignment="center" vertical-alignment="bottom" '
        'left-margin="60" right-margin="60" top-margin="20" bottom-margin="30" '
        'subtitle-fps="29.97" movie-fps="29.97" movie-width="720" movie-height="478"/>'
        "</stream></subpictures>")
    with plain.open("rb") as source, out.open("wb") as sink:
        subprocess.run(["spumux", "-s0", str(folder / "subpictures.xml")], stdin=source,
                       stdout=sink, stderr=subprocess.DEVNULL, check=True,
                       env={**os.environ, "VIDEO_FORMAT": "NTSC", "HOME": str(fonts)})
    return out


def write_pgs(path: Path, pictures: list[tuple[float, float, int, int]]) -> Path:
    """A PGS (Blu-ray .sup) subtitle stream of blank pictures: ``(start, end, width, height)``
    each, as a muxer would cut them into segments (the big ones into several object parts)."""
    import struct

    def segment(kind: int, pts: float, data: bytes) -> bytes:
        ticks = int(pts * 90_000)
        return b"PG" + struct.pack(">IIBH", ticks, ticks, kind, len(data)) + data

    out = b""
    for number, (start, end, width, height) in enumerate(pictures):
        line = bytes([0, 0x40 | (width >> 8), width & 0xFF, 0, 0]) if width >= 64 else \
            bytes([0, width, 0, 0])
        rle = struct.pack(">HH", width, height) + line * height
        out += segment(0x16, start, struct.pack(">HHBHBBBB", width, height, 0x10, number, 0x80,
                                                0, 0, 1) + struct.pack(">HBBHH", 0, 0, 0, 0, 0))
        out += segment(0x17, start, struct.pack(">BBHHHH", 1, 0, 0, 0, width, height))
        out += segment(0x14, start, bytes([0, 0, 0, 16, 128, 128, 0, 1, 235, 128, 128, 255]))
        parts = [rle[i:i + 65_000] for i in range(0, len(rle), 65_000)]
        for i, part in enumerate(parts):
            flags = (0x80 if i == 0 else 0) | (0x40 if i == len(parts) - 1 else 0)
            head = struct.pack(">HBB", 0, 0, flags) + (
                len(rle).to_bytes(3, "big") if i == 0 else b"")
            out += segment(0x15, start, head + part)
        out += segment(0x80, start, b"")
        out += segment(0x16, end, struct.pack(">HHBHBBBB", width, height, 0x10, number + 100,
                                              0x00, 0, 0, 0))
        out += segment(0x17, end, struct.pack(">BBHHHH", 1, 0, 0, 0, width, height))
        out += segment(0x80, end, b"")
    path.write_bytes(out)
    return path


BARS = 14
"""Bits of a frame's number drawn across a barcode frame: up to 16,383 frames."""


def barcode_picture(n: int, width: int, height: int) -> np.ndarray:
    """Frame ``n``'s picture: its number in binary, a white bar a set bit, in the top half."""
    picture = np.full((height, width, 3), 40, np.uint8)
    bar = width // BARS
    for bit in range(BARS):
        if n >> bit & 1:
            picture[: height // 2, bit * bar:(bit + 1) * bar] = 255
    return picture


def barcode_video(out: Path, frames: int, fps: Fraction | float = 25, gop: int = 12,
                  bframes: int = 0, size: tuple[int, int] = (320, 180),
                  sound: bool = True, open_gop: bool = False) -> Path:
    """An H.264 MP4 whose every frame shows its own number as a bar code (white bar = 1),
    ``gop`` frames between keyframes, ``bframes`` B-frames (pictures before a keyframe
    decoded after it, with ``open_gop``); with a tone, if ``sound``."""
    import av

    width, height = size
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(gop), "keyint_min": str(gop), "bf": str(bframes),
                          "sc_threshold": "0", "crf": "18", "preset": "ultrafast",
                          **({"x264-params": "open-gop=1"} if open_gop else {})}
        audio = container.add_stream("aac", rate=48000, layout="mono") if sound else None
        for n in range(frames):
            frame = av.VideoFrame.from_ndarray(barcode_picture(n, width, height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio is not None:
            seconds = frames / float(fps)
            t = np.arange(int(seconds * 48000)) / 48000
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for at in range(0, len(tone), 1024):
                chunk = av.AudioFrame.from_ndarray(tone[None, at:at + 1024], format="fltp",
                                                   layout="mono")
                chunk.sample_rate, chunk.pts = 48000, at
                for packet in audio.encode(chunk):
                    container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)
    return out


def frame_number_of(rgb: np.ndarray) -> int:
    """The number a barcode frame shows (see :func:`barcode_video`), read at any size."""
    height, width = rgb.shape[:2]
    bar = width / BARS
    grey = rgb[: height // 2].mean(axis=(0, 2)) if rgb.ndim == 3 else rgb[: height // 2].mean(0)
    return sum(1 << bit for bit in range(BARS) if grey[int((bit + 0.5) * bar)] > 128)
