"""oneframe dashboard: the entry point. Navigation and the shared sidebar, nothing else.

``streamlit run Home.py`` imports this file as a module to find ``app``, the server (its routes
and start-up work are in ``dashboard/server.py``); each session then runs it as ``__main__``,
which draws the pages.
"""

import streamlit as st

if __name__ == "__main__":  # a session's run: the pages
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
else:  # imported by the server
    from dashboard import server

    app = st.App(__file__, routes=server.ROUTES, lifespan=server.lifespan)
