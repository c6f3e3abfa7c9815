"""Results and captions as files: CSV and JSON of hits (with links), WebVTT of cues."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from oneframe.captions import Cue
from oneframe.results import Hit

CSV_FIELDS = ("rank", "video", "title", "time", "timestamp", "score", "visual", "dialog", "text",
              "url", "frame")


def timestamp(seconds: float) -> str:
    """``1:02:03.4`` or ``2:03.4``."""
    seconds = max(seconds, 0.0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 1:
        return f"{int(hours)}:{int(minutes):02d}:{secs:04.1f}"
    return f"{int(minutes)}:{secs:04.1f}"


def hits_to_json(hits: Sequence[Hit], query: str | None = None) -> str:
    return json.dumps({"query": query, "hits": [h.to_json() for h in hits]}, indent=1,
                      ensure_ascii=False)


def hits_to_csv(hits: Sequence[Hit]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for rank, hit in enumerate(hits, 1):
        row = hit.to_json()
        writer.writerow({"rank": rank, "timestamp": timestamp(hit.time),
                         **{k: row[k] for k in CSV_FIELDS if k in row}})
    return out.getvalue()


def cues_to_vtt(cues: Sequence[Cue]) -> str:
    """A WebVTT file of cleaned cues (for the player's subtitles)."""

    def stamp(t: float) -> str:
        hours, rest = divmod(max(t, 0.0), 3600)
        minutes, secs = divmod(rest, 60)
        return f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"

    blocks = [f"{stamp(c.start)} --> {stamp(max(c.end, c.start + 0.001))}\n{c.text}" for c in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"
