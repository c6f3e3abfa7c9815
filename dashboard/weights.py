"""The Dialogue ⟷ Picture slider: it follows what the query holds until the user moves it."""

from __future__ import annotations

import streamlit as st

from dashboard.safe import plain
from oneframe.search.index import DEFAULT_VISUAL_WEIGHT
from oneframe.search.query_parts import QueryParts

HELP = "0: only what was said counts. 1: only what is on screen. 0.5: an equal say."


def weight_slider(query: str, key: str) -> float:
    """A slider whose value is the query's suggested weight (a quote leans to dialogue, a
    description with a quote halfway) until the user moves it; then the user's. The split is
    shown under it, with how to change it."""
    touched = f"{key}-touched"
    parts = QueryParts.parse(query) if query.strip() else None
    if not st.session_state.get(touched):
        st.session_state[key] = parts.suggested_weight(DEFAULT_VISUAL_WEIGHT) if parts \
            else DEFAULT_VISUAL_WEIGHT
    weight = float(st.slider(
        "Dialogue ⟷ Picture", 0.0, 1.0, step=0.05, key=key, help=HELP,
        on_change=st.session_state.__setitem__, args=(touched, True)))
    if parts is not None and parts.describe():
        st.caption(
            f"Read as · {plain(parts.describe())} · write `seen:` or `said:` to split it "
            "otherwise")
    return weight
