"""oneframe dashboard: the entry point. Navigation and the shared sidebar, nothing else.

``streamlit run Home.py`` first imports this file to find ``app``: Streamlit's server plus one
route that streams library videos from disk (``pages/media.py``). Each session's run then
draws the pages.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pages import media

if get_script_run_ctx(suppress_warning=True) is None:  # the server importing it for `app`
    app = st.App(__file__, routes=media.ROUTES)
else:
    from pages import ui

    st.set_page_config(page_title="oneframe", page_icon="🎞️", layout="wide")
    navigation = st.navigation([
        st.Page("pages/library.py", title="Library", icon=":material/video_library:",
                default=True),
        st.Page("pages/ingest.py", title="Add video", icon=":material/add_circle:"),
        st.Page("pages/search.py", title="Search", icon=":material/search:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    ])
    st.session_state[ui.HOME_RAN] = True
    ui.style()
    ui.sidebar()
    navigation.run()
