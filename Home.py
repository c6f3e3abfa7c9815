"""oneframe dashboard: the entry point. Navigation and the shared sidebar, nothing else."""

import streamlit as st

from pages import ui

st.set_page_config(page_title="oneframe", page_icon="🎞️", layout="wide")
navigation = st.navigation([
    st.Page("pages/library.py", title="Library", icon=":material/video_library:", default=True),
    st.Page("pages/ingest.py", title="Add video", icon=":material/add_circle:"),
    st.Page("pages/search.py", title="Search", icon=":material/search:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
])
st.session_state[ui.HOME_RAN] = True
ui.style()
ui.sidebar()
navigation.run()
