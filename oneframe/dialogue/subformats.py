"""Caption formats beyond WebVTT, SRT and SBV, read with pysubs2: ASS/SSA, TTML (DFXP), SAMI,
MicroDVD and MPL2.

ASS override tags (``{\\i1}``) and ``\\N`` breaks become plain text; drawings (``{\\p1}...``)
are not dialogue and are dropped, as are comments and events styled as signs or karaoke (the
fansub convention for on-screen text and song effects). TTML in the 2006 namespaces that
many files still use (DFXP) is read as TTML 1.0.
"""

from __future__ import annotations

import re
from pathlib import Path

from oneframe.core.errors import CaptionError
from oneframe.dialogue.cues import RawCue

SUFFIXES = (".ass", ".ssa", ".ttml", ".dfxp", ".xml", ".smi", ".sami", ".sub", ".txt")
NAMES = {"ass": "Advanced SubStation (ASS)", "ssa": "SubStation Alpha (SSA)", "ttml": "TTML",
         "sami": "SAMI", "microdvd": "MicroDVD", "mpl2": "MPL2", "tmp": "TMPlayer"}
DEFAULT_FPS = 23.976
"""For a frame-numbered MicroDVD file that names no frame rate and no video tells it."""
_LEGACY_TTML = re.compile(r"http://www\.w3\.org/2006/(?:04|10)/ttaf1")
DRAWING = re.compile(r"\{[^{}]*\\p[1-9][^{}]*\}.*?(?:\{[^{}]*\\p0[^{}]*\}|$)", re.S)
_NOT_DIALOGUE_STYLE = re.compile(r"\b(?:signs?|karaoke|kara)\b", re.I)


def detect(text: str, name: str) -> str | None:
    """pysubs2's format name for ``text``, from its content and then ``name``; None if it is
    none of these."""
    import pysubs2

    head = text.lstrip(" \t\n\ufeff")[:4000]
    if head.startswith("[Script Info]") or "\n[Events]" in text:
        return "ass" if "[V4+ Styles]" in head or Path(name).suffix.lower() == ".ass" else "ssa"
    if re.search(r"<tt[\s>]", head):
        return "ttml"
    if re.search(r"<sami[\s>]", head, re.I):
        return "sami"
    try:
        found = pysubs2.formats.autodetect_format(head)
    except Exception:  # noqa: BLE001 - pysubs2 says "unknown" by raising
        found = None
    if found in ("microdvd", "mpl2", "tmp"):
        return found
    return None


def is_dialogue(style: str | None, effect: str | None) -> bool:
    """False for an event styled as a sign or karaoke, or scrolled across as a banner."""
    return not (_NOT_DIALOGUE_STYLE.search(style or "")
                or (effect or "").strip().lower().startswith(("banner", "scroll")))


def parse(text: str, fmt: str, name: str, fps: float | None = None) -> list[RawCue]:
    """The dialogue events of ``text`` in format ``fmt``, as raw cues; CaptionError if the file
    can't be read as that format or holds no dialogue."""
    import pysubs2

    if fmt == "ttml":
        text = _LEGACY_TTML.sub("http://www.w3.org/ns/ttml", text)
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt, fps=fps or DEFAULT_FPS)
    except Exception as exc:  # an untrusted file must never crash the caller
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CaptionError(f"{name}: not a valid {NAMES.get(fmt, fmt)} caption file: {detail}. "
                           "Check the file, or re-export it from your subtitle editor.") from exc
    cues = []
    for event in subs:
        # not pysubs2's event.is_drawing: its tag parser builds every prefix of the override
        # blocks (a line of 40,000 "{}" took 1.9 GB); DRAWING below is one linear pass
        if event.is_comment or event.type != "Dialogue":
            continue
        if not is_dialogue(event.style, event.effect):
            continue
        event.text = DRAWING.sub("", event.text)
        cues.append(RawCue(event.start / 1000, event.end / 1000, event.plaintext))
    if not cues:
        raise CaptionError(f"{name}: contains no dialogue. Choose a file with timed captions.")
    return cues
