"""oneframe dashboard: the entry point. Navigation and the shared sidebar, nothing else.

``streamlit run Home.py`` first imports this file to find ``app``: Streamlit's server plus one
route that streams library videos from disk (``dashboard/media.py``). That import also starts
loading the models in the background, so the first search doesn't wait for them. Each
session's run then draws the pages.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import media, upload_route

if get_script_run_ctx(suppress_warning=True) is None:  # the server importing it for `app`
    from dashboard import warmup

    warmup.serve_pages_by_navigation()
    warmup.start()
    app = st.App(__file__, routes=[*media.ROUTES, *upload_route.ROUTES])
else:
    from dashboard import cards, ui

    st.set_page_config(page_title="oneframe", page_icon="🎞️", layout="wide")
    navigation = st.navigation([
        st.Page("pages/library.py", title="Library", icon=":material/video_library:",
                default=True),
        st.Page("pages/ingest.py", title="Add video", icon=":material/add_circle:"),
        st.Page("pages/search.py", title="Search", icon=":material/search:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    ])
    cards.style()
    ui.run_page(navigation)
