"""How a video is added: one frozen value with its defaults, its checks and its duplicate key.

The command line (its flags and their help come from the fields below), the pages, ``ingest
many`` and Ray tasks all pass an :class:`IngestOptions`; a new option is a field here (and a
widget on the Add video page).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from oneframe.core.errors import OneframeError
from oneframe.dialogue.captions import check_caption_size
from oneframe.dialogue.modes import DEFAULT_BAND, OCR_MODES, SPEECH_MODES
from oneframe.library.manifest import SCHEMA_VERSION

MAX_INTERVAL = 3600.0
"""The longest gap between sampled frames, in seconds (an hour)."""


class IngestKey(NamedTuple):
    """What makes two adds of one source the same entry (a record's ``params()``)."""

    schema: int
    model: str
    interval: float
    captions: str
    dialogue: str
    ocr: str


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    if value <= 0:
        raise ValueError(f"must be more than 0 seconds, not {text}")
    if value > MAX_INTERVAL:
        raise ValueError(f"must be at most {MAX_INTERVAL:g} seconds (an hour), not {text}")
    return value


def _track(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"must be a whole number, 1 or more, not {text}") from None
    if value < 1:
        raise ValueError(f"must be 1 or more (1 is the file's first track), not {text}")
    return value


def _file(text: str) -> Path:
    path = Path(text).expanduser()
    if path.is_dir():
        raise ValueError(f"{text} is a folder; give a file")
    if not path.is_file():
        raise ValueError(f"{text} does not exist")
    return path


def _band(text: str) -> tuple[float, float]:
    try:
        top, bottom = (float(x) for x in text.split(":"))
    except ValueError:
        raise ValueError("write the band as TOP:BOTTOM, e.g. 0.667:1") from None
    if not 0 <= top < bottom <= 1:
        raise ValueError("need 0 <= TOP < BOTTOM <= 1, e.g. 0.667:1")
    return top, bottom


def _option(help: str, *, parse: Callable[[str], Any] = str, choices: tuple[str, ...] = (),
            metavar: str | None = None, each: bool = False, flag: bool = False,
            shown: str | None = None) -> Any:
    """A field's command-line face: its help, how its text is read, its choices; ``each``:
    only for one source at a time (not ``ingest-many``); ``flag``: a switch."""
    return {"help": help, "parse": parse, "choices": choices, "metavar": metavar,
            "each": each, "flag": flag, "shown": shown}


@dataclass(frozen=True)
class IngestOptions:
    """How a video is added (every field has the default a plain ``oneframe ingest`` uses)."""

    captions: Path | None = field(default=None, metadata=_option(
        "caption file to use instead of any found: WebVTT, SRT, SBV, ASS/SSA, TTML/DFXP, SAMI, "
        "MicroDVD or MPL2", parse=_file, each=True))
    lang: str = field(default="en", metadata=_option(
        "caption language to prefer (default: en)"))
    subtitle_track: int | None = field(default=None, metadata=_option(
        "read the file's own subtitle track N (1 = its first), even over a caption file beside "
        "it (default: the best track, where there are no captions)", parse=_track, metavar="N",
        each=True))
    interval: float = field(default=1.0, metadata=_option(
        "seconds between frames (default 1)", parse=_seconds))
    model: str | None = field(default=None, metadata=_option(
        "model id or folder (default: $ONEFRAME_MODEL or openai/clip-vit-base-patch32)"))
    cookies: Path | None = field(default=None, metadata=_option(
        "cookies.txt for sites that ask to sign in", parse=_file))
    speech: str = field(default="auto", metadata=_option(
        "transcribe the speech (default auto: where the video has no captions or subtitle "
        "track)", choices=SPEECH_MODES))
    ocr: str = field(default="auto", metadata=_option(
        "read burned-in subtitles (default auto: where a few frames show them)",
        choices=OCR_MODES))
    ocr_band: tuple[float, float] = field(default=DEFAULT_BAND, metadata=_option(
        "where subtitles sit, top:bottom as fractions of the height (default 0.667:1, the "
        "bottom third)", parse=_band, shown="0.667:1"))
    replace: bool | str = field(default=False, metadata=_option(
        "replace the library's entry of this video if it was added with other choices "
        "(default: add a new entry beside it, and say so)", flag=True, each=True))
    source_label: str | None = None
    """The name shown for the source (an upload's own file name, not its temporary copy)."""

    def __post_init__(self) -> None:
        if self.ocr not in OCR_MODES:
            raise OneframeError(f"ocr must be one of {', '.join(OCR_MODES)}, not {self.ocr!r}.")
        if self.speech not in SPEECH_MODES:
            raise OneframeError(f"speech must be one of {', '.join(SPEECH_MODES)}, not "
                                f"{self.speech!r}.")
        checks: list[tuple[str, Callable[[str], Any], Any]] = [
            ("interval", _seconds, self.interval),
            # where burned-in text sits matters only where it is read: a band left odd while
            # OCR is off never stops an add
            ("ocr_band", _band, None if self.ocr == "off" else ":".join(
                str(x) for x in self.ocr_band)),
            ("subtitle_track", _track, self.subtitle_track)]
        for name, parse, value in checks:
            if value is not None:
                try:
                    parse(str(value))
                except ValueError as exc:
                    raise OneframeError(f"{name.replace('_', ' ')} {exc}.") from None
        if not self.lang or not self.lang.strip() or len(self.lang) > 35:
            raise OneframeError(f"lang must be a language code such as en or pt-BR, not "
                                f"{self.lang[:40]!r}.")
        for name in ("captions", "cookies"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value).expanduser())

    def replaced(self, **changes: Any) -> IngestOptions:
        """These options with ``changes``."""
        return dataclasses.replace(self, **changes)

    def key(self, caption_data: bytes | None = None, sidecar: bytes | None = None) -> IngestKey:
        """The duplicate key of an add with these options: a caption file's content hash
        (``caption_data``, the file given; else ``sidecar``, one found beside the video), else
        the language asked (and the subtitle track, if one was); the speech setting where it
        isn't ``auto``."""
        from oneframe.encoders.dual import resolve_model  # not for --help: it loads OpenCV
        from oneframe.encoders.sentences import resolve_dialog_model

        data = caption_data if caption_data is not None else sidecar
        heard = "" if self.speech == "auto" else f"|speech:{self.speech}"
        captions = ("file:" + hashlib.sha256(data).hexdigest()[:16] if data is not None else
                    f"lang:{self.lang}" + (f"|track:{self.subtitle_track}"
                                           if self.subtitle_track is not None else "")) + heard
        ocr = (f"{self.ocr}:{self.ocr_band[0]:.3f}-{self.ocr_band[1]:.3f}" if self.ocr != "off"
               else "off")
        return IngestKey(SCHEMA_VERSION, resolve_model(self.model), round(self.interval, 3),
                         captions, resolve_dialog_model(), ocr)

    @staticmethod
    def cli_fields(many: bool = False) -> list[dataclasses.Field[Any]]:
        """The fields the command line offers (``many``: those of ``ingest-many``)."""
        return [f for f in dataclasses.fields(IngestOptions)
                if f.metadata and not (many and f.metadata["each"])]


def read_caption_file(path: Path | None) -> bytes | None:
    """A caption file's bytes, read once (its hash keys the add, its text is parsed); a
    CaptionError for one too large or unreadable."""
    if path is None:
        return None
    from oneframe.core.errors import CaptionError, SourceError

    if not path.is_file():
        raise SourceError(f"Caption file {path} does not exist. Check the path.")
    try:
        check_caption_size(path)
        return path.read_bytes()
    except OSError as exc:
        raise CaptionError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
