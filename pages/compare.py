"""Compare: two to four query variants side by side, each with its own weight."""

import streamlit as st

from dashboard import cards, charts, takeout, ui
from dashboard.safe import plain
from dashboard.weights import split_editor, weight_slider
from oneframe.api import (
    MAX_QUERY_CHARS,
    MIN_SCORE,
    Collections,
    Query,
    compare_to_csv,
    compare_to_json,
)
from oneframe.core.errors import OneframeError
from oneframe.core.timefmt import timestamp

ui.start_page()
if st.session_state.pop("to_search", False):  # Similar on a card: frames like it, on Search
    st.switch_page("pages/search.py")

LETTERS = "ABCD"
EXAMPLES = ["what was said, as you remember it", "the same line, in other words",
            "what was on screen", "a mix of both"]

st.title("Compare")
st.caption("Try a few ways of describing one moment and see which finds it, and where they "
           "agree. Results found by more than one variant are marked.")
index = ui.searchable("Nothing to compare yet: add a video first.")
titles = {r.id: r.title for r in index.records}
st.session_state["compare_videos"] = [v for v in st.session_state.get("compare_videos", [])
                                      if v in titles]
groups = {c.id: c for c in Collections(ui.library()).all()}
if st.session_state.get("compare_collection") not in groups:
    st.session_state.pop("compare_collection", None)
top = st.columns([4, 1, 1, 1])
if groups:
    top[0].selectbox("Collection", list(groups), key="compare_collection", index=None,
                     format_func=lambda c: groups[c].name,
                     placeholder="The whole library (or the videos chosen below)")
chosen = top[0].multiselect("Videos", list(titles), format_func=titles.get,
                            key="compare_videos", placeholder="All videos in the library")
if not chosen and (group := groups.get(st.session_state.get("compare_collection") or "")):
    chosen = [v for v in group.entries() if v in titles]
    if not chosen:
        st.info("That collection has no searchable video yet.")
        st.stop()
count = int(top[1].number_input("Variants", 2, 4, 2, key="variants"))
top_k = int(top[2].number_input("Results", 1, 24, 6, key="compare_k"))
min_gap = float(top[3].number_input("Min. gap (s)", 0.0, 600.0, 2.0, 0.5, key="compare_gap"))

variants = []
for i, column in enumerate(st.columns(count)):
    with column:
        text = st.text_input(f"Variant {LETTERS[i]}", key=f"variant-{i}",
                             placeholder=EXAMPLES[i], max_chars=MAX_QUERY_CHARS)
        try:  # parsed once: its slider, "Read as", its split and its search take it
            words, unreadable = (Query.of(text) if text.strip() else None), None
        except OneframeError as exc:
            words, unreadable = None, exc
        weight = weight_slider(words, f"weight-{i}")
        if words is not None:
            with st.expander("Seen and said"):
                split_editor(words, f"weight-{i}", f"variant-{i}")
        variants.append((LETTERS[i], text.strip(), weight, words, unreadable))

results = {}
for letter, text, weight, words, unreadable in variants:
    if not text:
        continue
    try:
        if unreadable is not None:
            raise unreadable
        results[letter] = index.search(words, videos=chosen or None, visual_weight=weight,
                                       top_k=top_k, min_gap=min_gap, timelines=True)
    except OneframeError as exc:
        st.error(f"Variant {letter}: {plain(exc.for_visitor())}")
for warning in dict.fromkeys(w for r in results.values() for w in r.warnings):
    st.warning(plain(warning), icon=":material/warning:")
if len(results) < 1:
    st.caption("Type at least one variant.")
    st.stop()


def shared_with(letter: str, hit) -> list[str]:
    """Other variants with a result at the same moment: the same line, overlapping spans, or
    within the gap of each other."""
    tolerance = max(min_gap, 1.0)
    return [other for other, result in results.items() if other != letter and any(
        h.same_moment(hit, tolerance) for h in result.hits)]


cards.player(index, "compare_playing")
videos_with_hits = list(dict.fromkeys(h.video for r in results.values() for h in r.hits))
if videos_with_hits:
    shown = videos_with_hits[0]
    if len(videos_with_hits) > 1:
        shown = st.selectbox("Timeline of", videos_with_hits,
                             format_func=lambda v: ui.video_label(index, v), key="compare_tl")
    series = {k: r.timelines[shown] for k, r in results.items() if shown in r.timelines}
    if series and len(next(iter(series.values())).times) > 1:
        st.vega_lite_chart(spec=charts.compare_chart(
            series, {k: [h for h in r.hits if h.video == shown] for k, r in results.items()}),
            width="stretch")

asked_texts = {letter: text for letter, text, *_ in variants}
for i, column in enumerate(st.columns(count)):
    letter = LETTERS[i]
    with column:
        if letter not in results:
            continue
        found = results[letter].hits
        if not found:
            st.caption(f"Nothing matched well: no moment scored {MIN_SCORE} or more.")
            continue
        agreed = sum(1 for h in found if shared_with(letter, h))
        st.caption(f"{len(found)} result{'s' if len(found) != 1 else ''} · {agreed} shared "
                   f"with another variant · best at {timestamp(found[0].time)}")
        for rank, hit in enumerate(found, 1):
            others = shared_with(letter, hit)
            cards.hit_card(hit, rank, key=f"cmp-{letter}-{rank}", on_search_page=False,
                           playing="compare_playing",
                           badge=f"also in {', '.join(others)}" if others else None,
                           image_width=320)
        with st.expander("Markers, supercut", icon=":material/ios_share:"):
            takeout.bulk(found, asked_texts[letter], f"cmp-{letter}-bulk")

asked = {letter: (text, weight, cards.shareable(results[letter].hits))
         for letter, text, weight, *_ in variants if letter in results}
csv_col, json_col, _ = st.columns([1, 1, 6])
csv_col.download_button("CSV", compare_to_csv(asked), "oneframe-compare.csv", "text/csv",
                        key="compare-csv", icon=":material/download:", width="stretch")
json_col.download_button("JSON", compare_to_json(asked), "oneframe-compare.json",
                         "application/json", key="compare-json", icon=":material/download:",
                         width="stretch")
