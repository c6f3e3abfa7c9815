"""Add video: a link or an uploaded file (with optional captions) into the library."""

import re

import streamlit as st

from dashboard import collections, ui, uploader, uploads
from dashboard.progress import current_stage, progress_view
from dashboard.safe import plain
from oneframe.api import (
    CANCELLED,
    CAPTION_SUFFIXES,
    DONE,
    PRESETS,
    WAITING,
    Collections,
    IngestOptions,
    Job,
    ServePolicy,
    choose_track,
    list_tracks,
    looks_like_list,
    outcome_message,
    resolve_model,
)
from oneframe.api import language_code as code
from oneframe.core import settings
from oneframe.core.errors import OneframeError, PlaylistLink, SourceError

ui.start_page()

VIDEO_TYPES = ["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ogv"]


OTHER = "other"
MAX_OUTCOMES = 3
def any_model_allowed() -> bool:
    """Whether visitors may name any hub model (each can be gigabytes to download)."""
    return settings.flag(settings.ALLOW_ANY_MODEL)


def check_model(model: str | None) -> None:
    """A model a visitor may pick: the server's, a preset, or (if allowed) a hub id, never a
    folder of the server's."""
    if model is None or model == resolve_model() or model in PRESETS:
        return
    if not any_model_allowed() or not re.fullmatch(r"[\w.-]+/[\w.-]+", model):
        raise SourceError("Choose one of the picture models offered, or a Hugging Face hub id "
                          "(organisation/name) where the server allows others.")


def outcome_of(job: Job) -> dict:
    """What the page shows once a job has ended (kept in the session, not the job)."""
    entries = job.failure.entries if isinstance(job.failure, PlaylistLink) else None
    return {"label": job.label, "state": job.state, "error": job.error,
            "details": None if job.bug else job.details, "bug": job.bug, "entries": entries,
            "more": bool(entries) and job.failure.more,
            "added": job.record.id if job.state == DONE else None,
            "message": outcome_message(job.record) if job.state == DONE else None,
            "existing": job.state == DONE and job.record.outcome == "existing"}


@st.fragment(run_every=1)
def job_panel() -> None:
    """The session's ingests, live; when one ends, the whole page reruns to show how."""
    jobs = ui.jobs()
    ended = False
    for job_id in list(st.session_state.get("jobs", [])):
        job = jobs.get(job_id)
        if job is None or job.finished:
            st.session_state["jobs"].remove(job_id)
            if job is not None:
                jobs.forget(job.id)
                if kept := uploads.KEPT.pop(job.id, None):  # its file, ready for a retry
                    if uploader.arrived("video_upload"):  # unless another is chosen already
                        uploader.drop(kept)
                    else:
                        uploader.forget("video_upload")
                        st.session_state["video_upload"] = kept
                outcomes = st.session_state.setdefault("outcomes", [])
                outcomes.append(outcome_of(job))
                del outcomes[:-MAX_OUTCOMES]  # the latest few, not every add of the session
                if job.state == DONE:
                    st.session_state["search_videos"] = [job.record.id]
            ended = True
    if ended:
        st.rerun()
    mine = st.session_state.get("jobs", [])
    for n, job_id in enumerate(mine):
        show_job(jobs.get(job_id), n == 0)
    others = [job for job in jobs.active() if job.id not in mine]
    if others:
        st.caption("Also being added, from other windows or visitors: anyone can cancel them.")
        for job in others:
            show_job(job, False)


def show_job(job: Job, first: bool) -> None:
    finished, under_way = progress_view(job.snapshot())
    # Not a `with` block: leaving one marks the box complete (a tick) while the job still runs.
    waiting = job.state == WAITING
    doing = "cancelling" if job.cancelling else "waiting its turn" if waiting else \
        current_stage(job.latest)
    box = st.status(f"Adding {plain(job.label)}: {doing}…", state="running", expanded=first)
    if waiting:
        ahead = [other for other in ui.jobs().active() if other is not job][
            :ui.jobs().ahead_of(job)]
        box.write(f"Waiting for {len(ahead)} other video{'s' if len(ahead) != 1 else ''} to be "
                  "added first: " + plain(", ".join(other.label for other in ahead)) + ".")
    if finished:
        box.markdown(" · ".join(f":material/check: {step}" for step in finished))
    for fill, text in under_way:
        box.progress(fill, text=text)
    if first:
        box.caption("You can use the other pages meanwhile; this keeps going.")
    box.button("Cancel", key=f"cancel-{job.id}", on_click=job.cancel, icon=":material/close:")


def show_outcome(n: int, outcome: dict) -> None:
    """How one ended job went: added (with its notes), failed (with details), cancelled."""
    if outcome["state"] == CANCELLED:
        st.info(plain(outcome["error"]), icon=":material/block:")
        return
    if outcome["added"] is not None:
        record = next((r for r in ui.videos() if r.id == outcome["added"]), None)
        if record is None:
            return
        if outcome.get("existing"):
            st.info(plain(outcome["message"]), icon=":material/library_books:")
        else:
            st.success(f"“{plain(record.title)}” is in the library: "
                       f"{ui.duration_label(record.duration)}, {record.frames} frames, "
                       f"{ui.count_label(record.cues + record.speech + record.burned_in, 'line')}"
                       f" of dialogue ({plain(ui.caption_label(record))}).")
            if outcome.get("message"):
                st.info(plain(outcome["message"]), icon=":material/content_copy:")
            for note in record.notes:
                st.warning(plain(note), icon=":material/info:")
        st.page_link("pages/search.py", label="Search this video now", icon=":material/search:")
        return
    st.error(plain(outcome["error"]))
    if outcome["bug"]:
        st.caption("This looks like a bug in oneframe; the details are in the server's log.")
    elif outcome["details"]:
        with st.expander("Details"):
            st.text(outcome["details"])
    if outcome["entries"]:
        entries = outcome["entries"]
        st.caption("The videos it holds" + (", the first of them" if outcome["more"] else "")
                   + ": " + plain(" · ".join(title or link for link, title in entries[:8]))
                   + (" …" if len(entries) > 8 else ""))
        if st.button("Read the whole list: its videos' dialogue first, pictures after",
                     key=f"all-{n}", icon=":material/playlist_add:"):
            st.session_state["outcomes"].remove(outcome)
            st.session_state["list_url"] = outcome["label"]
            st.rerun()


@st.fragment(run_every=1)
def collections_panel() -> None:
    """The collections being added (by this visitor or any other), live."""
    library = ui.library()
    for collection in Collections(library).all():
        if collection.id == st.session_state.get("collection") or \
                collections.RUNS.alive(collection.id):
            with st.container(border=True):
                collections.progress(collection, library, ServePolicy.from_env(),
                                     key=f"add-{collection.id}")


st.title("Add a video")
st.caption("oneframe samples its frames, reads its captions and indexes both, so you can find "
           "any moment by describing what is seen or said.")
source_kind = st.radio("Source", ["YouTube or web link", "Video file"], horizontal=True,
                       label_visibility="collapsed", key="source_kind")
with st.expander("Options"):
    left, middle = st.columns(2)
    interval = left.number_input("Seconds between frames", 0.25, 10.0, 1.0, 0.25, key="interval",
                                 help="Plus the first frame after every cut. Smaller finds "
                                 "moments more precisely but takes longer.")
    lang = middle.text_input("Caption language", "en", key="lang", max_chars=12,
                             help="Preferred caption language: its own captions, then its "
                             "original-language automatic ones; then English; then the video's "
                             "own language. Never a machine translation unless nothing else "
                             "exists in the language asked for.")
    if (code(lang) or "en") != "en":
        st.caption("Dialogue in any language is matched in its own words and stems, and by "
                   "meaning through a multilingual sentence model. To describe what is *seen* "
                   "in your language too, choose **SigLIP 2** as the picture model: CLIP "
                   "understands English queries only.")
    default_model = resolve_model()
    models = [default_model, *(m for m in PRESETS if m != default_model)]
    if any_model_allowed():
        models.append(OTHER)
    picture_model = st.selectbox(
        "Picture model", models, key="picture_model",
        format_func=lambda m: "Other: a Hugging Face hub id" if m == OTHER else (
            f"{m} — {PRESETS[m]}" if m in PRESETS else f"{ui.short(m)} (this server's default)"),
        help="What finds moments by what is seen. Videos indexed with different models are "
        "searched together, each by its own; `oneframe reindex` moves a video to another.")
    if picture_model == OTHER:
        picture_model = st.text_input("Hub id", placeholder="google/siglip2-base-patch16-384",
                                      key="other_model").strip()
    speech = st.radio(
        "Speech", ["auto", "on", "off"], horizontal=True, key="speech",
        help="Transcribe what is said (Whisper). Auto does it where the video has no captions "
        "or subtitle track of its own; on does it beside them.")
    ocr_col, band_col = st.columns(2)
    ocr = ocr_col.radio(
        "Burned-in subtitles", ["auto", "on", "off"], horizontal=True, key="ocr",
        help="Read subtitles that are part of the picture (OCR). Auto looks at a few frames "
        "first and only reads them where it finds some.")
    band = band_col.slider("Where they sit (share of the height, top to bottom)", 0.0, 1.0,
                           (0.67, 1.0), 0.01, key="ocr_band", disabled=ocr == "off")
    cookies_upload = None
    if source_kind == "YouTube or web link":  # a local file needs no signing in
        cookies_upload = st.file_uploader(
            "Cookies file (optional)", type=["txt"], key="cookies",
            help="A Netscape cookies.txt from a browser signed in to YouTube, for videos that "
            "need signing in (\"confirm you're not a bot\", age-restricted, members-only). "
            "Export it from a private window and close that window, so YouTube doesn't rotate "
            "it; use an account you can afford to lose.")
url, upload, caption_upload, subtitle_track = "", None, None, None
clicked = False
if source_kind == "YouTube or web link":
    # a form: Enter in the link box adds the video, as the button does
    with st.form("link", border=False, enter_to_submit=True):
        box, button = st.columns([6, 1], vertical_alignment="bottom")
        url = box.text_input("Video link", placeholder="https://www.youtube.com/watch?v=…",
                             key="url", help="A web address (https://…) of a YouTube video or "
                             "of a page on any site yt-dlp supports. Captions are fetched too: "
                             "manual ones first, else auto-generated.")
        clicked = button.form_submit_button("Add to library", type="primary", key="add",
                                            width="stretch")
else:
    upload = uploader.video_upload("Video file", VIDEO_TYPES, key="video_upload")
    caption_upload = st.file_uploader(  # a new box for each add: a file is one video's
        "Captions (optional)", type=[s.lstrip(".") for s in CAPTION_SUFFIXES],
        key=f"caption_file-{st.session_state.get('adds', 0)}", help="WebVTT, SRT, SBV, "
        "ASS/SSA, TTML, SAMI, MicroDVD or MPL2. Without them, the file's own subtitle tracks "
        "are read, else its speech.")
if upload is not None and source_kind == "Video file":
    tracks = {t.number: t for t in list_tracks(upload.path)}  # read from disk, not memory
    if len(tracks) > 1:
        best = choose_track(list(tracks.values()), lang.strip() or "en")
        # numbers, 0 for the automatic choice: a None option would show as an empty box
        pick = st.selectbox(
            "Subtitle track", [0, *tracks], key="subtitle_track",
            format_func=lambda n: f"Automatic: {best.describe()}" if n == 0
            else tracks[n].describe(),
            help="The file holds several subtitle tracks; the automatic choice is the caption "
            "language's full track (Options), else English, else any.")
        subtitle_track = pick or None
try:
    options = IngestOptions(lang=lang.strip() or "en", interval=float(interval), ocr=ocr,
                            ocr_band=(float(band[0]), float(band[1])), speech=speech,
                            model=picture_model or None)
except OneframeError as exc:
    st.error(plain(exc.for_visitor()))
    st.stop()
st.session_state["last_options"] = options

if source_kind == "Video file":
    clicked = st.button("Add to library", type="primary", key="add")
ready = bool(url.strip()) if source_kind == "YouTube or web link" else upload is not None
if clicked and not ready:
    st.error("Paste a video link first." if source_kind == "YouTube or web link"
             else "Choose a video file first.")
elif clicked:
    try:
        policy = ServePolicy.from_env()
        if source_kind == "YouTube or web link":
            policy.check_source(url)
        check_model(options.model)
    except OneframeError as exc:
        st.error(plain(exc.for_visitor()))
    else:
        source, shown, captions, cookies = url.strip(), url.strip(), None, None
        if source_kind == "YouTube or web link" and looks_like_list(source):
            st.session_state["list_url"] = source  # a channel, playlist or feed: choose
            st.rerun()
        taken = None
        if upload is not None and source_kind == "Video file":
            taken = uploader.hand_over("video_upload")  # its folder is the job's from now on
            assert taken is not None and taken.path is not None and taken.name is not None
            folder, remove_folder = taken.folder, taken.remove
            source, shown = str(taken.path), taken.name
        else:
            folder, remove_folder = uploads.new_folder()
        try:
            if caption_upload is not None and source_kind == "Video file":
                (folder / "captions").mkdir(exist_ok=True)
                captions = folder / "captions" / uploads.safe_name(caption_upload.name)
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
            st.session_state.pop("outcomes", None)
            st.session_state["adds"] = st.session_state.get("adds", 0) + 1
            uploads.submit(source, shown, folder, remove_folder, policy,
                           options.replaced(captions=captions, cookies=cookies,
                                            source_label=shown, subtitle_track=subtitle_track),
                           upload=taken if source_kind == "Video file" else None)

if list_url := st.session_state.get("list_url"):
    policy = ServePolicy.from_env()
    with st.container(border=True):
        listing = collections.read(list_url, policy)
        if listing is not None:
            collections.choose(listing, ui.library(), options, policy)
        if st.button("Close the list", key="list_close"):
            st.session_state.pop("list_url", None)
            st.session_state.pop("listing", None)
            st.rerun()
if st.session_state.get("collection") or collections.RUNS.runs:
    collections_panel()
if st.session_state.get("jobs") or ui.jobs().active():
    job_panel()
for n, outcome in enumerate(list(st.session_state.get("outcomes", []))):
    show_outcome(n, outcome)
