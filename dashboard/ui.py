"""Shared pieces of the dashboard: each page's frame, cached access to the core, the sidebar.

How results look is in ``cards.py``, charts in ``charts.py``, the ingest progress wording in
``progress.py``. Pages read widgets, call these and ``oneframe``, and render; no scoring or
parsing here. Anything a user or a video's source wrote goes through ``safe.plain``.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Sequence

import streamlit as st

from dashboard.safe import plain
from oneframe.api import (
    Encoder,
    JobQueue,
    Library,
    LibraryScan,
    VideoRecord,
    load_encoder,
    load_failure,
    resolve_dialog_model,
    resolve_model,
    source_name,
)
from oneframe.api import Searcher as LibrarySearch
from oneframe.core.errors import OneframeError

LOG = logging.getLogger("oneframe")
UNEXPECTED = "Something went wrong on this page"
"""How an unexpected failure starts on a page (tests look for it too)."""

KEPT_WIDGETS = frozenset([
    "source_kind", "url", "interval", "lang", "ocr", "ocr_band", "speech",  # Add video
    "picture_model", "other_model",
    "videos", "query", "weight", "top_k", "min_gap", "collection_scope",  # Search
    "compare_videos", "variants", "compare_k", "compare_gap", "compare_collection",  # Compare
])
KEPT_PREFIXES = ("variant-", "weight-")  # Compare's per-variant query and weight


def run_page(navigation) -> None:
    """Draw the sidebar and run the chosen page; an unexpected failure is a message, never a
    traceback on screen (the traceback goes to the server's log)."""
    try:
        sidebar()
        navigation.run()
    except Exception as exc:  # noqa: BLE001 - st.stop/st.rerun are BaseExceptions, not caught
        unexpected(exc)


def unexpected(exc: BaseException) -> None:
    """Say that something failed, without internals; log the details for the operator."""
    LOG.error("oneframe page failed:\n%s", "".join(traceback.format_exception(exc)))
    st.error(f"{UNEXPECTED} ({plain(type(exc).__name__)}). Reload the page to go on; if it "
             "happens again, tell whoever runs this server (the details are in its log).",
             icon=":material/error:")


def start_page() -> None:
    """What every page does first: keep the other pages' settings.

    Streamlit forgets a widget's value once a run doesn't draw it, so a query or an option was
    lost on a visit to another page. Writing those values back as plain session state keeps
    them (``global.disableWidgetStateDuplicationWarning`` hides the notice that this causes).
    """
    for key in list(st.session_state.keys()):
        if key in KEPT_WIDGETS or key.startswith(KEPT_PREFIXES):
            st.session_state[key] = st.session_state[key]


def library() -> Library:
    return Library()


@st.cache_resource
def jobs() -> JobQueue:
    """The process's ingest queue, shared by every session."""
    return JobQueue()


@st.cache_data(show_spinner=False, max_entries=4)
def _scan(root: str, state: tuple) -> LibraryScan:
    """``state`` (the library's fingerprint on disk) is only the cache key."""
    return Library(root).scan()


def scan() -> LibraryScan:
    """The library as it is on disk now: usable videos (newest first), damaged entries, entries
    made by a newer oneframe.

    Cached on the library's fingerprint (its entries and their manifests' times), so a video
    added or removed by another session, a background ingest or the CLI shows on the next run.
    """
    lib = library()
    return _scan(str(lib.root), lib.state())


def videos() -> list[VideoRecord]:
    """Every usable video in the library, newest first."""
    return scan().records


@st.cache_resource(show_spinner="Loading the library…", max_entries=2)
def cached_index(root: str, state: tuple) -> LibrarySearch:
    """The search index of the library at ``root`` as it was in ``state`` (its cache key); the
    server builds it once at start (``warmup``), every session shares it."""
    return LibrarySearch(Library(root))


def search_index() -> LibrarySearch:
    """The search index of the whole library, rebuilt only when the library changes on disk."""
    lib = library()
    index = cached_index(str(lib.root), lib.state())
    for message in index.skipped:
        st.warning(plain(message), icon=":material/warning:")
    return index


def refresh() -> None:
    """Forget cached library reads (they are keyed on the disk state, so this only frees them)."""
    _scan.clear()
    cached_index.clear()


@st.cache_resource(show_spinner="Loading the model (first time only)…")
def encoder(model: str) -> Encoder:
    """The CLIP model, loaded once per process and shared by every session."""
    return load_encoder(model)


def ensure_models(records: Sequence[VideoRecord]) -> None:
    """Load the models these videos were indexed with, with a spinner the first time; one that
    fails only leaves its videos out of searches (which say so)."""
    for model in sorted({r.model for r in records if r.has_pictures}):
        with contextlib.suppress(OneframeError):
            encoder(model)


def searchable(empty_message: str) -> LibrarySearch:
    """The library's search index with its models loaded; otherwise say why and stop the page."""
    records = videos()
    if not records:
        st.info(empty_message)
        st.page_link("pages/ingest.py", label="Add a video", icon=":material/add_circle:")
        st.stop()
    ensure_models(records)
    return search_index()


def sidebar() -> None:
    records = videos()
    with st.sidebar:
        st.caption("LIBRARY")
        length = f" · {total_label(sum(r.duration for r in records))}" if records else ""
        st.markdown(f"**{count_label(len(records), 'video')}**{length}",
                    help="The operator sets where the library lives (ONEFRAME_LIBRARY).")
        if active := jobs().active():
            st.page_link("pages/ingest.py", icon=":material/hourglass_top:",
                         label=f"Adding {len(active)} video{'s' if len(active) != 1 else ''}…")
        st.caption("MODELS")
        picture, dialogue = resolve_model(), resolve_dialog_model()
        failed = {model: " (could not be loaded" + (": dialogue is matched by its words only)"
                                                    if model == dialogue else ")")
                  for model in (picture, dialogue) if load_failure(model)}
        st.markdown(f"Picture: {plain(short(picture))}{failed.get(picture, '')}  \n"
                    f"Dialogue: {plain(short(dialogue))}{failed.get(dialogue, '')}",
                    help="Set ONEFRAME_MODEL and ONEFRAME_DIALOG_MODEL to a hub id or a local "
                    "folder.")


def short(model: str) -> str:
    """A hub id as it is; a local folder by its last two parts (not the server's whole path)."""
    parts = model.replace("\\", "/").rstrip("/").split("/")
    return model if not model.startswith(("/", ".", "~")) else "/".join(parts[-2:])


def caption_label(record: VideoRecord) -> str:
    """Where the video's dialogue comes from, e.g. "captions · en + burned-in subtitles"."""
    labels = []
    for source in record.dialogue_sources:
        kind = source_name(record, source)
        labels.append(f"{kind} · {record.caption_lang}" if source == record.caption_kind
                      and record.caption_lang and source != "track" else kind)
    return " + ".join(labels) or "no dialogue"


def count_label(n: int, noun: str) -> str:
    """``1 line``, ``2 lines``, ``1,500 lines``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def lines_label(record: VideoRecord) -> str:
    parts = [count_label(record.cues, "caption line") if record.cues else "",
             count_label(record.speech, "spoken line") if record.speech else "",
             count_label(record.burned_in, "burned-in line") if record.burned_in else ""]
    return " + ".join(p for p in parts if p)


def duration_label(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def total_label(seconds: float) -> str:
    """A library's length: ``6 s``, ``12 min``, ``3 h 5 min``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(round(seconds / 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def video_label(index: LibrarySearch, video: str) -> str:
    """A video's title, for widgets that show options as plain text."""
    position = index.position.get(video)
    return index.records[position].title if position is not None else video
