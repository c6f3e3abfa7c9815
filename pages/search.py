"""Search: describe a moment; see the frames that match, why, and where they are."""

import streamlit as st

from oneframe.errors import OneframeError
from oneframe.export import hits_to_csv, hits_to_json, timestamp
from oneframe.search import read_image
from pages import charts, ui

ui.start_page()

st.title("Search")
index = ui.searchable("Nothing to search yet: add a video first.")
titles = {r.id: r.title for r in index.records}
if "search_videos" in st.session_state:  # arriving from the library or a fresh ingest
    st.session_state["videos"] = [v for v in st.session_state.pop("search_videos") if v in titles]
st.session_state["videos"] = [v for v in st.session_state.get("videos", []) if v in titles]

chosen = st.multiselect("Videos", list(titles), format_func=titles.get, key="videos",
                        placeholder="All videos in the library")
query = st.text_input("Describe the moment", key="query",
                      placeholder="what is on screen (“a man in a tuxedo, close-up”) or what "
                      "was said (“she calls him an Italian stuntman”)")
weight_col, k_col, gap_col = st.columns([4, 1, 1])
weight = weight_col.slider(
    "Dialogue ⟷ Picture", 0.0, 1.0, 0.5, 0.05, key="weight",
    help="0: only what was said counts. 1: only what is on screen. 0.5: an equal say.")
top_k = int(k_col.number_input("Results", 1, 48, 12, key="top_k"))
min_gap = float(gap_col.number_input("Min. gap (s)", 0.0, 600.0, 2.0, 0.5, key="min_gap",
                                     help="Two results of one video are at least this far apart"))
with st.expander("Search with an image"):
    picture = st.file_uploader("An image that looks like the moment", key="image",
                               type=["jpg", "jpeg", "png", "webp", "bmp"])

like = st.session_state.get("like")
image = None
if like:
    note, clear = st.columns([5, 1], vertical_alignment="center")
    if like[0] not in index.position:  # the video was removed meanwhile
        st.session_state.pop("like", None)
        st.rerun()
    note.info(f"Frames that look like {timestamp(index.frame_time(*like))} of "
              f"“{ui.video_label(index, like[0])}”")
    if clear.button("Back to text", key="clear-like"):
        st.session_state.pop("like", None)
        st.rerun()
elif picture is not None:
    try:
        image = read_image(picture.getvalue(), picture.name)
    except OneframeError as exc:
        st.error(str(exc))
        st.stop()
elif not query.strip():
    st.caption("Type what you remember. Slide toward **Dialogue** for a line someone said, "
               "toward **Picture** for what was on screen; in between blends both.")
    st.stop()

try:
    result = index.search(None if (like or image is not None) else query, videos=chosen or None,
                          visual_weight=weight, top_k=top_k, min_gap=min_gap, image=image,
                          like=tuple(like) if like else None, timelines=True)
except OneframeError as exc:
    st.error(str(exc))
    st.stop()
hits = result.hits
if result.dialog_absent and query.strip() and not like and image is None:
    st.info("None of the searched videos has dialogue, so the picture alone ranks them.")
if not hits:
    st.warning("No moments found. Try other words, or search all videos.")
    st.stop()

if st.session_state.get("playing"):
    ui.player(index, *st.session_state["playing"])

videos_with_hits = list(dict.fromkeys(h.video for h in hits))
chart_col, export_col = st.columns([5, 1])
shown = videos_with_hits[0]
if len(videos_with_hits) > 1:
    shown = chart_col.selectbox("Timeline of", videos_with_hits,
                                format_func=lambda v: ui.video_label(index, v), key="timeline")
timeline = result.timelines.get(shown)
if timeline is not None and len(timeline.times) > 1:
    chart_col.altair_chart(charts.timeline_chart(timeline, [h for h in hits if h.video == shown]),
                           width="stretch")
export_col.download_button("CSV", hits_to_csv(hits), "oneframe-results.csv", "text/csv",
                           key="csv", icon=":material/download:", width="stretch")
export_col.download_button("JSON", hits_to_json(hits, query or None), "oneframe-results.json",
                           "application/json", key="json", icon=":material/download:",
                           width="stretch")

for row in range(0, len(hits), 3):
    for offset, column in enumerate(st.columns(3)):
        if row + offset < len(hits):
            with column:
                ui.hit_card(hits[row + offset], row + offset + 1, key=f"hit-{row + offset + 1}")
