"""Export of results and captions."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from oneframe.dialogue.captions import Cue, parse_captions
from oneframe.search.export import cues_to_vtt, hits_to_csv, hits_to_json, timestamp
from oneframe.search.results import Hit


def hit() -> Hit:
    return Hit("yt-abc", "A film", 75.5, 0.9, 0.8, 1.0, 'He said "hi", then left',
               [("He said ", False), ('"hi"', True), (", then left", False)],
               Path("/lib/yt-abc/frames/000075.jpg"), "https://www.youtube.com/watch?v=abc&t=75",
               75, "manual")


def test_timestamps() -> None:
    assert timestamp(75.5) == "1:15.5"
    assert timestamp(3723.0) == "1:02:03.0"


def test_csv_and_json_keep_links_and_quotes() -> None:
    rows = list(csv.DictReader(io.StringIO(hits_to_csv([hit()]))))
    assert rows[0]["url"].endswith("&t=75") and rows[0]["text"] == 'He said "hi", then left'
    assert rows[0]["timestamp"] == "1:15.5" and rows[0]["rank"] == "1"
    data = json.loads(hits_to_json([hit()], "hi"))
    assert data["query"] == "hi" and data["hits"][0]["marked"] == 'He said **"hi"**, then left'


def test_vtt_round_trip() -> None:
    cues = [Cue(1.0, 2.5, "Hello"), Cue(3723.25, 3725.0, "Later")]
    assert parse_captions(cues_to_vtt(cues), "x.vtt") == cues


def test_csv_cells_never_run_as_formulas() -> None:
    """OWASP's rule: a text cell starting with = + - @ (or a tab or CR) is prefixed with '."""
    from dataclasses import replace

    from oneframe.search.export import compare_to_csv

    attacks = ['=HYPERLINK("https://evil.example","click")', "+1+cmd|' /C calc'!A0",
               "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
    hits = [replace(hit(), text=text, title=text) for text in attacks]
    rows = list(csv.DictReader(io.StringIO(hits_to_csv(hits))))
    assert [r["text"] for r in rows] == ["'" + a for a in attacks]
    assert [r["title"] for r in rows] == ["'" + a for a in attacks]
    assert rows[0]["score"] == "0.9" and rows[0]["rank"] == "1"  # numbers stay numbers
    compared = list(csv.DictReader(io.StringIO(compare_to_csv({"A": ("=cmd", 0.5, hits[:1])}))))
    assert compared[0]["query"] == "'=cmd" and compared[0]["text"] == "'" + attacks[0]
    assert compared[0]["variant"] == "A" and compared[0]["visual_weight"] == "0.5"
