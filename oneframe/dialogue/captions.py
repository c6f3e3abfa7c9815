"""Caption files (WebVTT, SRT, SBV) -> cleaned cues, through webvtt-py.

Cleaning strips markup, speaker and positioning noise and sound tags (``[Music]``, ``♪``),
undoes YouTube's rolling auto-captions (see :mod:`oneframe.rolling`) and merges repeats.
Timings are read in milliseconds: webvtt-py's ``start_in_seconds`` is truncated.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

import webvtt

from oneframe.core import settings
from oneframe.core.errors import CaptionError
from oneframe.core.progress import checkpoint
from oneframe.core.settings import number
from oneframe.dialogue import subformats
from oneframe.dialogue.cues import Cue, RawCue, clean_text
from oneframe.dialogue.rolling import is_rolling, rolling_cues

__all__ = ["Cue", "RawCue", "clean_cues", "parse_captions", "read_captions"]

WEBVTT_SUFFIXES = (".vtt", ".srt", ".sbv")  # read by webvtt-py; the rest by pysubs2
CAPTION_SUFFIXES = WEBVTT_SUFFIXES + subformats.SUFFIXES
MAX_CAPTION_MB_ENV, MAX_CAPTION_MB = settings.MAX_CAPTION_MB, 10.0
MAX_CUES_ENV, MAX_CUES = settings.MAX_CUES, 20_000
"""A two-hour film has about 1,500 lines; a six-hour video at a line a second, 21,600."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Blanks within a line only ([ \t], never \s, which also matches line ends): with re.M, \s* at
# every line start ran over all the blank lines after it, quadratic in the file's length (a
# 40 KB file of blank lines held the server for a minute and a half).
_SRT_TIMING = re.compile(r"^[ \t]*(?:\d+:)?\d{1,2}:\d{1,2},\d+[ \t]*-->", re.M)
_SBV_TIMING = re.compile(r"^[ \t]*\d+:\d{1,2}:\d{1,2}\.\d+,\d+:\d{1,2}:\d{1,2}\.\d+[ \t]*$",
                         re.M)
_TIMING_LINE = re.compile(r"-->|^[ \t]*\d+:\d{1,2}:\d{1,2}\.\d+,\d+:", re.M)

def decode_caption_bytes(data: bytes, lang: str | None = None) -> str:
    """Text of a caption file: BOMs honoured, UTF-8 first, else the legacy encoding
    charset-normalizer finds most likely (among ``lang``'s usual ones where it is given)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="replace")
            break
    else:
        text = _decode_without_bom(data, lang)
    text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


LEGACY = {"ru": ["cp1251", "koi8_r", "cp866"], "uk": ["cp1251", "koi8_u"],
          "bg": ["cp1251"], "sr": ["cp1251", "cp1250"], "mk": ["cp1251"], "be": ["cp1251"],
          "pl": ["cp1250", "iso8859_2"], "cs": ["cp1250", "iso8859_2"],
          "sk": ["cp1250", "iso8859_2"], "hu": ["cp1250", "iso8859_2"],
          "hr": ["cp1250", "iso8859_2"], "sl": ["cp1250", "iso8859_2"],
          "ro": ["cp1250", "iso8859_16"], "el": ["cp1253", "iso8859_7"],
          "tr": ["cp1254", "iso8859_9"], "he": ["cp1255", "iso8859_8"],
          "ar": ["cp1256", "iso8859_6"], "fa": ["cp1256"], "lt": ["cp1257"], "lv": ["cp1257"],
          "et": ["cp1257"], "vi": ["cp1258"], "th": ["cp874", "tis_620"],
          "zh": ["gb18030", "big5"], "ja": ["cp932", "euc_jp", "iso2022_jp"],
          "ko": ["cp949", "euc_kr"]}
"""Per language, the encodings its subtitle files were written in before UTF-8."""
COMMON_LEGACY = ["cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256",
                 "cp1257", "cp874", "gb18030", "big5", "cp932", "euc_jp", "cp949", "koi8_r",
                 "iso8859_7"]
"""Where no language is known: the legacy encodings of most of the world's subtitles."""


def _decode_without_bom(data: bytes, lang: str | None = None) -> str:
    sample = data[:4000]
    if sample and sample.count(0) > len(sample) // 4:
        odd_nuls = sample[1::2].count(0)
        return data.decode("utf-16-le" if odd_nuls > len(sample) // 4 else "utf-16-be", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    from oneframe.dialogue.languages import code

    named = code(lang)
    candidates = LEGACY.get(named or "", COMMON_LEGACY if named in (None, "en") else [])
    candidates = candidates + ["cp1252"]
    found = list(from_bytes(data, cp_isolation=candidates))
    if found:  # ties (cp1250 and cp1252 read most French alike) go to the usual one
        best = min(found, key=lambda m: (round(m.chaos, 3), -round(m.coherence, 3),
                                         candidates.index(m.encoding)
                                         if m.encoding in candidates else len(candidates)))
        return data.decode(best.encoding, errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def detect_format(text: str, name: str) -> str:
    """``vtt``, ``srt``, ``sbv`` or one of pysubs2's (``ass``, ``ttml``...), from the content
    first and the file name second."""
    if not text.strip():
        raise CaptionError(f"{name}: the file is empty. Choose a file with timed captions.")
    if text.lstrip(" \t\n\ufeff").startswith("WEBVTT"):
        return "vtt"
    if _SRT_TIMING.search(text):
        return "srt"
    if _SBV_TIMING.search(text):
        return "sbv"
    if other := subformats.detect(text, name):
        return other
    suffix = Path(name).suffix.lower()
    if suffix in WEBVTT_SUFFIXES:
        return suffix[1:]
    if _TIMING_LINE.search(text):
        return "srt"
    raise CaptionError(
        f"{name}: not a caption file oneframe can read. Use WebVTT (.vtt), SubRip (.srt), "
        "YouTube SBV (.sbv), ASS/SSA, TTML (DFXP), SAMI, MicroDVD or MPL2 captions."
    )


_FORMAT_NAMES = {"vtt": "WebVTT", "srt": "SubRip (SRT)", "sbv": "SBV"}
_FORMAT_PROBLEMS = {
    "vtt": "it does not start with the WEBVTT header line",
    "srt": "it does not start with a cue number followed by a timing line",
    "sbv": "it does not start with a timing line",
}
_SHORT_TIMESTAMP = re.compile(r"(?<![\d:])(\d{1,2}:\d{1,2}[,.]\d{1,3})(?![\d:])")


def _normalise(text: str, fmt: str) -> str:
    """Forgive what real files get wrong: leading blank lines, SRT times without hours."""
    text = text.lstrip(" \t\n\ufeff")
    if fmt == "srt":
        text = re.sub(
            r"^[^\n]*-->[^\n]*$", lambda m: _SHORT_TIMESTAMP.sub(r"00:\1", m.group(0)), text,
            flags=re.M,
        )
    return text


def parse_raw_cues(text: str, fmt: str, name: str) -> list[RawCue]:
    """Parse caption text with webvtt-py; any parser failure becomes a CaptionError."""
    try:
        parsed = webvtt.from_buffer(io.StringIO(_normalise(text, fmt)), format=fmt)
        checkpoint()
        cues = [
            RawCue(c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000,
                   c.raw_text)
            for c in parsed.captions
        ]
    except Exception as exc:  # an untrusted file must never crash the caller
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if detail == "Invalid format":
            detail = _FORMAT_PROBLEMS[fmt]
        raise CaptionError(
            f"{name}: not a valid {_FORMAT_NAMES[fmt]} caption file: {detail}. "
            "Check the file, or re-export it from your subtitle editor."
        ) from exc
    if not cues:
        if _TIMING_LINE.search(text):
            raise CaptionError(
                f"{name}: has timing lines but no cue could be read from them (malformed "
                "timestamps or cue blocks). Check the file's timing lines."
            )
        raise CaptionError(f"{name}: contains no captions. Choose a file with timed captions.")
    return cues


def clean_cues(raw_cues: list[RawCue]) -> list[Cue]:
    """Cleaned, sorted cues; rolling auto-captions are undone, empty and repeated cues dropped."""
    if is_rolling(raw_cues):
        return rolling_cues(raw_cues)
    cues: list[Cue] = []
    for n, raw in enumerate(sorted(raw_cues, key=lambda c: (c.start, c.end))):
        if n % 2000 == 0:
            checkpoint()  # a cancel is heard in a file of hundreds of thousands of lines
        text = clean_text(raw.raw)
        if not text:
            continue
        end = max(raw.end, raw.start)
        prev = cues[-1] if cues else None
        if prev and prev.text == text and raw.start - prev.end <= 0.1:
            cues[-1] = Cue(prev.start, max(prev.end, end), text)
        else:
            cues.append(Cue(raw.start, end, text))
    return cues


def max_cues() -> int:
    return int(number(MAX_CUES_ENV, MAX_CUES, integer=True))


def too_many_cues(name: str, count: int) -> CaptionError:
    return CaptionError(
        f"{name}: holds about {count:,} captions, more than the {max_cues():,} oneframe reads "
        f"from one file (the operator's setting {MAX_CUES_ENV}). A film has about 1,500: this "
        "file may belong to something much longer, or be damaged.")


def _cue_estimate(text: str, fmt: str) -> int:
    """About how many cues ``text`` holds, counted before parsing it."""
    if fmt in ("vtt", "srt"):
        return text.count("-->")
    if fmt in ("ass", "ssa"):
        return text.count("\nDialogue:")
    return text.count("\n") // 2


def parse_captions(text: str, name: str = "captions", fps: float | None = None) -> list[Cue]:
    """Cleaned cues of caption text (format detected from content, then from ``name``);
    ``fps``, the video's frame rate, times a frame-numbered (MicroDVD) file. A file of more
    cues than ``$ONEFRAME_MAX_CUES`` is refused before it is parsed."""
    fmt = detect_format(text, name)
    if (estimate := _cue_estimate(text, fmt)) > max_cues():
        raise too_many_cues(name, estimate)
    if fmt in _FORMAT_NAMES:
        return clean_cues(parse_raw_cues(text, fmt, name))
    cues = clean_cues(subformats.parse(text, fmt, name, fps))
    if not cues:
        raise CaptionError(f"{name}: contains no dialogue. Choose a file with timed captions.")
    return cues


def max_caption_bytes() -> int:
    """The largest caption file read, in bytes (``$ONEFRAME_MAX_CAPTION_MB``)."""
    return int(number(MAX_CAPTION_MB_ENV, MAX_CAPTION_MB) * 1024 * 1024)


def check_caption_size(path: Path) -> None:
    """CaptionError if ``path`` is larger than ``$ONEFRAME_MAX_CAPTION_MB``."""
    limit = number(MAX_CAPTION_MB_ENV, MAX_CAPTION_MB)
    size = path.stat().st_size
    if size > limit * 1024 * 1024:
        raise CaptionError(
            f"{path.name}: {size / 1048576:,.1f} MB is too large for a caption file (the most "
            f"is {limit:g} MB, the operator's setting {MAX_CAPTION_MB_ENV}; a film's subtitles "
            "are about 0.1 MB). Check that this is the right file.")


def read_captions(path: str | Path, fps: float | None = None,
                  lang: str | None = None, data: bytes | None = None) -> list[Cue]:
    """Cleaned cues of a caption file (in ``lang``, a hint for its encoding; ``data``: its
    bytes, where they were read already); a CaptionError names the file and what is wrong."""
    path = Path(path)
    if data is None:
        try:
            check_caption_size(path)
            data = path.read_bytes()
        except OSError as exc:
            raise CaptionError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    return parse_captions(decode_caption_bytes(data, lang), path.name, fps)
