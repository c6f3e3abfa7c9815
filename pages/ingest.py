"""Add video: a link or an uploaded file (with optional captions) into the library."""

import re
import tempfile
import time
from pathlib import Path

import streamlit as st

from oneframe.captions import CAPTION_SUFFIXES
from oneframe.errors import OneframeError
from oneframe.export import timestamp
from oneframe.ingest import ingest
from pages import ui

VIDEO_TYPES = ["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ogv"]
STAGES = {"probe": "Looking at the source", "download": "Downloading",
          "captions": "Reading captions", "frames": "Sampling frames",
          "embed": "Embedding frames", "dialog": "Indexing the dialogue", "save": "Saving",
          "subtitles": "Looking for burned-in subtitles", "ocr": "Reading burned-in subtitles"}


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip() or "video"


class StatusProgress:
    """Turns the core's ``(stage, done, total)`` calls into live bars inside ``st.status``."""

    def __init__(self, status) -> None:  # noqa: ANN001 - a StatusContainer
        self.status = status
        self.bars: dict = {}
        self.shown: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = bool(total) and done >= total
        if not finished and now - self.shown.get(stage, 0) < 0.25:
            return
        self.shown[stage] = now
        label = STAGES.get(stage, stage.capitalize())
        if stage not in self.bars:
            self.status.update(label=f"{label}…")
            self.bars[stage] = self.status.progress(0.0, text=label)
        if stage == "download" and total:
            text = f"{label}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"
        elif stage == "frames" and total:
            text = f"{label}: {timestamp(done)} of {timestamp(total)}"
        elif stage in ("embed", "dialog"):
            text = f"{label}: {done} done"
            total = total or done
        elif stage == "ocr":
            text = f"{label}: {done} lines so far"
        else:
            text = label
        self.bars[stage].progress(min(done / total, 1.0) if total else 0.0, text=text)


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

clicked = st.button("Add to library", type="primary", key="add")
ready = bool(url.strip()) if source_kind == "YouTube or web link" else upload is not None
if clicked and not ready:
    st.error("Paste a video link first." if source_kind == "YouTube or web link"
             else "Choose a video file first.")
elif clicked:
    with tempfile.TemporaryDirectory() as tmp, st.status("Adding the video…",
                                                         expanded=True) as status:
        folder = Path(tmp)
        try:
            source, label, captions, cookies = url.strip(), None, None, None
            if upload is not None and source_kind == "Video file":
                path = folder / safe_name(upload.name)
                path.write_bytes(upload.getbuffer())
                source, label = str(path), f"uploaded file {upload.name}"
            if caption_upload is not None and source_kind == "Video file":
                captions = folder / ("captions-" + safe_name(caption_upload.name))
                captions.write_bytes(caption_upload.getbuffer())
            if cookies_upload is not None:
                cookies = folder / "cookies.txt"
                cookies.write_bytes(cookies_upload.getbuffer())
            record = ingest(source, captions=captions, lang=lang.strip() or "en",
                            interval=float(interval), cookies=cookies,
                            progress=StatusProgress(status), source_label=label, ocr=ocr,
                            ocr_band=(float(band[0]), float(band[1])))
        except OneframeError as exc:
            status.update(label="Could not add the video", state="error", expanded=True)
            st.error(str(exc))
        else:
            status.update(label=f"Added “{record.title}”", state="complete", expanded=False)
            ui.refresh()
            st.session_state["search_videos"] = [record.id]
            st.session_state["added"] = record.id

added = st.session_state.get("added")
if added and added in {r.id for r in ui.videos()}:
    record = next(r for r in ui.videos() if r.id == added)
    st.success(f"“{record.title}” is in the library: {ui.duration_label(record.duration)}, "
               f"{record.frames} frames, {record.cues + record.burned_in} lines of dialogue "
               f"({ui.caption_label(record)}).")
    for note in record.notes:
        st.warning(note, icon=":material/info:")
    st.page_link("pages/search.py", label="Search this video now", icon=":material/search:")
