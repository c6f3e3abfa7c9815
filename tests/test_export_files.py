"""Exports never lose or lie about a file (issue 36): each writes a temporary file of its own
and moves it into place whole; an existing file is kept unless replacing is asked for (and a
pipe never is); leftovers of killed exports are swept; names are safe and within limits; a
hand-edited results file is checked hit by hit. Run through the installed command where a
user would meet it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest
from awkward import Shown
from conftest import ROOT
from media import barcode_video

from oneframe.core.errors import OneframeError
from oneframe.media.cut import Span, cut
from oneframe.media.destination import NAME_BYTES, clock, default_name, sweep
from oneframe.media.still import still


def cli(*argv: str, cwd: Path = ROOT, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oneframe", *argv], capture_output=True,
                          text=True, timeout=300, cwd=cwd, **options)


@pytest.fixture()
def film(tmp_path: Path) -> str:
    """A library video of bar codes, 30 s at 25 fps, with two lines."""
    from oneframe.ingest.pipeline import ingest

    video = barcode_video(tmp_path / "Counter.mp4", 750, 25, 25, 2, size=(160, 90))
    (tmp_path / "Counter.srt").write_text("1\n00:00:05,000 --> 00:00:08,000\nDon't stop.\n\n"
                                          "2\n00:00:15,000 --> 00:00:17,000\nIt's 5:30.\n")
    return ingest(str(video), ocr="off", speech="off").id


def test_two_exports_to_one_name_at_once_end_in_one_whole_file_and_a_clear_error(
        tmp_path: Path) -> None:
    """Tried by a reviewer: both exited 0, one over a file holding the other's frames."""
    first = barcode_video(tmp_path / "a.mp4", 250, 25, 25, 2, size=(160, 90))
    second = barcode_video(tmp_path / "b.mp4", 250, 25, 25, 2, size=(160, 90))
    out = tmp_path / "same.mp4"
    results: dict[str, object] = {}

    def export(name: str, source: Path) -> None:
        try:
            results[name] = cut([Span(source, 1.0, 7.0)], out)
        except OneframeError as exc:
            results[name] = exc

    threads = [threading.Thread(target=export, args=(n, s)) for n, s in
               (("a", first), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [n for n, r in results.items() if r == out]
    failed = [r for r in results.values() if isinstance(r, OneframeError)]
    assert len(made) == 1 and len(failed) == 1, results
    assert "exists" in str(failed[0]) or "appeared" in str(failed[0])
    shown, got = Shown(first if made == ["a"] else second), Shown(out)
    assert len(got.numbers) == 150 and all(shown.near(1.0 + t, n) for t, n in
                                           zip(got.times, got.numbers, strict=True))
    assert not list(tmp_path.glob(".oneframe-*"))
    stills = [tmp_path / "s.png"] * 2
    errors: list[Exception] = []

    def shoot(path: Path) -> None:
        try:
            still(first, 2.0, path)
        except OneframeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=shoot, args=(p,)) for p in stills]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1 and (tmp_path / "s.png").stat().st_size > 0


def test_an_existing_file_is_kept_unless_asked_and_a_pipe_never_replaced(
        film: str, tmp_path: Path) -> None:
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"precious")
    run = cli("export", "clip", film, "--start", "5", "--end", "7", "-o", str(out))
    assert run.returncode == 1 and "already exists and was kept" in run.stderr
    assert out.read_bytes() == b"precious"
    run = cli("export", "clip", film, "--start", "5", "--end", "7", "-o", str(out), "--force")
    assert run.returncode == 0 and out.read_bytes()[4:8] == b"ftyp", run.stderr
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    run = cli("export", "still", film, "--at", "5", "-o", str(fifo), "--force")
    assert run.returncode == 1 and "not a regular file" in run.stderr
    assert fifo.is_fifo()
    run = cli("export", "still", film, "--at", "5", "-o", str(tmp_path))
    assert run.returncode == 1 and "is a folder" in run.stderr
    from oneframe.library.folders import Library

    kept = Library().get(film).video_path
    run = cli("export", "clip", film, "--start", "0", "--end", "1", "-o", str(kept), "--force")
    assert run.returncode == 1 and "inside the library" in run.stderr  # its own video, kept
    run = cli("export", "clip", film, "--start", "30", "--end", "30.4")
    assert run.returncode == 1 and "must start before it" in run.stderr
    for argv, says in (
            (("still", film, "--at", "5", "-o", str(tmp_path / "a.gif")), ".png, .jpg, .jpeg"),
            (("clip", film, "--start", "5", "--end", "7", "-o", str(tmp_path / "x.webm")),
             ".mp4, .m4v, .mov, .mkv"),
            (("still", film, "--at", "5", "-o", str(tmp_path / ("n" * 300 + ".png"))),
             "at most 255")):
        run = cli("export", *argv)
        assert run.returncode == 1 and says in run.stderr, (argv, run.stderr)
        assert "Traceback" not in run.stderr
    assert not list(tmp_path.glob("a.gif")) and not list(tmp_path.glob("x.webm"))
    long_name = tmp_path / ("n" * 246 + ".png")  # 250 characters: fine
    run = cli("export", "still", film, "--at", "5", "-o", str(long_name))
    assert run.returncode == 0 and long_name.is_file(), run.stderr


def test_a_killed_export_leaves_nothing_that_the_next_one_does_not_sweep(
        film: str, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"query": "x", "hits": [
        {"video": film, "time": t, "span": [t, t + 4.0], "matched_line": True, "text": "x",
         "score": 0.5} for t in (1.0, 6.0, 11.0, 16.0, 21.0)]}) + "\n")
    out = tmp_path / "cut.mp4"
    slow = subprocess.Popen([sys.executable, "-m", "oneframe", "export", "supercut",
                             str(results), "-o", str(out)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if list(tmp_path.glob(".oneframe-*.part")) or slow.poll() is not None:
            break
        time.sleep(0.02)
    slow.send_signal(signal.SIGKILL)
    slow.wait()
    if not out.exists():  # killed mid-export (not after): its part is left, and swept next
        assert list(tmp_path.glob(".oneframe-*.part"))
    run = cli("export", "still", film, "--at", "5", "-o", str(tmp_path / "next.png"))
    assert run.returncode == 0 and not list(tmp_path.glob(".oneframe-*.part"))
    # a part of a live export is never swept
    mine = tmp_path / f".oneframe-{os.getpid()}-{'0' * 12}.part"
    mine.write_bytes(b"being written")
    dead = tmp_path / f".oneframe-{2 ** 22 + 7}-{'1' * 12}.part"
    dead.write_bytes(b"left behind")
    assert sweep(tmp_path) == 1 and mine.exists() and not dead.exists()


def test_default_names_carry_the_span_and_survive_hostile_titles() -> None:
    assert default_name("Counter", ".mp4", f"{clock(5)}-{clock(8)}") == \
        "Counter 0m05s-0m08s.mp4"
    assert clock(3723.4) == "1h02m03.4s" and clock(1.04) == "0m01.04s" != clock(1.02)
    long_title = "A long title " * 40
    one = default_name(long_title, ".mp4", f"{clock(5)}-{clock(8)}")
    two = default_name(long_title, ".mp4", f"{clock(9)}-{clock(12)}")
    assert one != two and len(one.encode()) <= NAME_BYTES and one.endswith("0m05s-0m08s.mp4")
    for title in ("../../etc/passwd", "a\nb\x00c", "CON", "  ..  ", "x/y\\z:*?\"<>|", "日本" * 200,
                  "bad\udcff\udcfename"):
        name = default_name(title, ".png", clock(1))
        assert "/" not in name and "\\" not in name and "\n" not in name and "\x00" not in name
        assert not name.startswith(".") and len(name.encode()) <= NAME_BYTES
        assert name.split(" ")[0].lower() != "con" or " video" in name


@pytest.mark.slow
def test_hand_edited_results_are_checked_hit_by_hit(film: str, tmp_path: Path) -> None:
    """Tried by a reviewer: NaN or 1e308 times and three-item spans were tracebacks, and a
    NaN span made a supercut of the whole video."""
    good = {"video": film, "time": 5.0, "span": [5.0, 8.0], "matched_line": True,
            "text": "Don't stop.", "score": 0.8}
    for hit, says in (({**good, "time": float("nan")}, "the time nan"),
                      ({**good, "time": 1e308}, "the time 1e+308"),
                      ({**good, "span": [5.0, 6.0, 7.0]}, "the span [5.0, 6.0, 7.0]"),
                      ({**good, "span": [float("nan"), 2.0]}, "the span [nan, 2.0]"),
                      ({**good, "span": [8.0, 5.0]}, "the span 8 to 5 s"),
                      ({**good, "score": "high"}, "the score 'high'"),
                      ({**good, "time": 10 ** 400}, "the time 1000"),
                      ({**good, "span": [30.2, 30.4]}, "the span 30.2 to 30.4 s"),
                      ({**good, "text": ["a"]}, "\"text\" that is not text"),
                      ({"time": 1.0}, "not a hit"), (None, "not a hit")):
        results = tmp_path / "edited.jsonl"
        results.write_text(json.dumps({"query": "x", "hits": [good, hit]}) + "\n")
        for kind in (("markers", "--format", "edl"), ("supercut",)):
            run = cli("export", kind[0], str(results), *kind[1:], "-o",
                      str(tmp_path / ("m.edl" if kind[0] == "markers" else "s.mp4")))
            assert run.returncode == 1, (hit, run.stderr)
            assert "Hit 2 of the results" in run.stderr and says in run.stderr, run.stderr
            assert "Traceback" not in run.stderr
    assert not list(tmp_path.glob("s.mp4")) and not list(tmp_path.glob("m.edl"))
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"hits": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    run = cli("export", "markers", str(deep), "--format", "srt")
    assert run.returncode == 1 and "nested too deeply" in run.stderr, run.stderr
    run = cli("export", "markers", "-", "--format", "srt",  # a byte-order mark: still UTF-8
              input="\ufeff" + json.dumps({"query": "x", "hits": [good]}) + "\n")
    assert run.returncode == 0 and "Don't stop." in run.stdout, run.stderr
    picture = {**good, "matched_line": "false"}  # a string is not true: a picture hit
    results.write_text(json.dumps({"query": "x", "hits": [picture]}) + "\n")
    run = cli("export", "markers", str(results), "--format", "srt")
    assert run.returncode == 0 and "00:00:02,000 --> 00:00:08,000" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "oneframe", "export", "markers", "-",
                          "--format", "srt"], input=b'{"hits": [{"text": "caf\xe9"}]}\n',
                         capture_output=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 1 and b"not UTF-8" in bad.stderr


def test_default_names_and_per_video_files_from_the_command_line(film: str,
                                                                  tmp_path: Path) -> None:
    run = cli("export", "clip", film, "--start", "5", "--end", "7.5", cwd=tmp_path)
    assert run.returncode == 0 and (tmp_path / "Counter 0m05s-0m07.5s.mp4").is_file(), \
        run.stderr
    run = cli("export", "still", film, "--at", "5.4", "--line", cwd=tmp_path)
    assert run.returncode == 0 and (tmp_path / "Counter 0m05.4s line.png").is_file()
    results = tmp_path / "results.jsonl"
    hits = [{"video": film, "time": t, "span": [t, t + 2.0], "matched_line": True,
             "text": "Don't stop.", "score": s} for t, s in ((5.0, 0.5), (8.0, 0.9))]
    results.write_text(json.dumps({"query": "stop", "hits": hits}) + "\n")
    run = cli("export", "markers", str(results), "--format", "srt")
    assert run.returncode == 0 and run.stdout.count("-->") == 1  # the same line, once
    assert "00:00:08,000 --> 00:00:10,000" in run.stdout  # the better scored
    run = cli("export", "supercut", str(results), "--fps", "24", cwd=tmp_path)
    assert run.returncode == 0 and "24.000 fps (as asked)" in run.stderr, run.stderr
    [made] = tmp_path.glob("Supercut of stop (1 moment, *).mp4")
    from oneframe.media.streams import facts

    assert facts(made).fps == Fraction(24)
