"""Results and captions as files: CSV and JSON of hits (with links), WebVTT of cues."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from oneframe.core.timefmt import timestamp
from oneframe.dialogue.cues import Cue
from oneframe.search.results import Hit

CSV_FIELDS = ("rank", "video", "title", "time", "timestamp", "start", "score", "visual", "dialog",
              "text", "url", "frame")
COMPARE_FIELDS = ("variant", "query", "visual_weight", *CSV_FIELDS)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def hits_to_json(hits: Sequence[Hit], query: str | None = None) -> str:
    return json.dumps({"query": query, "hits": [h.to_json() for h in hits]}, indent=1,
                      ensure_ascii=False)


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs: a string starting with ``= + - @``, a tab
    or a carriage return gets a leading ``'`` (OWASP's rule against CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _rows(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    rows = []
    for rank, hit in enumerate(hits, 1):
        row = hit.to_json()
        rows.append({"rank": rank, "timestamp": timestamp(hit.time),
                     **{k: row[k] for k in CSV_FIELDS if k in row}})
    return rows


def _csv(fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return out.getvalue()


def hits_to_csv(hits: Sequence[Hit]) -> str:
    return _csv(CSV_FIELDS, _rows(hits))


def compare_to_csv(variants: dict[str, tuple[str, float, Sequence[Hit]]]) -> str:
    """Compare's results: ``{letter: (query, visual weight, hits)}``, one row per hit."""
    return _csv(COMPARE_FIELDS, [{"variant": letter, "query": query, "visual_weight": weight,
                                  **row}
                                 for letter, (query, weight, hits) in variants.items()
                                 for row in _rows(hits)])


def compare_to_json(variants: dict[str, tuple[str, float, Sequence[Hit]]]) -> str:
    return json.dumps({"variants": [
        {"variant": letter, "query": query, "visual_weight": weight,
         "hits": [h.to_json() for h in hits]}
        for letter, (query, weight, hits) in variants.items()]}, indent=1, ensure_ascii=False)


def cues_to_vtt(cues: Sequence[Cue]) -> str:
    """A WebVTT file of cleaned cues (for the player's subtitles)."""

    def stamp(t: float) -> str:
        hours, rest = divmod(max(t, 0.0), 3600)
        minutes, secs = divmod(rest, 60)
        return f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"

    blocks = [f"{stamp(c.start)} --> {stamp(max(c.end, c.start + 0.001))}\n{c.text}" for c in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"
