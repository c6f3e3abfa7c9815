"""Library: every ingested video, with what it holds; search or remove it."""

from pathlib import Path

import streamlit as st

from dashboard import ui
from dashboard.safe import plain, web_link
from oneframe.errors import OneframeError

ui.start_page()

st.title("Library")
records = ui.videos()
if not records:
    st.info("Your library is empty. Add a YouTube link or a video file, with its captions if "
            "you have them; then describe a moment on the Search page to find it.")
    st.page_link("pages/ingest.py", label="Add your first video", icon=":material/add_circle:")
    st.stop()

st.caption(f"{len(records)} video{'s' if len(records) != 1 else ''}. Search them all at once "
           "on the Search page, or one by one from here.")
confirming = st.session_state.get("confirm_remove")
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
            "</code></span>", unsafe_allow_html=True)
        for note in record.notes:
            about.warning(plain(note), icon=":material/info:")
        if actions.button("Search", key=f"search-{record.id}", type="primary", width="stretch"):
            st.session_state["search_videos"] = [record.id]
            st.switch_page("pages/search.py")
        if confirming == record.id:
            actions.warning("Remove it? Its index and frames are deleted.")
            yes, no = actions.columns(2)
            if yes.button("Remove", key=f"yes-{record.id}", type="primary"):
                st.session_state.pop("confirm_remove", None)
                try:
                    ui.library().remove(record.id)
                except OneframeError:  # removed meanwhile, by another session or the CLI
                    st.toast(f"{plain(record.title)} was already removed.")
                else:
                    st.toast(f"Removed {plain(record.title)}")
                ui.refresh()
                st.rerun()
            if no.button("Keep", key=f"no-{record.id}"):
                st.session_state.pop("confirm_remove", None)
                st.rerun()
        elif actions.button("Remove…", key=f"remove-{record.id}", width="stretch"):
            st.session_state["confirm_remove"] = record.id
            st.rerun()
