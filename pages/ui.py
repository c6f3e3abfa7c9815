"""Shared pieces of the dashboard: cached access to the core, and how results look.

Charts are in ``charts.py``, the ingest progress wording in ``ingest_progress.py``.

Pages read widgets, call these and ``oneframe``, and render; no scoring or parsing here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import streamlit as st

from oneframe.embed import Encoder, load_encoder, resolve_model
from oneframe.errors import OneframeError
from oneframe.export import cues_to_vtt, timestamp
from oneframe.jobs import JobQueue
from oneframe.library import Library, VideoRecord
from oneframe.results import Hit, moment_url
from oneframe.search import SearchIndex
from oneframe.sentences import resolve_dialog_model
from pages import media
from pages.charts import CHANNEL_COLOURS

CAPTION_KINDS = {"manual": "captions", "auto": "auto-captions", "file": "caption file",
                 "burned-in": "burned-in subtitles"}


HOME_RAN = "_home_ran"


KEPT_WIDGETS = frozenset([
    "source_kind", "url", "interval", "lang", "ocr", "ocr_band",  # Add video
    "videos", "query", "weight", "top_k", "min_gap",  # Search
    "compare_videos", "variants", "compare_k", "compare_gap",  # Compare
])
KEPT_PREFIXES = ("variant-", "weight-")  # Compare's per-variant query and weight


def start_page() -> None:
    """What every page does first: run inside Home.py, and keep the other pages' settings.

    Until some session has run Home.py, Streamlit treats ``pages/`` as an old-style page folder
    and runs a deep-linked page (a bookmarked ``/search`` after a restart) on its own: no sidebar,
    no layout, every file in ``pages/`` listed as a page. In a session where Home.py has not run
    yet, this switches Streamlit to ``st.navigation`` and reruns through Home.py.

    Streamlit also forgets a widget's value once a run doesn't draw it, so a query or an option
    was lost on a visit to another page. Writing those values back as plain session state keeps
    them (``global.disableWidgetStateDuplicationWarning`` hides the notice that this causes).
    """
    for key in list(st.session_state.keys()):
        if key in KEPT_WIDGETS or key.startswith(KEPT_PREFIXES):
            st.session_state[key] = st.session_state[key]
    if st.session_state.get(HOME_RAN):
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def library() -> Library:
    return Library()


@st.cache_resource
def jobs() -> JobQueue:
    """The process's ingest queue, shared by every session."""
    return JobQueue()


@st.cache_data(show_spinner=False)
def _videos(root: str, ingested: int) -> list[VideoRecord]:
    """``ingested`` (jobs finished so far) is only part of the cache key: a new video shows."""
    return Library(root).list()


def videos() -> list[VideoRecord]:
    """Every video in the library, newest first (cached until an ingest or removal)."""
    return _videos(str(library().root), jobs().completed)


@st.cache_resource(show_spinner="Loading the library…", max_entries=2)
def _index(root: str, state: tuple) -> SearchIndex:
    return SearchIndex(Library(root))


def search_index() -> SearchIndex:
    """The search index of the whole library, rebuilt only when the library changes."""
    state = tuple((r.id, r.created) for r in videos())
    index = _index(str(library().root), state)
    for message in index.skipped:
        st.warning(message, icon=":material/warning:")
    return index


def refresh() -> None:
    """Forget cached library reads after an ingest or a removal."""
    _videos.clear()
    _index.clear()


@st.cache_resource(show_spinner="Loading the model (first time only)…")
def encoder(model: str) -> Encoder:
    """The CLIP model, loaded once per process and shared by every session."""
    return load_encoder(model)


def ensure_models(records: Sequence[VideoRecord]) -> bool:
    """Load the models these videos were indexed with; show the core's message if one fails."""
    try:
        for model in {r.model for r in records}:
            encoder(model)
    except OneframeError as exc:
        st.error(str(exc))
        return False
    return True


def searchable(empty_message: str) -> SearchIndex:
    """The library's search index with its models loaded; otherwise say why and stop the page."""
    records = videos()
    if not records:
        st.info(empty_message)
        st.page_link("pages/ingest.py", label="Add a video", icon=":material/add_circle:")
        st.stop()
    if not ensure_models(records):
        st.stop()
    return search_index()


def sidebar() -> None:
    records = videos()
    with st.sidebar:
        st.caption("LIBRARY")
        st.markdown(f"**{len(records)} video{'s' if len(records) != 1 else ''}** · "
                    f"{sum(r.duration for r in records) / 60:.0f} min")
        st.caption(str(library().root), help="Set ONEFRAME_LIBRARY to use another folder.")
        if active := jobs().active():
            st.page_link("pages/ingest.py", icon=":material/hourglass_top:",
                         label=f"Adding {len(active)} video{'s' if len(active) != 1 else ''}…")
        st.caption("MODELS")
        picture, dialogue = resolve_model(), resolve_dialog_model()
        st.markdown(f"Picture: `{short(picture)}`  \nDialogue: `{short(dialogue)}`",
                    help=f"{picture}\n\n{dialogue}\n\nSet ONEFRAME_MODEL and "
                    "ONEFRAME_DIALOG_MODEL to a hub id or a local folder.")


def short(model: str) -> str:
    """A hub id as it is; a local folder by its last two parts."""
    parts = model.replace("\\", "/").split("/")
    return model if not model.startswith(("/", ".", "~")) else "/".join(parts[-2:])


def caption_label(record: VideoRecord) -> str:
    """Where the video's dialogue comes from, e.g. "captions · en + burned-in subtitles"."""
    labels = []
    for source in record.dialogue_sources:
        kind = CAPTION_KINDS.get(source, source)
        labels.append(f"{kind} · {record.caption_lang}"
                      if source == record.caption_kind and record.caption_lang else kind)
    return " + ".join(labels) or "no dialogue"


def lines_label(record: VideoRecord) -> str:
    parts = [f"{record.cues} caption lines" if record.cues else "",
             f"{record.burned_in} burned-in lines" if record.burned_in else ""]
    return " + ".join(p for p in parts if p)


def duration_label(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def highlighted(segments: Sequence[tuple[str, bool]]) -> str:
    """Caption HTML with matched words marked; every piece escaped (captions are untrusted)."""
    return "".join(f"<mark>{html.escape(piece)}</mark>" if hit else html.escape(piece)
                   for piece, hit in segments)


def score_bars(hit: Hit) -> str:
    def bar(label: str, value: float | None, colour: str) -> str:
        if value is None:
            return (f"<div class='of-bar'><span>{label}</span><em>no dialogue</em></div>")
        width = max(0.0, min(value, 1.0)) * 100
        return (f"<div class='of-bar'><span>{label}</span><div class='of-track'><div "
                f"style='width:{width:.0f}%;background:{colour}'></div></div>"
                f"<b>{value:.2f}</b></div>")

    return (bar("picture", hit.visual, CHANNEL_COLOURS["picture"])
            + bar("dialogue", hit.dialog, CHANNEL_COLOURS["dialogue"]))


STYLE = """<style>
.of-bar{display:flex;align-items:center;gap:.4rem;font-size:.78rem;line-height:1.3rem}
.of-bar span{width:4.3rem;opacity:.75}.of-bar em{opacity:.6}
.of-track{flex:1;height:.45rem;background:rgba(128,128,128,.25);border-radius:.3rem}
.of-track div{height:100%;border-radius:.3rem}
.of-caption{font-size:.88rem;margin:.3rem 0 .2rem 0}
.of-caption mark{background:#f5a52455;color:inherit;padding:0 .1rem;border-radius:.2rem}
.of-time{font-weight:700;font-size:1.05rem}
.of-badge{font-size:.72rem;padding:.05rem .4rem;border-radius:.6rem;background:#f5a52433;
  margin-left:.3rem}
</style>"""


def style() -> None:
    st.markdown(STYLE, unsafe_allow_html=True)


def hit_card(hit: Hit, rank: int, key: str, badge: str | None = None,
             actions: bool = True, image_width: int | str = "stretch") -> None:
    """One result: the frame, its time, the score split, the caption, and what to do next."""
    with st.container(border=True):
        if hit.frame.is_file():
            st.image(str(hit.frame), width=image_width)
        else:
            st.caption("(frame image missing from the library folder)")
        extra = f"<span class='of-badge'>{html.escape(badge)}</span>" if badge else ""
        st.markdown(
            f"<span class='of-time'>#{rank} · {timestamp(hit.time)}</span> "
            f"<span style='opacity:.7'>score {hit.score:.2f}</span>{extra}<br>"
            f"<span style='font-size:.8rem;opacity:.7'>{html.escape(hit.title)}</span>",
            unsafe_allow_html=True)
        st.markdown(score_bars(hit), unsafe_allow_html=True)
        if hit.source and hit.dialog:
            st.caption(f"dialogue from {CAPTION_KINDS.get(hit.source, hit.source)}")
        if hit.text:
            st.markdown(f"<div class='of-caption'>“{highlighted(hit.segments)}”</div>",
                        unsafe_allow_html=True)
        if not actions:
            return
        left, right = st.columns(2)
        if left.button("Play", key=f"{key}-play", width="stretch", icon=":material/play_arrow:",
                       help="Play the video from this moment"):
            st.session_state["playing"] = (hit.video, hit.time)
            st.rerun()
        if right.button("Similar", key=f"{key}-like", width="stretch",
                        icon=":material/image_search:", help="More like this: frames that look "
                        "like this one"):
            st.session_state["like"] = (hit.video, hit.frame_index)
            st.rerun()


def player(index: SearchIndex, video: str, seconds: float) -> None:
    """The video from ``seconds``, with its captions; a YouTube link for YouTube sources."""
    position = index.position.get(video)
    if position is None:
        return
    record = index.records[position]
    with st.container(border=True):
        st.markdown(f"**{html.escape(record.title)}** from {timestamp(seconds)}")
        path = record.video_path
        if path is not None and path.is_file():
            cues = index.cues[position]
            # Streamed by Home.py's route; a file path (read whole into memory) only where no
            # browser asked (tests).
            source = media.video_url(st.context.url, record.id) or str(path)
            st.video(source, start_time=int(seconds),
                     subtitles=cues_to_vtt(cues) if cues else None, autoplay=True)
        url = moment_url(record, seconds)
        if record.id.startswith("yt-") and url:
            st.link_button("Open on YouTube at this moment", url)
        if st.button("Close player", key="close-player"):
            st.session_state.pop("playing", None)
            st.rerun()


def video_label(index: SearchIndex, video: str) -> str:
    position = index.position.get(video)
    return index.records[position].title if position is not None else video
