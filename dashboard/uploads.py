"""Where the Add video page keeps an upload until its ingest ends: a temporary folder owned
by a lock, so the server's start-up sweep removes what a crashed server left, and nothing
that a running server (another one, sharing the machine) is still using."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from oneframe.atomic import claim, owner_gone

PREFIX = "oneframe-upload-"
OWNER = ".owner"


def new_folder() -> tuple[Path, Callable[[], None]]:
    """A fresh upload folder, and what removes it (and lets go of it) once its job ends."""
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    owner = claim(folder / OWNER)

    def remove() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if owner is not None:
            owner.close()

    return folder, remove


def sweep(parent: Path | None = None) -> list[Path]:
    """Remove upload folders whose owner is gone; the ones removed."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(PREFIX + "*"):
        with contextlib.suppress(OSError):
            if folder.is_dir() and owner_gone(folder / OWNER):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed
