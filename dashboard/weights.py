"""The Dialogue ⟷ Picture slider: it follows what the query holds until the user moves it;
and how the query was read (seen / said), which the user may edit."""

from __future__ import annotations

import zlib

import streamlit as st

from dashboard.safe import plain
from oneframe.api import DEFAULT_VISUAL_WEIGHT, Query

HELP = "0: only what was said counts. 1: only what is on screen. 0.5: an equal say."


def weight_slider(query: Query | None, key: str) -> float:
    """A slider whose value is the query's suggested weight (a quote leans to dialogue, a
    description with a quote halfway) until the user moves it; then the user's. How the query
    was read is shown under it (``split_editor`` edits it)."""
    touched = f"{key}-touched"
    if not st.session_state.get(touched):
        st.session_state[key] = query.weight(DEFAULT_VISUAL_WEIGHT) if query else \
            DEFAULT_VISUAL_WEIGHT
    weight = float(st.slider(
        "Dialogue ⟷ Picture", 0.0, 1.0, step=0.05, key=key, help=HELP,
        on_change=st.session_state.__setitem__, args=(touched, True)))
    if read_as := (query.describe() if query else ""):
        st.caption(f"Read as · {plain(read_as)}")
    return weight


def split_editor(query: Query | None, key: str, query_key: str) -> None:
    """What the picture and the dialogue are asked, as two boxes (drawn where the caller is:
    Search puts them in its Options, Compare in an expander of each variant); "Use this split"
    writes them back into the query box as ``seen: ... said: ...``."""
    if query is None or query.text is None:
        return
    stamp = zlib.crc32(query.text.encode())  # fresh boxes for each new query
    seen, said = query.editable()
    st.caption("What is **seen** goes to the picture model, what is **said** to the "
               "dialogue. Quotes require words in the line; `-word` leaves out moments that "
               "show or say it.")
    boxes = f"split-{key}-seen-{stamp}", f"split-{key}-said-{stamp}"
    seen_box, said_box = st.columns(2)
    seen_box.text_input("Seen", seen, key=boxes[0], placeholder="what is on screen")
    said_box.text_input("Said", said, key=boxes[1], placeholder="what someone says")
    st.button("Use this split", key=f"split-{key}", on_click=_write_back,
              args=(query_key, boxes, query.exclude))


def _write_back(query_key: str, boxes: tuple[str, str], exclude: tuple[str, ...]) -> None:
    """The edited boxes, read as they are when the button is pressed, into the query box."""
    seen, said = (str(st.session_state.get(box, "")) for box in boxes)
    if seen.strip() or said.strip():
        st.session_state[query_key] = Query.written(seen, said, exclude)
