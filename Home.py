"""oneframe dashboard entry point (the pages arrive with the dashboard issue)."""

import streamlit as st

st.set_page_config(page_title="oneframe", page_icon="🎞️", layout="wide")
st.title("oneframe")
st.write("Find the exact frame of a video by describing what is seen or said.")
st.info("The dashboard is on its way. Meanwhile, ingest videos with "
        "`python -m oneframe ingest URL_OR_FILE`.")
