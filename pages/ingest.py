"""Add video: a link or an uploaded file (with optional captions) into the library."""

import re
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from dashboard import ui, uploads
from dashboard.progress import current_stage, progress_view
from dashboard.safe import plain
from oneframe.captions import CAPTION_SUFFIXES
from oneframe.errors import OneframeError
from oneframe.exposure import ServePolicy
from oneframe.ingest import ingest
from oneframe.jobs import CANCELLED, DONE, WAITING

ui.start_page()

VIDEO_TYPES = ["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ogv"]


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip() or "video"


def submit(source: str, label: str, folder: Path, remove: Callable[[], None],
           policy: ServePolicy, **options) -> None:
    """Queue the ingest; the job panel below follows it from here on, whatever page is open.

    It may read only the upload's own folder and the operator's media folders, and fetch only
    from the addresses the policy allows.
    """
    job = ui.jobs().submit(
        label, lambda progress: ingest(source, library=ui.library(), progress=progress,
                                       policy=policy.with_folder(folder), **options),
        cleanup=remove)
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
    # Not a `with` block: leaving one marks the box complete (a tick) while the job still runs.
    waiting = job.state == WAITING
    box = st.status(f"Adding {plain(job.label)}: "
                    f"{'waiting its turn' if waiting else current_stage(job.latest)}…",
                    state="running", expanded=True)
    if waiting:
        ahead = jobs.ahead_of(job)
        box.write(f"Waiting for {ahead} other video{'s' if ahead != 1 else ''} to be added "
                  "first.")
    if finished:
        box.markdown(" · ".join(f":material/check: {step}" for step in finished))
    for fill, text in under_way:
        box.progress(fill, text=text)
    box.caption("You can use the other pages meanwhile; this keeps going.")
    box.button("Cancel", key="cancel", on_click=job.cancel, icon=":material/close:")


st.title("Add a video")
st.caption("oneframe samples its frames, reads its captions and indexes both, so you can find "
           "any moment by describing what is seen or said.")
source_kind = st.radio("Source", ["YouTube or web link", "Video file"], horizontal=True,
                       label_visibility="collapsed", key="source_kind")
url, upload, caption_upload = "", None, None
if source_kind == "YouTube or web link":
    url = st.text_input("Video link", placeholder="https://www.youtube.com/watch?v=…",
                        key="url", help="A web address (https://…) of a YouTube video or of a "
                        "page on any site yt-dlp supports. Captions are fetched too: manual "
                        "ones first, else auto-generated.")
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
    st.warning(f"{plain(running.label)} is still being added. Wait for it, or cancel it below.")
elif clicked and not ready:
    st.error("Paste a video link first." if source_kind == "YouTube or web link"
             else "Choose a video file first.")
elif clicked:
    try:
        policy = ServePolicy.from_env()
        if source_kind == "YouTube or web link":
            policy.check_source(url)
    except OneframeError as exc:
        st.error(plain(exc))
    else:
        folder, remove_folder = uploads.new_folder()
        try:
            source, shown, captions, cookies = url.strip(), url.strip(), None, None
            if upload is not None and source_kind == "Video file":
                path = folder / safe_name(upload.name)
                path.write_bytes(upload.getbuffer())
                source, shown = str(path), upload.name
            if caption_upload is not None and source_kind == "Video file":
                (folder / "captions").mkdir()
                captions = folder / "captions" / safe_name(caption_upload.name)
                captions.write_bytes(caption_upload.getbuffer())
            if cookies_upload is not None:
                cookies = folder / "cookies.txt"
                cookies.write_bytes(cookies_upload.getbuffer())
        except OSError as exc:
            remove_folder()
            st.error(f"Could not keep the uploaded file for indexing ({plain(exc.strerror)}). "
                     "Try again; if it keeps failing, tell whoever runs this server that its "
                     "temporary folder is full.")
        else:
            submit(source, shown, folder, remove_folder, policy, captions=captions,
                   lang=lang.strip() or "en", interval=float(interval), cookies=cookies,
                   source_label=shown, ocr=ocr, ocr_band=(float(band[0]), float(band[1])))

if "job" in st.session_state:
    job_panel(st.session_state["job"])
outcome = st.session_state.get("outcome")
if outcome is not None:
    state, message, details = outcome
    if state == CANCELLED:
        st.info(plain(message), icon=":material/block:")
    else:
        st.error(plain(message))
        if details:
            st.caption("This looks like a bug in oneframe; the details are in the server's log.")
added = st.session_state.get("added")
record = next((r for r in ui.videos() if r.id == added), None) if added else None
if record is not None:
    st.success(f"“{plain(record.title)}” is in the library: "
               f"{ui.duration_label(record.duration)}, {record.frames} frames, "
               f"{record.cues + record.burned_in} lines of dialogue "
               f"({plain(ui.caption_label(record))}).")
    for note in record.notes:
        st.warning(plain(note), icon=":material/info:")
    st.page_link("pages/search.py", label="Search this video now", icon=":material/search:")
