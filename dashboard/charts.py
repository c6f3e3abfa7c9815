"""The dashboard's charts: scores over a video's time, with the hits marked (Altair)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from oneframe.results import Hit, Timeline

CHANNEL_COLOURS = {"picture": "#4e9af1", "dialogue": "#3ecf8e", "fused": "#f5a524"}
VARIANT_COLOURS = ["#f5a524", "#4e9af1", "#3ecf8e", "#e5484d"]
MAX_POINTS = 600
"""A long film's thousands of frames are drawn as this many steps, each the highest score in
its span (a peak is never lost): a chart sent on every rerun stays small."""


def _peaks(times: np.ndarray, *series: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """``times`` and each series cut to at most ``MAX_POINTS`` spans, keeping each span's max."""
    if len(times) <= MAX_POINTS:
        return (np.asarray(times), *series)
    edges = np.linspace(0, len(times), MAX_POINTS + 1).astype(int)[:-1]
    return (np.asarray(times)[edges],
            *(None if s is None else np.maximum.reduceat(np.asarray(s), edges) for s in series))


def _axis(times) -> tuple[float, str]:  # noqa: ANN001 - an array of seconds
    """Seconds for short videos, minutes for long ones."""
    return (60.0, "minutes") if len(times) and float(max(times)) > 180 else (1.0, "seconds")


def timeline_chart(timeline: Timeline, hits: Sequence[tuple[int, Hit]],
                   height: int = 180) -> alt.Chart:
    """Picture, dialogue and fused scores over the video, with the hits marked by their card
    numbers (``hits``: ``(number, hit)`` of the hits in this video)."""
    times, picture, fused, dialog = _peaks(timeline.times, timeline.visual, timeline.fused,
                                           timeline.dialog)
    frames = {"time": times, "picture": picture, "fused": fused}
    if dialog is not None:
        frames["dialogue"] = dialog
    data = pd.DataFrame(frames).melt("time", var_name="channel", value_name="score")
    unit, title = _axis(timeline.times)
    data["at"] = data["time"] / unit
    colours = alt.Scale(domain=list(CHANNEL_COLOURS), range=list(CHANNEL_COLOURS.values()))
    lines = alt.Chart(data).mark_line(strokeWidth=1.2, interpolate="step-after").encode(
        x=alt.X("at:Q", title=title),
        y=alt.Y("score:Q", title=None, scale=alt.Scale(domain=[-0.2, 1.05], clamp=True)),
        color=alt.Color("channel:N", scale=colours, legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("at:Q", format=".2f", title=title), "channel:N",
                 alt.Tooltip("score:Q", format=".2f")],
    )
    marks = pd.DataFrame({"at": [h.time / unit for _, h in hits],
                          "rank": [str(rank) for rank, _ in hits]})
    rules = alt.Chart(marks).mark_rule(color="#f5a524", strokeDash=[3, 3]).encode(x="at:Q")
    labels = alt.Chart(marks).mark_text(dy=-6, color="#f5a524", fontWeight="bold").encode(
        x="at:Q", y=alt.value(8), text="rank:N")
    return (lines + rules + labels).properties(height=height)


def compare_chart(timelines: dict[str, Timeline], hits: dict[str, Sequence[Hit]],
                  height: int = 220) -> alt.Chart:
    """Fused scores of several query variants over one video, each with its hits marked."""
    labels = list(timelines)
    unit, title = _axis(next(iter(timelines.values())).times)
    data = pd.concat([pd.DataFrame({"at": times / unit, "score": fused, "variant": label})
                      for label, t in timelines.items()
                      for times, fused in [_peaks(t.times, t.fused)]])
    colours = alt.Scale(domain=labels, range=VARIANT_COLOURS[:len(labels)])
    lines = alt.Chart(data).mark_line(strokeWidth=1.2, interpolate="step-after").encode(
        x=alt.X("at:Q", title=title),
        y=alt.Y("score:Q", title="fused score", scale=alt.Scale(domain=[-0.2, 1.05], clamp=True)),
        color=alt.Color("variant:N", scale=colours, legend=alt.Legend(orient="top", title=None)),
    )
    marks = pd.DataFrame([{"at": h.time / unit, "variant": label}
                          for label, found in hits.items() for h in found])
    if marks.empty:
        return lines.properties(height=height)
    rules = alt.Chart(marks).mark_rule(strokeDash=[3, 3]).encode(
        x="at:Q", color=alt.Color("variant:N", scale=colours, legend=None))
    return (lines + rules).properties(height=height)
