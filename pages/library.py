"""Library: every ingested video, with what it holds; search or remove it."""

from pathlib import Path

import streamlit as st

from dashboard import collections, ui, uploads
from dashboard.safe import plain, web_link
from oneframe.api import (
    CAPTION_SUFFIXES,
    Collections,
    IngestOptions,
    MissingEntry,
    ServePolicy,
    ask_pictures,
    choose_track,
    cues_to_vtt,
    list_tracks,
    refresh,
    remove_collection,
)
from oneframe.api import remove as remove_video
from oneframe.core.errors import OneframeError

ui.start_page()

st.title("Library")
scan = ui.scan()
records = scan.records


def remove(vid: str, title: str) -> None:
    """The confirmed removal of one entry, whoever removed it first."""
    st.session_state.pop("confirm_remove", None)
    try:
        remove_video(ui.library(), vid)
    except MissingEntry:  # another session or the command line was first
        st.toast(f"{plain(title)} was already removed.")
    except OneframeError as exc:  # the folder can't be changed
        st.error(plain(exc.for_visitor()))
        return
    else:
        st.toast(f"Removed {plain(title)}")
    ui.refresh()
    st.rerun()


def confirm(vid: str, title: str, column) -> None:
    """Remove… then Remove / Keep."""
    if st.session_state.get("confirm_remove") == vid:
        column.warning("Remove it? Its index and frames are deleted.")
        yes, no = column.columns(2)
        if yes.button("Remove", key=f"yes-{vid}", type="primary"):
            remove(vid, title)
        if no.button("Keep", key=f"no-{vid}"):
            st.session_state.pop("confirm_remove", None)
            st.rerun()
    elif column.button("Remove…", key=f"remove-{vid}", width="stretch"):
        st.session_state["confirm_remove"] = vid
        st.rerun()


def track_choice(record) -> int | None:
    """The subtitle track to read, where the kept file holds several (as on Add video): the
    one it was read from, else the automatic choice."""
    path = record.video_path
    tracks = {t.number: t for t in list_tracks(path)} if path is not None and \
        path.is_file() else {}
    if len(tracks) < 2:
        return None
    best = choose_track(list(tracks.values()), record.caption_lang or "en")
    was = (record.track or {}).get("number")
    pick = st.selectbox(
        "Subtitle track", [0, *tracks], index=[0, *tracks].index(was) if was in tracks else 0,
        key=f"readd-track-{record.id}",
        format_func=lambda n: f"Automatic: {best.describe()}" if n == 0 and best
        else "Automatic" if n == 0 else tracks[n].describe(),
        help="The file holds several subtitle tracks; the automatic choice is the caption "
        "language's full track, else English, else any.")
    return int(pick) or None


def readd_form(record) -> None:
    """Re-add: the same video indexed again with the choices given here, replacing its entry
    (from its link for a web video, else from the file the library keeps)."""
    with st.form(f"readd-form-{record.id}", border=False):
        st.markdown(f"**Re-add “{plain(record.title)}”**, replacing this entry. Without a "
                    "caption file, it keeps the one it has.")
        captions = st.file_uploader("Captions (optional)", key=f"readd-captions-{record.id}",
                                    type=[s.lstrip(".") for s in CAPTION_SUFFIXES])
        left, middle, right = st.columns(3)
        lang = left.text_input("Caption language", record.caption_lang or "en", max_chars=12,
                               key=f"readd-lang-{record.id}")
        speech = middle.radio("Speech", ["auto", "on", "off"], horizontal=True,
                              key=f"readd-speech-{record.id}")
        ocr = right.radio("Burned-in subtitles", ["auto", "on", "off"], horizontal=True,
                          key=f"readd-ocr-{record.id}")
        interval = left.number_input("Seconds between frames", 0.25, 10.0,
                                     float(record.interval), 0.25,
                                     key=f"readd-interval-{record.id}")
        subtitle_track = track_choice(record)
        go, cancel = st.columns(2)
        submitted = go.form_submit_button("Re-add", type="primary")
        cancelled = cancel.form_submit_button("Cancel")
    if cancelled:
        st.session_state.pop("readd", None)
        st.rerun()
    if not submitted:
        return
    web = web_link(record.url) if not record.id.startswith("file-") else None
    if web is None and (record.video_path is None or not record.video_path.is_file()):
        st.error("The library no longer holds this video's file, so it can't be added again "
                 "from it: add it anew on the Add video page.")
        return
    try:
        options = IngestOptions(source_label=None if web else record.source,
                                lang=lang.strip() or "en", speech=speech, ocr=ocr,
                                interval=float(interval), replace=record.id,
                                model=record.model if record.has_pictures else None,
                                subtitle_track=subtitle_track)
    except OneframeError as exc:
        st.error(plain(exc.for_visitor()))
        return
    folder, remove_folder = uploads.new_folder()
    caption_file = None
    try:
        if captions is not None:
            (folder / "captions").mkdir()
            caption_file = folder / "captions" / uploads.safe_name(captions.name)
            caption_file.write_bytes(captions.getbuffer())
        elif web is None and record.caption_kind == "file":  # keep the caption file it had
            kept = [c for c in ui.library().load(record.id).cues if not c.source]
            caption_file = folder / "captions.vtt"
            caption_file.write_text(cues_to_vtt(kept), encoding="utf-8")
    except (OSError, OneframeError) as exc:
        remove_folder()
        st.error(f"Could not keep the caption file ({plain(getattr(exc, 'strerror', exc))}). "
                 "Try again.")
        return
    policy = ServePolicy.from_env()
    if web is None:
        policy = policy.with_folder(record.path)
    uploads.submit(web or str(record.video_path), record.title, folder, remove_folder, policy,
                   options.replaced(captions=caption_file))
    st.session_state.pop("readd", None)
    st.switch_page("pages/ingest.py")


library_collections = Collections(ui.library()).all()  # read once a run
if not records and not scan.damaged and not scan.newer and not library_collections:
    st.info("Your library is empty. Add a YouTube link or a video file, with its captions if "
            "you have them; then describe a moment on the Search page to find it.")
    st.page_link("pages/ingest.py", label="Add your first video", icon=":material/add_circle:")
    st.stop()

def fetch_pictures(targets: list[str]) -> None:
    """Put these videos' (or collections') pictures first, and start their collections."""
    library, policy = ui.library(), ServePolicy.from_env()
    ask_pictures(library, targets)
    for collection in Collections(library).all():
        if any(i.first for i in collection.items) or collection.id in targets:
            collections.RUNS.start(library, collection.id, policy)


def collection_box(collection, library) -> None:
    """A collection: its progress, Refresh, Fetch pictures, Search, Remove, and its videos."""
    with st.container(border=True):
        collections.progress(collection, library, ServePolicy.from_env(),
                             key=f"lib-{collection.id}")
        shown = web_link(collection.source) or Path(collection.source).name  # no server path
        st.caption(f"{plain(collection.kind.capitalize())} · read {plain(collection.read)} · "
                   f"{plain(shown)}")
        cols = st.columns(4)
        if cols[0].button("Search it", key=f"csearch-{collection.id}", type="primary",
                          width="stretch"):
            st.session_state["search_collection"] = collection.id
            st.switch_page("pages/search.py")
        if cols[1].button("Refresh", key=f"crefresh-{collection.id}", width="stretch",
                          help="Read the list again and add what is new", disabled=
                          collections.RUNS.alive(collection.id)):
            try:
                new = refresh(library, collection.id, policy=ServePolicy.from_env())
            except OneframeError as exc:
                st.error(plain(exc.for_visitor()))
            else:
                st.toast(f"{len(new)} new videos in {plain(collection.name)}")
                collections.RUNS.start(library, collection.id, ServePolicy.from_env())
        if not collection.pictures:
            cols[2].button("Fetch pictures", key=f"cpictures-{collection.id}", width="stretch",
                           help="Download and embed its videos' pictures, in the background",
                           on_click=fetch_pictures, args=([collection.id],))
        if st.session_state.get("confirm_collection") == collection.id:
            cols[3].warning("Remove it and its videos?")
            if cols[3].button("Remove", key=f"cyes-{collection.id}", type="primary"):
                st.session_state.pop("confirm_collection", None)
                collections.RUNS.cancel(collection.id, wait=30)
                try:
                    removed = remove_collection(library, collection.id)
                except OneframeError as exc:
                    st.error(plain(exc.for_visitor()))
                else:
                    st.toast(f"Removed {plain(collection.name)} and its {len(removed)} videos")
                    ui.refresh()
                    st.rerun()
        elif cols[3].button("Remove…", key=f"cremove-{collection.id}", width="stretch"):
            st.session_state["confirm_collection"] = collection.id
            st.rerun()
        with st.expander(f"Its {len(collection.items)} videos"):
            for item in collection.items[:300]:
                link = web_link(item.url)
                name = (f"[{plain(item.title)}]({link})" if link else plain(item.title))
                st.markdown(f"{name} · {plain(item.state)}"
                            + (f" · {plain(item.error_visitor or item.error)}" if item.error
                               else ""))


def collections_section() -> None:
    """Every collection; live while one is being added, the whole page redrawn as it ends."""
    found_now = Collections(ui.library()).all()  # read again: a live fragment's rerun
    alive = {c.id for c in found_now if collections.RUNS.alive(c.id)}
    for found in found_now:
        collection_box(found, ui.library())
    if st.session_state.get("runs_alive", set()) - alive:  # one ended: its videos changed
        st.session_state["runs_alive"] = alive
        st.rerun()
    st.session_state["runs_alive"] = alive


in_collections = {vid for c in library_collections for vid in c.owned()}
if library_collections:
    st.subheader("Collections")
    if any(collections.RUNS.alive(c.id) for c in library_collections):
        st.fragment(run_every=1)(collections_section)()
    else:
        collections_section()
    st.subheader("Videos")
records = [r for r in records if r.id not in in_collections]
st.caption(f"{len(records)} video{'s' if len(records) != 1 else ''}"
           + (" outside the collections" if library_collections else "")
           + ". Search them all at once on the Search page, or one by one from here.")
for record in records:
    with st.container(border=True):
        thumb, about, actions = st.columns([2, 5, 2], vertical_alignment="center")
        frame = record.frame_path(record.frames // 3)
        if not record.has_pictures:
            thumb.info("Picture not fetched yet", icon=":material/hide_image:")
            if any(record.id in c.entries() for c in library_collections):
                thumb.button("Fetch pictures", key=f"pictures-{record.id}",
                             on_click=fetch_pictures, args=([record.id],))
        elif frame.is_file():
            thumb.image(str(frame), width="stretch")
        link = web_link(record.url)
        source = (f"<a href='{plain(link)}' target='_blank' rel='noopener noreferrer'>"
                  f"{plain(link)}</a>" if link else plain(Path(record.source).name))
        about.markdown(
            f"<h3>{plain(record.title)}</h3>"
            f"{ui.duration_label(record.duration)} · "
            + (f"{record.frames} frames · " if record.has_pictures else "dialogue only · ")
            + "".join(f"{lines} · " for lines in [ui.lines_label(record)] if lines)
            + f"<b>{plain(ui.caption_label(record))}</b><br>"
            f"<span style='font-size:.8rem;opacity:.75'>{source} · id <code>{plain(record.id)}"
            f"</code>" + (f" · picture model {plain(ui.short(record.model))}"
                          if record.has_pictures else "") + "</span>",
            unsafe_allow_html=True)
        for note in record.notes:
            about.warning(plain(note), icon=":material/info:")
        if actions.button("Search", key=f"search-{record.id}", type="primary", width="stretch"):
            st.session_state["search_videos"] = [record.id]
            st.switch_page("pages/search.py")
        if actions.button("Re-add…", key=f"readd-{record.id}", width="stretch",
                          help="Index this video again with other choices (captions, speech, "
                          "burned-in subtitles, frames), replacing this entry"):
            st.session_state["readd"] = record.id
        confirm(record.id, record.title, actions)
        if st.session_state.get("readd") == record.id:
            readd_form(record)

for problem in scan.damaged:
    with st.container(border=True):
        about, actions = st.columns([7, 2], vertical_alignment="center")
        about.error(plain(problem), icon=":material/broken_image:")
        confirm(problem.vid, problem.vid, actions)
for entry in scan.newer:
    st.info(plain(entry), icon=":material/update:")
