"""Where an export is written, so that no file is lost or lied about.

* the name is checked first: a known suffix, a folder that exists and takes files, not a
  folder itself, within the filesystem's length, and an existing file kept unless the caller
  asks to replace it (and then only a regular file);
* the export is written to a temporary file of its own (a unique name in the target's folder,
  carrying the writer's process id) and moved into place only when whole: without ``replace``
  by a hard link, which fails rather than overwrite a file that appeared meanwhile;
* temporary files left by exports that were killed (their process is gone) are swept.

Default names read as a person would write them: ``Counter 0m05s-0m08s.mp4``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

from oneframe.core.errors import OneframeError
from oneframe.core.printable import printable

NAME_BYTES = 255
"""The longest file name most filesystems take, in bytes of UTF-8."""
PART = re.compile(r"^\.oneframe-(\d+)-[0-9a-f]{12}\.part$")
"""A temporary export: its writer's process id."""
STALE_SECONDS = 24 * 3600
"""A temporary export this old is swept even if a process of its id lives (ids are reused)."""
UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
"""Characters no filesystem takes everywhere (Windows' reserved ones, controls, slashes)."""
RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def check(out: Path, suffixes: Sequence[str], what: str, replace: bool = False) -> None:
    """OneframeError unless ``out`` can take an export of ``what`` (one of ``suffixes``):
    nothing is written."""
    if len(out.name.encode()) > NAME_BYTES:
        raise OneframeError(f"The name {out.name[:40]}… is {len(out.name.encode())} bytes long; "
                            f"file names can be at most {NAME_BYTES}. Give a shorter one.")
    if out.is_dir():
        raise OneframeError(f"{out} is a folder: give a file name inside it.")
    suffix = out.suffix.lower()
    if suffix not in suffixes:
        raise OneframeError(f"{out.name}: a {what} can be written as "
                            f"{', '.join(suffixes)}; '{suffix or 'no suffix'}' is not one of "
                            "them. Nothing was written.")
    folder = out.parent
    if not folder.is_dir():
        raise OneframeError(f"Cannot write {out}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        raise OneframeError(f"Cannot write {out}: the folder {folder} is not writable.")
    try:
        mode = out.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OneframeError(f"Cannot write {out} ({exc.strerror or exc}).") from exc
    if stat.S_ISDIR(mode):
        raise OneframeError(f"{out} is a folder: give a file name inside it.")
    if not stat.S_ISREG(mode):
        raise OneframeError(f"{out} exists and is not a regular file (a pipe, a link or a "
                            "device): it is never replaced. Give another name.")
    if not replace:
        raise OneframeError(f"{out} already exists and was kept. Give another name, or ask to "
                            "replace it (--force).")


@contextlib.contextmanager
def writing(out: Path, replace: bool = False) -> Iterator[Path]:
    """A temporary file of this export's own beside ``out``, moved into place when the block
    ends without an error (removed otherwise). Leftovers of killed exports there are swept."""
    sweep(out.parent)
    partial = out.parent / f".oneframe-{os.getpid()}-{secrets.token_hex(6)}.part"
    try:
        yield partial
        _place(partial, out, replace)
    finally:
        partial.unlink(missing_ok=True)


def _place(partial: Path, out: Path, replace: bool) -> None:
    if replace:
        check(out, [out.suffix.lower()], "file", replace=True)  # still a regular file
        os.replace(partial, out)
        return
    try:
        os.link(partial, out)  # fails, never overwrites, if ``out`` appeared meanwhile
    except FileExistsError as exc:
        raise OneframeError(f"{out} appeared while it was being made (another export?) and "
                            "was kept; nothing was replaced. Give another name.") from exc
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise OneframeError(f"Cannot write {out} ({exc.strerror or exc}).") from exc
        check(out, [out.suffix.lower()], "file")  # no hard links here: checked, then moved
        os.replace(partial, out)


def sweep(folder: Path) -> int:
    """Remove the temporary files of exports in ``folder`` whose process is gone (or that are
    a day old); how many."""
    removed = 0
    try:
        names = [entry for entry in os.scandir(folder) if PART.match(entry.name)]
    except OSError:
        return 0
    for entry in names:
        match = PART.match(entry.name)
        assert match is not None
        try:
            stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            if stale or not _alive(int(match.group(1))):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clock(seconds: float) -> str:
    """``0m05s``, ``1h02m03s``, ``0m05.4s``, ``0m01.04s``: a time as a file name can carry it,
    to a hundredth (two frames of a moment are two names)."""
    whole, hundredths = divmod(round(seconds * 100), 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{secs:02d}" + (f".{hundredths:02d}".rstrip("0") if hundredths else "") + "s"
    return f"{hours}h{minutes:02d}m{tail}" if hours else f"{minutes}m{tail}"


def default_name(title: str, suffix: str, *marks: str) -> str:
    """A file name for an export of ``title``: its marks (a span, a time) always whole, the
    title cut at a word to fit, safe on every filesystem."""
    tail = (" " + " ".join(marks) if marks else "") + suffix
    room = NAME_BYTES - len(tail.encode())
    text = safe_title(title)
    if len(text.encode()) > room:
        cut = text.encode()[:room].decode(errors="ignore")
        text = cut.rsplit(" ", 1)[0] if " " in cut[len(cut) // 2:] else cut
    return (text.rstrip(" .") or "oneframe") + tail


def safe_title(title: str) -> str:
    """``title`` as part of a file name: one line, no character some filesystem refuses, not
    hidden, not a reserved device name."""
    text = unicodedata.normalize("NFC", printable(title))
    text = " ".join(UNSAFE.sub(" ", text).split()).strip(" .")
    if RESERVED.match(text):
        text = f"{text} video"
    return text or "oneframe"
