"""Add video: a link or an uploaded file (with optional captions) into the library."""

import re
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from oneframe.captions import CAPTION_SUFFIXES
from oneframe.ingest import ingest
from oneframe.jobs import CANCELLED, DONE, WAITING
from pages import ui
from pages.ingest_progress import current_stage, progress_view

ui.start_page()

VIDEO_TYPES = ["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ogv"]


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip() or "video"


def submit(source: str, label: str, folder: Path, **options) -> None:
    """Queue the ingest; the job panel below follows it from here on, whatever page is open."""
    job = ui.jobs().submit(
        label, lambda progress: ingest(source, library=ui.library(), progress=progress, **options),
        cleanup=lambda: shutil.rmtree(folder, ignore_errors=True))
    st.session_state["job"] = job.id
    for key in ("added", "outcome"):
        st.session_state.pop(key, None)


@st.fragment(run_every=2)
def job_panel(job_id: str) -> None:
    """The session's ingest, live; when it ends, the whole page reruns to show the outcome."""
    jobs = ui.jobs()
    job = jobs.get(job_id)
    if job is None or job.finished:
        st.session_state.pop("job", None)
        if job is not None:
            jobs.forget(job.id)
            if job.state == DONE:
                st.session_state["added"] = job.record.id
                st.session_state["search_videos"] = [job.record.id]
            else:
                st.session_state["outcome"] = (job.state, job.error, job.details)
        st.rerun()
    finished, under_way = progress_view(job.snapshot())
    with st.status(f"Adding {job.label}: {current_stage(job.latest)}…", expanded=True):
        if job.state == WAITING:
            ahead = jobs.ahead_of(job)
            st.write(f"Waiting for {ahead} other video{'s' if ahead != 1 else ''} to be added "
                     "first.")
        if finished:
            st.markdown(" · ".join(f":material/check: {step}" for step in finished))
        for fill, text in under_way:
            st.progress(fill, text=text)
        st.caption("You can use the other pages meanwhile; this keeps going.")
        st.button("Cancel", key="cancel", on_click=job.cancel, icon=":material/close:")


st.title("Add a video")
st.caption("oneframe samples its frames, reads its captions and indexes both, so you can find "
           "any moment by describing what is seen or said.")
source_kind = st.radio("Source", ["YouTube or web link", "Video file"], horizontal=True,
                       label_visibility="collapsed", key="source_kind")
url, upload, caption_upload = "", None, None
if source_kind == "YouTube or web link":
    url = st.text_input("Video link", placeholder="https://www.youtube.com/watch?v=…",
                        key="url", help="YouTube or any site yt-dlp supports. Captions are "
                        "fetched too: manual ones first, else auto-generated.")
else:
    upload = st.file_uploader("Video file", type=VIDEO_TYPES, key="video_file")
    caption_upload = st.file_uploader(
        "Captions (optional)", type=[s.lstrip(".") for s in CAPTION_SUFFIXES],
        key="caption_file", help="WebVTT, SRT or SBV. Without them only the picture is searched.")
with st.expander("Options"):
    left, middle = st.columns(2)
    interval = left.number_input("Seconds between frames", 0.25, 10.0, 1.0, 0.25, key="interval",
                                 help="Plus the first frame after every cut. Smaller finds "
                                 "moments more precisely but takes longer.")
    lang = middle.text_input("Caption language", "en", key="lang", max_chars=12,
                             help="Preferred caption language (then English, then any).")
    ocr_col, band_col = st.columns(2)
    ocr = ocr_col.radio(
        "Burned-in subtitles", ["auto", "on", "off"], horizontal=True, key="ocr",
        help="Read subtitles that are part of the picture (OCR). Auto looks at a few frames "
        "first and only reads them where it finds some.")
    band = band_col.slider("Where they sit (share of the height, top to bottom)", 0.0, 1.0,
                           (0.67, 1.0), 0.01, key="ocr_band", disabled=ocr == "off")
    cookies_upload = st.file_uploader(
        "Cookies file (optional)", type=["txt"], key="cookies",
        help="A Netscape cookies.txt from a signed-in browser, for videos that need signing in "
        "(\"confirm you're not a bot\", age-restricted).")

running = ui.jobs().get(st.session_state.get("job", ""))
clicked = st.button("Add to library", type="primary", key="add")
ready = bool(url.strip()) if source_kind == "YouTube or web link" else upload is not None
if clicked and running is not None:
    st.warning(f"{running.label} is still being added. Wait for it, or cancel it below.")
elif clicked and not ready:
    st.error("Paste a video link first." if source_kind == "YouTube or web link"
             else "Choose a video file first.")
elif clicked:
    folder = Path(tempfile.mkdtemp(prefix="oneframe-upload-"))
    try:
        source, shown, label, captions, cookies = url.strip(), url.strip(), None, None, None
        if upload is not None and source_kind == "Video file":
            path = folder / safe_name(upload.name)
            path.write_bytes(upload.getbuffer())
            source, shown, label = str(path), upload.name, f"uploaded file {upload.name}"
        if caption_upload is not None and source_kind == "Video file":
            captions = folder / ("captions-" + safe_name(caption_upload.name))
            captions.write_bytes(caption_upload.getbuffer())
        if cookies_upload is not None:
            cookies = folder / "cookies.txt"
            cookies.write_bytes(cookies_upload.getbuffer())
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        st.error(f"Could not keep the uploaded file for indexing ({exc}). Free some disk space "
                 "in the temporary folder and try again.")
    else:
        submit(source, shown, folder, captions=captions, lang=lang.strip() or "en",
               interval=float(interval), cookies=cookies,
               source_label=label, ocr=ocr, ocr_band=(float(band[0]), float(band[1])))

if "job" in st.session_state:
    job_panel(st.session_state["job"])
outcome = st.session_state.get("outcome")
if outcome is not None:
    state, message, details = outcome
    if state == CANCELLED:
        st.info(message, icon=":material/block:")
    else:
        st.error(message)
        if details:
            with st.expander("Details for a bug report"):
                st.code(details, language=None)
added = st.session_state.get("added")
record = next((r for r in ui.videos() if r.id == added), None) if added else None
if record is not None:
    st.success(f"“{record.title}” is in the library: {ui.duration_label(record.duration)}, "
               f"{record.frames} frames, {record.cues + record.burned_in} lines of dialogue "
               f"({ui.caption_label(record)}).")
    for note in record.notes:
        st.warning(note, icon=":material/info:")
    st.page_link("pages/search.py", label="Search this video now", icon=":material/search:")
