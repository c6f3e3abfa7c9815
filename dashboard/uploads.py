"""Adding videos from the pages: where an upload waits until its ingest ends (a temporary
folder owned by a lock, so the server's start-up sweep removes what a crashed server left, and
nothing that a running server, another one sharing the machine, is still using), and the
ingest queued for it."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import ui, upload_route
from oneframe import api
from oneframe.api import IngestOptions, ServePolicy, claim, owner_gone

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


NAME_BYTES = 200
"""A kept file's name is at most this many bytes of UTF-8 (file systems allow 255: a
90-character CJK name, 262 bytes, was refused as "the temporary folder is full")."""


def safe_name(name: str) -> str:
    """A file name to keep an upload under: its own, without what a path or shell could read
    (the title shown is the name as given, kept apart), shortened to ``NAME_BYTES``."""
    name = re.sub(r"[^\w.\- ]+", "_", Path(name.replace("\\", "/")).name).strip() or "video"
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > 8:
        stem, dot, suffix = name, "", ""
    while len(f"{stem}{dot}{suffix}".encode()) > NAME_BYTES:
        stem = stem[:-1]
    return f"{stem}{dot}{suffix}"


KEPT: dict[str, str] = {}
"""Uploads kept for a retry, by the id of the job that was cancelled or failed: their token."""


def submit(source: str, label: str, folder: Path, remove: Callable[[], None],
           policy: ServePolicy, options: IngestOptions, upload: Any = None) -> None:
    """Queue one ingest; the Add video page follows it from here on, whatever page is open.

    It may read only its upload folder and the operator's media folders, and fetch only from
    the addresses the policy allows. An ``upload`` (the arrived video file) whose ingest is
    cancelled or fails is kept for a retry (``KEPT``); otherwise its folder goes with the job.
    """

    job: Any = None

    def cleanup() -> None:
        if upload is not None and job is not None and job.state in (api.CANCELLED, api.FAILED):
            KEPT[job.id] = upload_route.restore(upload)
        else:
            remove()

    job = ui.jobs().submit(
        label, lambda progress: api.add(source, options, library=ui.library(), progress=progress,
                                        policy=policy.with_folder(folder)),
        cleanup=cleanup)
    st.session_state.setdefault("jobs", []).append(job.id)
