"""Search: describe a moment; see the frames that match, why, and where they are."""

import streamlit as st

from dashboard import cards, charts, takeout, ui
from dashboard.safe import plain
from dashboard.weights import split_editor, weight_slider
from oneframe.api import (
    MAX_QUERY_CHARS,
    MIN_SCORE,
    Collections,
    Query,
    hits_to_csv,
    hits_to_json,
    read_image,
)
from oneframe.core.errors import OneframeError
from oneframe.core.timefmt import timestamp

ui.start_page()

st.title("Search")
index = ui.searchable("Nothing to search yet: add a video first.")
titles = {r.id: r.title for r in index.records}
groups = {c.id: c for c in Collections(ui.library()).all()}
if "search_collection" in st.session_state:  # arriving from a collection on the Library page
    st.session_state["collection_scope"] = st.session_state.pop("search_collection")
    st.session_state["videos"] = []
if st.session_state.get("collection_scope") not in groups:
    st.session_state.pop("collection_scope", None)
if "search_videos" in st.session_state:  # arriving from the library or a fresh ingest
    st.session_state["videos"] = [v for v in st.session_state.pop("search_videos") if v in titles]
st.session_state["videos"] = [v for v in st.session_state.get("videos", []) if v in titles]
if "play" in st.query_params:  # a link to a moment (a card's "Take it" menu gives them)
    cards.open_link(index, st.query_params.to_dict())
    st.query_params.clear()

ask, go = st.columns([6, 1], vertical_alignment="bottom")
query = ask.text_input("Describe the moment", key="query", max_chars=MAX_QUERY_CHARS,
                       placeholder="what is on screen (“a man in a tuxedo, close-up”) or what "
                       "was said (“she calls him an Italian stuntman”)")
go.button("Search", type="primary", icon=":material/search:", width="stretch", key="go",
          help="Or press Enter in the box")
try:  # parsed once, here: the slider, "Read as", the split and the search all take it
    words, unreadable = (Query.of(query) if query.strip() else None), None
except OneframeError as exc:
    words, unreadable = None, exc
weight = weight_slider(words, "weight")
chosen = st.session_state["videos"]
group = groups.get(st.session_state.get("collection_scope", ""))
scope = (f"searching {len(chosen)} of {ui.count_label(len(titles), 'video')}" if chosen
         else f"searching the collection {plain(group.name)}" if group
         else "searching the one video" if len(titles) == 1
         else f"searching all {len(titles)} videos")
with st.expander(f"Options · {scope}"):
    if groups:
        st.selectbox("Collection", list(groups), key="collection_scope", index=None,
                     format_func=lambda c: groups[c].name,
                     placeholder="The whole library (or the videos chosen below)")
        group = groups.get(st.session_state.get("collection_scope") or "")
    chosen = st.multiselect("Videos", list(titles), format_func=titles.get, key="videos",
                            placeholder="All videos in the library" if group is None else
                            "All the collection's videos")
    k_col, gap_col = st.columns(2)
    top_k = int(k_col.number_input("Results", 1, 48, 12, key="top_k"))
    min_gap = float(gap_col.number_input("Min. gap (s)", 0.0, 600.0, 2.0, 0.5, key="min_gap",
                                         help="Two results of one video are at least this far "
                                         "apart"))
    picture = st.file_uploader("Search with an image that looks like the moment", key="image",
                               type=["jpg", "jpeg", "png", "webp", "bmp"])
    split_editor(words, "weight", "query")
if not chosen and group is not None:
    chosen = [v for v in group.entries() if v in titles]
    if not chosen:
        st.info("That collection has no searchable video yet: its dialogue is still being "
                "fetched, or none of its videos had any.")
        st.stop()

like = st.session_state.get("like")
if like and like[0] not in index.position:  # the video was removed meanwhile
    st.session_state.pop("like", None)
    like = None
    cards.gone("frame")
image = None
if like:
    note, clear = st.columns([5, 1], vertical_alignment="center")
    note.info(f"Frames that look like {timestamp(like[1])} of "
              f"“{plain(ui.video_label(index, like[0]))}”")
    if clear.button("Back to text", key="clear-like"):
        st.session_state.pop("like", None)
        st.rerun()
elif picture is not None:
    try:
        image = read_image(picture.getvalue(), picture.name)
    except OneframeError as exc:
        st.error(plain(exc.for_visitor()))
        st.stop()
elif not query.strip():
    st.caption("Type what you remember and press Enter. Slide toward **Dialogue** for a line "
               "someone said, toward **Picture** for what was on screen; in between blends both.")
    cards.player(index)
    st.stop()

asked = (query, tuple(chosen), like, picture.file_id if picture is not None else None)
closest = st.session_state.get("closest_for") == (asked, weight)  # for this query and slider
try:
    if unreadable is not None and not (like or image is not None):
        raise unreadable
    by_picture = like or image is not None
    asked_now = Query.of(image=image, like=tuple(like) if like else None) if by_picture else words
    result = index.search(asked_now, videos=chosen or None, visual_weight=weight, top_k=top_k,
                          min_gap=min_gap, timelines=True,
                          **({"min_score": 0.0} if closest else {}))
except OneframeError as exc:
    st.error(plain(exc.for_visitor()))
    st.stop()
hits = result.hits
for warning in result.warnings:
    st.warning(plain(warning), icon=":material/warning:")
if result.dialog_absent and not result.by_image:
    st.info("None of the searched videos has dialogue, so the picture alone ranks them.")
if not hits:
    scope = (" or search all videos" if chosen and len(chosen) < len(index.ids) else "")
    st.warning(f"Nothing matched well: no moment scored {MIN_SCORE} or more. Try other "
               f"words{',' if scope else ' or'} move the slider toward what you remember "
               f"best{scope}.", icon=":material/search_off:")
    if st.button("Show the closest moments anyway", key="closest"):
        st.session_state["closest_for"] = (asked, weight)
        st.rerun()
    st.stop()
if closest:
    st.caption("The closest moments, though none matched well.")

cards.player(index)

for row in range(0, len(hits), 3):
    for offset, column in enumerate(st.columns(3)):
        if row + offset < len(hits):
            with column:
                cards.hit_card(hits[row + offset], row + offset + 1,
                               key=f"hit-{row + offset + 1}", by_image=result.by_image)

videos_with_hits = list(dict.fromkeys(h.video for h in hits))  # the best hit's video first
timeline_key = f"timeline-{hash(asked) & 0xFFFFFFFF:x}"  # a new search follows its best hit
if st.session_state.get(timeline_key) not in videos_with_hits:
    st.session_state.pop(timeline_key, None)
chart_col, export_col = st.columns([5, 1])
shown = videos_with_hits[0]
if len(videos_with_hits) > 1:
    shown = chart_col.selectbox("Timeline of", videos_with_hits, key=timeline_key,
                                format_func=lambda v: ui.video_label(index, v))
timeline = result.timelines.get(shown)
if timeline is not None and len(timeline.times) > 1:
    numbered = [(rank, h) for rank, h in enumerate(hits, 1) if h.video == shown]
    chart_col.vega_lite_chart(spec=charts.timeline_chart(timeline, numbered), width="stretch")
public = cards.shareable(hits)
export_col.download_button("CSV", hits_to_csv(public), "oneframe-results.csv", "text/csv",
                           key="csv", icon=":material/download:", width="stretch")
asked_for = (f"frames like {timestamp(like[1])} of “{ui.video_label(index, like[0])}”" if like
             else f"an image: {picture.name}" if image is not None else query)
export_col.download_button("JSON", hits_to_json(public, asked_for), "oneframe-results.json",
                           "application/json", key="json", icon=":material/download:",
                           width="stretch")
with st.expander("Take the results out: markers for an editor, a supercut",
                 icon=":material/ios_share:"):
    takeout.bulk(hits, asked_for, "search-bulk")
