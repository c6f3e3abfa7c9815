"""Taking a found moment out of the app: a card's menu (a full-size still, the still with its
line, a clip, a link to the moment) and the results' bulk exports (markers for editors in each
format, a supercut made in the background with progress and Cancel).

A still or a clip is made when its button is pressed (a fraction of a second to a few seconds:
a deferred download); a supercut by a background job, one at a time for the whole server like
ingests. Nothing is made for a card nobody asks for.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from dashboard import ui, uploads
from dashboard.safe import plain
from oneframe.api import (
    CANCELLED,
    DONE,
    FAILED,
    MARKER_FORMATS,
    Hit,
    Job,
    JobQueue,
    Library,
    Moment,
    clip_file_name,
    default_name,
    marker_files,
    moments,
    save_clip,
    save_still,
    save_supercut,
    still_file_name,
    supercut_file_name,
)
from oneframe.core.errors import OneframeError
from oneframe.core.progress import Stage
from oneframe.core.timefmt import timestamp

LOG = logging.getLogger("oneframe")
UNMADE: dict[str, str] = {}
"""What went wrong making a card's still or clip (made when its button is pressed, away from
the page), by the button's key: the card says so at its next drawing."""
PAGES = ("search", "compare", "ingest", "library")
"""The app's pages by their paths (Home.py's navigation)."""
Found = list[tuple[dict[str, Any], str | None]]
"""Hits as ``oneframe search --json`` writes them, each with its query."""


@st.cache_resource
def export_jobs() -> JobQueue:
    """Supercuts being made, for every session (one at a time, like ingests)."""
    return JobQueue()


def link(video: str, seconds: float) -> str | None:
    """This app's own link to a moment: the Search page, playing ``video`` from ``seconds``."""
    page = st.context.url
    if not page:
        return None
    parts = urlsplit(page)
    path = parts.path.rstrip("/")
    if path.rsplit("/", 1)[-1] in PAGES:
        path = path.rsplit("/", 1)[0]
    query = urlencode({"play": video, "t": f"{max(seconds, 0.0):.1f}"})
    return f"{parts.scheme}://{parts.netloc}{path}/search?{query}"


def card_menu(hit: Hit, key: str) -> None:
    """A card's "Take it" menu: still, still with its line, clip, link."""
    with st.popover("Take it", icon=":material/ios_share:", width="stretch",
                    help="A full-size still, a clip, a link to this moment"):
        library = ui.library()
        try:
            [moment] = moments(library, [(hit.to_json(), None)])
        except OneframeError as exc:
            st.caption(plain(str(exc)))
            return
        own = f"{_session()}:{key}"  # another visitor's failure is never shown here
        for made in (f"{own}-still", f"{own}-still-line", f"{own}-clip"):
            if failed := UNMADE.pop(made, None):
                st.error(plain(failed), icon=":material/error:")
        st.download_button("Still (PNG, full size)", _made(f"{own}-still", _still(moment, False)),
                           still_file_name(moment), "image/png", key=f"{key}-still",
                           icon=":material/image:", width="stretch", on_click="ignore")
        if moment.line:
            st.download_button("Still with the line",
                               _made(f"{own}-still-line", _still(moment, True)),
                               still_file_name(moment, line=True), "image/png",
                               key=f"{key}-still-line", icon=":material/subtitles:",
                               width="stretch", on_click="ignore")
        span = f"{timestamp(moment.start)}–{timestamp(moment.end)}"
        st.download_button(f"Clip {span} (MP4)", _made(f"{own}-clip", _clip(library, moment)),
                           clip_file_name(moment), "video/mp4", key=f"{key}-clip",
                           icon=":material/movie:", width="stretch", on_click="rerun")
        if url := link(moment.video, float(hit.start or moment.time)):
            st.caption("A link to this moment in this app:")
            st.code(url, language=None)
        if moment.note:
            st.caption(plain(moment.note))


def _session() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _made(key: str, make: Callable[[], bytes]) -> Callable[[], bytes]:
    """``make``, run when its button is pressed; a failure is kept for the card to show (the
    browser itself only says the download failed)."""
    def run() -> bytes:
        try:
            return make()
        except OneframeError as exc:
            UNMADE[key] = str(exc)
            raise
        except Exception as exc:
            LOG.exception("oneframe: an export failed")
            UNMADE[key] = (f"It could not be made ({type(exc).__name__}: {str(exc)[:200]}). "
                           "Try again; if it fails again, the video may be damaged: add it "
                           "again.")
            raise
    return run


def _still(moment: Moment, line: bool) -> Callable[[], bytes]:
    def make() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            return save_still(moment, Path(folder) / "still.png", line=line).read_bytes()
    return make


def _clip(library: Library, moment: Moment) -> Callable[[], bytes]:
    def make() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            return save_clip(library, moment, Path(folder) / "clip.mp4").read_bytes()
    return make


def bulk(hits: Sequence[Hit], query: str | None, key: str) -> None:
    """The results' exports: markers in every format and a supercut."""
    pictured = [h for h in hits if h.pictured]
    if len(pictured) < len(hits):
        st.caption(f"{len(hits) - len(pictured)} of the moments are of videos whose picture is "
                   "not fetched yet: they are left out of the markers and the supercut.")
    if not pictured:
        return
    found: Found = [(h.to_json(), query) for h in pictured]
    markers_column, supercut_column = st.columns(2)
    with markers_column.popover("Markers for editors", icon=":material/view_timeline:",
                                width="stretch", help="The moments as a timeline for an editor, "
                                "chapters or subtitles"):
        marker_menu(found, key)
    with supercut_column:
        supercut(found, key)


def marker_menu(found: Found, key: str) -> None:
    """A download per marker format (per video, for chapters and SRT): a format the moments
    can't make says why instead."""
    menu = _marker_menu(str(ui.library().root), found)
    if isinstance(menu, str):
        st.error(menu, icon=":material/error:")
        return
    for fmt, label, why, files in menu:
        if why:
            st.caption(f"**{label}**: {why}")
        for n, (button, name, text, mime) in enumerate(files):
            st.download_button(button, text, name, mime, key=f"{key}-{fmt}-{n}",
                               width="stretch", on_click="ignore")


MarkerMenu = list[tuple[str, str, str, list[tuple[str, str, str, str]]]]
"""Per format: its name, its label, why it can't be made (or ""), and its files (the button's
label, the file's name, its text and type)."""


@st.cache_data(max_entries=32, show_spinner=False)
def _marker_menu(root: str, found: Found) -> MarkerMenu | str:
    """The marker files of these results in the library at ``root`` (or why none can be
    made), made once per set of results rather than at every rerun of the page."""
    try:
        cut = moments(ui.library(), found)
    except OneframeError as exc:
        return plain(str(exc))
    menu: MarkerMenu = []
    for fmt, kind in MARKER_FORMATS.items():
        try:
            files = marker_files(cut, fmt)
        except OneframeError as exc:
            menu.append((fmt, kind.label, plain(str(exc)), []))
            continue
        except Exception as exc:  # said on the page, never a silent button
            LOG.exception("oneframe: %s markers failed", fmt)
            menu.append((fmt, kind.label, f"could not be made ({type(exc).__name__}). Try "
                         "another format.", []))
            continue
        made = [(kind.label if len(files) == 1 else f"{kind.label}: {tell[:40]}",
                 default_name(moment.title if kind.split == "video" else
                              (moment.query or "oneframe moments"), kind.suffix,
                              *([tell] if kind.split == "rate" and len(files) > 1 else []),
                              "moments"), text, kind.mime)
                for moment, tell, text in files]
        menu.append((fmt, kind.label, "", made))
    return menu


def supercut(found: Found, key: str) -> None:
    """A supercut of these moments, made in the background: its progress, Cancel, and its
    file to download once made."""
    state = f"{key}-supercut"
    job = export_jobs().get(st.session_state.get(state, ("", None))[0])
    if job is None:
        if error := st.session_state.get(f"{state}-error"):
            st.error(plain(error), icon=":material/error:")
        pad = st.number_input("Seconds around each moment", 0.0, 10.0, 0.5, 0.5,
                              key=f"{key}-pad")
        st.button(f"Supercut of {len(found)} moments", key=f"{key}-make",
                  icon=":material/movie_edit:", width="stretch",
                  on_click=_start_supercut, args=(found, float(pad), state))
        return
    _supercut_job(state)


def _start_supercut(found: Found, pad: float, state: str) -> None:
    _forget(state)
    library = ui.library()
    try:
        cut = moments(library, found, pad=pad)
    except OneframeError as exc:
        st.session_state[f"{state}-error"] = str(exc)
        return
    folder, remove = uploads.new_folder()
    out = folder / supercut_file_name(cut)
    total = max(1, round(sum(m.end - m.start for m in cut)))

    def work(progress: Callable[[Stage, int, int], None]) -> Path:
        return save_supercut(library, cut, out,
                             lambda seconds: progress(Stage.EXPORT, round(seconds), total))

    job = export_jobs().submit(f"a supercut of {len(cut)} moments", work,
                               doing="Making the supercut", undone="no file was made")
    # the file outlives the job (it is downloaded later): the session removes it when done
    st.session_state[state] = (job.id, remove)


def _forget(state: str) -> None:
    """Let go of the session's supercut: its job, and its folder and file."""
    st.session_state.pop(f"{state}-error", None)
    job_id, remove = st.session_state.pop(state, ("", None))
    job = export_jobs().get(job_id)
    if job is not None and not job.finished:
        job.cancel()
    if remove is not None:
        remove()
    if job_id:
        export_jobs().forget(job_id)


@st.fragment(run_every=1)
def _supercut_job(state: str) -> None:
    """The supercut's progress and Cancel while it is made, its file once it is."""
    job: Job | None = export_jobs().get(st.session_state.get(state, ("", None))[0])
    if job is None:
        return
    if job.state == DONE:
        path: Path = job.record
        st.download_button("Download the supercut", path.read_bytes, path.name, "video/mp4",
                           key=f"{state}-download", icon=":material/download:",
                           width="stretch", on_click="ignore", type="primary")
    elif job.state in (FAILED, CANCELLED):
        st.error(plain(job.error or "The supercut was not made."), icon=":material/error:")
    else:
        done, total = next(((d, t) for s, d, t in job.snapshot() if s == Stage.EXPORT), (0, 1))
        st.progress(min(done / max(total, 1), 1.0),
                    text=f"Making the supercut: {timestamp(done)} of {timestamp(total)}")
        st.button("Cancel", key=f"{state}-cancel", on_click=job.cancel, icon=":material/close:")
        return
    if st.button("Done with it", key=f"{state}-forget", on_click=_forget, args=(state,)):
        st.rerun(scope="app")
