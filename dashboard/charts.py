"""The dashboard's charts: scores over a video's time, with the hits marked (Vega-Lite specs).

Specs are written as plain dicts for ``st.vega_lite_chart``: building them through Altair and
its schema validation cost 60-110 ms on every rerun, most of a slider step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oneframe.api import Hit, Timeline

CHANNEL_COLOURS = {"picture": "#4e9af1", "dialogue": "#3ecf8e", "fused": "#f5a524"}
VARIANT_COLOURS = ["#f5a524", "#4e9af1", "#3ecf8e", "#e5484d"]
MAX_POINTS = 600
"""A long film's thousands of frames are drawn as this many steps, each the highest score in
its span (a peak is never lost): a chart sent on every rerun stays small."""
Spec = dict


def _peaks(times: np.ndarray, *series: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """``times`` and each series cut to at most ``MAX_POINTS`` spans, keeping each span's max."""
    if len(times) <= MAX_POINTS:
        return (np.asarray(times), *series)
    edges = np.linspace(0, len(times), MAX_POINTS + 1).astype(int)[:-1]
    return (np.asarray(times)[edges],
            *(None if s is None else np.maximum.reduceat(np.asarray(s), edges) for s in series))


AXIS = {"labelOverlap": "greedy", "tickCount": 8, "labelFlush": True}
"""The time axis: at most about eight labels, none drawn over another (a two-hour film's
minutes ran into each other)."""


def _axis(times: np.ndarray) -> tuple[float, str]:
    """Seconds for short videos, minutes for long ones."""
    return (60.0, "minutes") if len(times) and float(max(times)) > 180 else (1.0, "seconds")


def _rows(**columns: np.ndarray | list) -> list[dict]:
    names = list(columns)
    values = [np.round(np.asarray(c, dtype=float), 4).tolist() if not isinstance(c, list) else c
              for c in columns.values()]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _scale(domain: list[str], colours: list[str]) -> dict:
    return {"domain": domain, "range": colours}


def timeline_chart(timeline: Timeline, hits: Sequence[tuple[int, Hit]],
                   height: int = 180) -> Spec:
    """Picture, dialogue and fused scores over the video, with the hits marked by their card
    numbers (``hits``: ``(number, hit)`` of the hits in this video)."""
    times, picture, fused, dialog = _peaks(timeline.times, timeline.visual, timeline.fused,
                                           timeline.dialog)
    unit, title = _axis(times)
    channels = {"picture": picture, "fused": fused}
    if dialog is not None:
        channels["dialogue"] = dialog
    lines = [row for name, scores in channels.items()
             for row in _rows(at=times / unit, score=np.maximum(scores, -0.2),
                              channel=[name] * len(times))]
    marks = [{"at": round(h.time / unit, 4), "rank": str(rank)} for rank, h in hits]
    x = {"field": "at", "type": "quantitative", "title": title, "axis": AXIS}
    layers = [{
        "data": {"values": lines},
        "mark": {"type": "line", "strokeWidth": 1.2, "interpolate": "step-after"},
        "encoding": {
            "x": x,
            "y": {"field": "score", "type": "quantitative", "title": None,
                  "scale": {"domain": [-0.2, 1.05], "clamp": True}},
            "color": {"field": "channel", "type": "nominal",
                      "scale": _scale(list(CHANNEL_COLOURS), list(CHANNEL_COLOURS.values())),
                      "legend": {"orient": "top", "title": None}},
            "tooltip": [{"field": "at", "type": "quantitative", "format": ".2f", "title": title},
                        {"field": "channel", "type": "nominal"},
                        {"field": "score", "type": "quantitative", "format": ".2f"}]},
    }]
    if marks:
        layers += [
            {"data": {"values": marks}, "mark": {"type": "rule", "color": "#f5a524",
                                                 "strokeDash": [3, 3]},
             "encoding": {"x": {"field": "at", "type": "quantitative"}}},
            {"data": {"values": marks}, "mark": {"type": "text", "color": "#f5a524", "dy": -6,
                                                 "fontWeight": "bold"},
             "encoding": {"x": {"field": "at", "type": "quantitative"}, "y": {"value": 8},
                          "text": {"field": "rank", "type": "nominal"}}},
        ]
    return {"height": height, "layer": layers}


def compare_chart(timelines: dict[str, Timeline], hits: dict[str, Sequence[Hit]],
                  height: int = 220) -> Spec:
    """Fused scores of several query variants over one video, each with its hits marked."""
    labels = list(timelines)
    unit, title = _axis(next(iter(timelines.values())).times)
    lines = [row for label, t in timelines.items()
             for times, fused in [_peaks(t.times, t.fused)]
             for row in _rows(at=times / unit, score=np.maximum(fused, -0.2),
                              variant=[label] * len(times))]
    colour = {"field": "variant", "type": "nominal",
              "scale": _scale(labels, VARIANT_COLOURS[:len(labels)])}
    layers = [{
        "data": {"values": lines},
        "mark": {"type": "line", "strokeWidth": 1.2, "interpolate": "step-after"},
        "encoding": {
            "x": {"field": "at", "type": "quantitative", "title": title, "axis": AXIS},
            "y": {"field": "score", "type": "quantitative", "title": "fused score",
                  "scale": {"domain": [-0.2, 1.05], "clamp": True}},
            "color": {**colour, "legend": {"orient": "top", "title": None}}},
    }]
    marks = [{"at": round(h.time / unit, 4), "variant": label}
             for label, found in hits.items() for h in found]
    if marks:
        layers.append({"data": {"values": marks}, "mark": {"type": "rule", "strokeDash": [3, 3]},
                       "encoding": {"x": {"field": "at", "type": "quantitative"},
                                    "color": {**colour, "legend": None}}})
    return {"height": height, "layer": layers}
