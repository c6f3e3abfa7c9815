"""Library: every ingested video, with what it holds; search or remove it."""

from pathlib import Path

import streamlit as st

from dashboard import ui
from dashboard.safe import plain, web_link
from oneframe.errors import OneframeError
from oneframe.library import MissingEntry

ui.start_page()

st.title("Library")
scan = ui.scan()
records = scan.records


def remove(vid: str, title: str) -> None:
    """The confirmed removal of one entry, whoever removed it first."""
    st.session_state.pop("confirm_remove", None)
    try:
        ui.library().remove(vid)
    except MissingEntry:  # another session or the command line was first
        st.toast(f"{plain(title)} was already removed.")
    except OneframeError as exc:  # the folder can't be changed
        st.error(plain(exc))
        return
    else:
        st.toast(f"Removed {plain(title)}")
    ui.refresh()
    st.rerun()


def confirm(vid: str, title: str, column) -> None:  # noqa: ANN001 - a Streamlit column
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


if not records and not scan.damaged and not scan.newer:
    st.info("Your library is empty. Add a YouTube link or a video file, with its captions if "
            "you have them; then describe a moment on the Search page to find it.")
    st.page_link("pages/ingest.py", label="Add your first video", icon=":material/add_circle:")
    st.stop()

st.caption(f"{len(records)} video{'s' if len(records) != 1 else ''}. Search them all at once "
           "on the Search page, or one by one from here.")
for record in records:
    with st.container(border=True):
        thumb, about, actions = st.columns([2, 5, 2], vertical_alignment="center")
        frame = record.frame_path(record.frames // 3)
        if frame.is_file():
            thumb.image(str(frame), width="stretch")
        link = web_link(record.url)
        source = (f"<a href='{plain(link)}' target='_blank' rel='noopener noreferrer'>"
                  f"{plain(link)}</a>" if link else plain(Path(record.source).name))
        about.markdown(
            f"<h3>{plain(record.title)}</h3>"
            f"{ui.duration_label(record.duration)} · {record.frames} frames · "
            + "".join(f"{lines} · " for lines in [ui.lines_label(record)] if lines)
            + f"<b>{plain(ui.caption_label(record))}</b><br>"
            f"<span style='font-size:.8rem;opacity:.75'>{source} · id <code>{plain(record.id)}"
            f"</code> · picture model {plain(ui.short(record.model))}</span>",
            unsafe_allow_html=True)
        for note in record.notes:
            about.warning(plain(note), icon=":material/info:")
        if actions.button("Search", key=f"search-{record.id}", type="primary", width="stretch"):
            st.session_state["search_videos"] = [record.id]
            st.switch_page("pages/search.py")
        confirm(record.id, record.title, actions)

for problem in scan.damaged:
    with st.container(border=True):
        about, actions = st.columns([7, 2], vertical_alignment="center")
        about.error(plain(problem), icon=":material/broken_image:")
        confirm(problem.vid, problem.vid, actions)
for entry in scan.newer:
    st.info(plain(entry), icon=":material/update:")
