"""Library: every ingested video, with what it holds; search or remove it."""

import html

import streamlit as st

from oneframe.errors import OneframeError
from pages import ui

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
        source = record.url or record.source
        link = (f"<a href='{html.escape(record.url)}' target='_blank'>{html.escape(source)}</a>"
                if record.url else f"<code>{html.escape(source)}</code>")
        about.markdown(
            f"### {html.escape(record.title)}\n"
            f"{ui.duration_label(record.duration)} · {record.frames} frames · "
            + "".join(f"{lines} · " for lines in [ui.lines_label(record)] if lines)
            + f"**{ui.caption_label(record)}**<br>"
            f"<span style='font-size:.8rem;opacity:.75'>{link} · id <code>{record.id}</code>"
            "</span>", unsafe_allow_html=True)
        for note in record.notes:
            about.warning(note, icon=":material/info:")
        if actions.button("Search", key=f"search-{record.id}", type="primary", width="stretch"):
            st.session_state["search_videos"] = [record.id]
            st.switch_page("pages/search.py")
        if confirming == record.id:
            actions.warning("Remove it? Its index and frames are deleted.")
            yes, no = actions.columns(2)
            if yes.button("Remove", key=f"yes-{record.id}", type="primary"):
                try:
                    ui.library().remove(record.id)
                except OneframeError as exc:
                    st.error(str(exc))
                else:
                    st.session_state.pop("confirm_remove", None)
                    ui.refresh()
                    st.toast(f"Removed {record.title}")
                    st.rerun()
            if no.button("Keep", key=f"no-{record.id}"):
                st.session_state.pop("confirm_remove", None)
                st.rerun()
        elif actions.button("Remove…", key=f"remove-{record.id}", width="stretch"):
            st.session_state["confirm_remove"] = record.id
            st.rerun()
