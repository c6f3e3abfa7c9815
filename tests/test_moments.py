"""Moments taken out: stills, clips and supercuts checked frame by frame on videos whose every
frame shows its own number (a bar code), markers read back by OpenTimelineIO."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from media import barcode_video, frame_number_of

from oneframe.core.errors import OneframeError
from oneframe.ingest.pipeline import ingest
from oneframe.ingest.remove import remove
from oneframe.library.folders import Library
from oneframe.media.cut import Span, cut
from oneframe.media.groups import Copy, copy_plan, copyable
from oneframe.media.still import frame_at
from oneframe.search.markers import markers
from oneframe.search.moments import (
    clip_of,
    hits_of,
    moment_at,
    moments,
    save_clip,
    save_still,
    save_supercut,
)

CASES = [(25, 12, 0), (25, 12, 3), (Fraction(30000, 1001), 250, 2), (Fraction(24000, 1001), 250, 3)]
"""Frame rate, frames between keyframes, B-frames."""


def numbers(path: Path) -> list[int]:
    import av

    with av.open(str(path)) as container:
        return [frame_number_of(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


@pytest.mark.parametrize(("fps", "gop", "bframes"), CASES)
def test_a_still_is_the_frame_on_screen_and_a_clip_is_frame_accurate(
        tmp_path: Path, fps: Fraction, gop: int, bframes: int) -> None:
    video = barcode_video(tmp_path / "bars.mp4", 600, fps, gop, bframes)
    for t in (0.0, 1.0, 3.3, 7.77, 12.345, 19.9):
        assert frame_number_of(frame_at(video, t)) == math.floor(t * fps + 1e-9)
    out = cut([Span(video, 7.77, 12.345, [(8.0, 9.5, "Hello there")])], tmp_path / "clip.mp4")
    got = numbers(out)
    first, last = math.floor(7.77 * fps), math.ceil(12.345 * fps) - 1
    assert abs(got[0] - first) <= 1 and abs(got[-1] - last) <= 1
    assert got == list(range(got[0], got[-1] + 1))  # every frame, in order, none twice
    import av

    with av.open(str(out)) as container:
        kinds = {s.type: s for s in container.streams}
        assert set(kinds) == {"video", "audio", "subtitle"}
        sound = float(kinds["audio"].duration * kinds["audio"].time_base)
        assert abs(sound - len(got) / float(fps)) < 0.05  # its sound kept, as long as it is
        said = [bytes(p)[2:].decode() for p in container.demux(kinds["subtitle"]) if p.size]
        assert [line for line in said if line] == ["Hello there"]  # gaps are empty samples


def packets(path: Path) -> list[bytes]:
    import av

    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


@pytest.mark.parametrize("bframes", [0, 3])
def test_whole_groups_of_pictures_inside_a_clip_are_copied_not_encoded(
        tmp_path: Path, bframes: int) -> None:
    video = barcode_video(tmp_path / "bars.mp4", 400, 25, 25, bframes)
    span = Span(video, 2.3, 11.1)
    plan = copy_plan(span, Fraction(25), (320, 180))
    assert plan is not None and (plan.first, plan.last, plan.frames) == (3.0, 11.0, 200)
    assert plan.delay == (0 if bframes == 0 else 2 if bframes < 3 else plan.delay)
    out = cut([span, Span(video, 13.5, 14.2)], tmp_path / "clip.mp4")
    got = numbers(out)
    assert got == list(range(57, 277)) + list(range(337, 355))  # 8.8 s and 0.7 s, in order
    source, copied = set(packets(video)), packets(out)
    # the groups from 3 s to 11 s are the source's own packets (their keyframes now carry
    # parameter sets); the edges and the second span are encoded
    assert 190 <= sum(p in source for p in copied) <= 200


def _table(order: list[int], keys: set[int]) -> list[tuple[int, int, bool]]:
    """Packets of a 1-tick-a-frame stream shown in ``order``, decoded one a tick."""
    return [(pts, dts - 1, pts in keys) for dts, pts in enumerate(order)]


def test_open_groups_of_pictures_are_encoded_whole(tmp_path: Path) -> None:
    # x264 closes its groups whatever it is told, so the open group is a packet table: the
    # picture shown just before keyframe 8 (and 16) is decoded after it
    closed = [0, 2, 1, 4, 3, 6, 5, 7, 8, 10, 9, 12, 11, 14, 13, 15, 16, 18, 17, 19]
    opened = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 19]
    keys, one = {0, 8, 16}, Fraction(1)
    assert copyable(_table(closed, keys), 0.5, 19, one, one) == Copy(8.0, 16.0, 8, 1)
    assert copyable(_table(closed, keys), 0, 19, one, one) == Copy(0.0, 16.0, 16, 1)
    assert copyable(_table(opened, keys), 0.5, 19, one, one) is None
    assert copyable(_table(opened, keys), 0, 19, one, one) is None
    assert copyable(_table(closed, keys), 0.5, 15, one, one) is None  # one keyframe inside
    uneven = [0, 2, 1, 4, 3, 6, 5, 7, 8, 10, 9, 12, 11, 14, 12, 15, 16, 18, 17, 19]
    assert copyable(_table(uneven, keys), 0.5, 19, one, one) is None  # 12 twice, no 13
    # a real video of another size than the output's is encoded, not copied
    video = barcode_video(tmp_path / "wide.mp4", 300, 25, 25, 0, size=(448, 180))
    assert copy_plan(Span(video, 2.3, 11.1), Fraction(25), (448, 180)) is not None
    assert copy_plan(Span(video, 2.3, 11.1), Fraction(25), (320, 180)) is None


def test_a_supercut_joins_spans_of_videos_of_any_size(tmp_path: Path) -> None:
    small = barcode_video(tmp_path / "small.mp4", 300, 25, 25, 0, size=(320, 180))
    wide = barcode_video(tmp_path / "wide.mp4", 300, 25, 25, 0, size=(448, 180), sound=False)
    spans = [Span(small, 2.0, 4.0, [(2.0, 4.0, "One")]), Span(wide, 1.0, 2.5),
             Span(small, 8.0, 9.0, [(8.0, 9.0, "Two")])]
    out = cut(spans, tmp_path / "supercut.mp4")
    import av

    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (320, 180)
    got = numbers(out)
    assert len(got) == 50 + 38 + 25  # 2 s, 1.5 s and 1 s at 25 fps
    assert got[:50] == list(range(50, 100)) and got[-25:] == list(range(200, 225))


@pytest.fixture()
def film(tmp_path: Path) -> str:
    """A library video of bar codes with three lines of dialogue, at 29.97 fps."""
    video = barcode_video(tmp_path / "Bars.mp4", 900, Fraction(30000, 1001), 250, 2)
    (tmp_path / "Bars.srt").write_text(
        "1\n00:00:05,000 --> 00:00:07,500\nThe blue door is locked.\n\n"
        "2\n00:00:12,000 --> 00:00:14,000\nMeet me at the harbour.\n\n"
        "3\n00:00:20,000 --> 00:00:22,000\nGood night.\n")
    return ingest(str(video), ocr="off", speech="off").id


def search_json(vid: str) -> str:
    from oneframe.search.index import SearchIndex

    index = SearchIndex(Library())
    lines = []
    for query in ("the blue door was locked", "meet me at the harbour"):
        hits = index.search(query, visual_weight=0.0, top_k=1).hits
        lines.append(json.dumps({"query": query, "hits": [h.to_json() for h in hits]}))
    return "\n".join(lines) + "\n"


def test_stills_clips_and_a_supercut_of_search_results(film: str, tmp_path: Path) -> None:
    library = Library()
    results = hits_of(search_json(film))
    found = moments(library, results)
    assert [(round(m.start, 2), round(m.end, 2)) for m in found] == [(5.0, 7.5), (12.0, 14.0)]
    fps = found[0].fps
    plain = save_still(found[0], tmp_path / "plain.png")
    lined = save_still(found[0], tmp_path / "line.png", line=True)
    from PIL import Image

    a, b = np.asarray(Image.open(plain)), np.asarray(Image.open(lined))
    assert a.shape == b.shape == (180, 320, 3)  # full size, not the thumbnail
    assert frame_number_of(a) == math.floor(found[0].time * fps + 1e-9)
    assert not np.array_equal(a[-40:], b[-40:]) and np.array_equal(a[:60], b[:60])
    got = numbers(save_clip(library, found[1], tmp_path / "clip.mp4"))
    assert abs(got[0] - math.floor(12.0 * fps)) <= 1
    assert abs(got[-1] - (math.ceil(14 * fps) - 1)) <= 1
    padded = moments(library, results, pad=0.5)
    total = sum(m.end - m.start for m in padded)
    got = numbers(save_supercut(library, padded, tmp_path / "supercut.mp4"))
    assert abs(len(got) - total * fps) <= 2 * len(padded)  # within a frame at each end


def cli(*argv: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oneframe", *argv], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, **options)


@pytest.mark.slow
def test_the_export_commands_as_written_and_their_errors(film: str, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(search_json(film))
    run = cli("export", "still", film, "--at", "5.5", "--line", "-o", str(tmp_path / "s.png"))
    assert run.returncode == 0 and (tmp_path / "s.png").is_file(), run.stderr
    run = cli("export", "clip", film, "--start", "5", "--end", "7", "-o", str(tmp_path / "c.mp4"))
    assert run.returncode == 0 and (tmp_path / "c.mp4").stat().st_size > 0, run.stderr
    for fmt in ("edl", "fcpxml", "fcp7xml", "otio", "srt"):
        run = cli("export", "markers", str(results), "--format", fmt)
        assert run.returncode == 0 and run.stdout.strip(), (fmt, run.stderr)
        assert run.stdout.endswith("\n")
    run = cli("export", "markers", str(results), "--format", "chapters")  # two moments
    assert run.returncode == 1 and "at least three" in run.stderr
    run = cli("export", "markers", "-", "--format", "srt", input=results.read_text())
    assert "The blue door is locked." in run.stdout
    run = cli("export", "supercut", str(results), "--pad", "0.2", "-o", str(tmp_path / "x.mp4"))
    assert run.returncode == 0 and (tmp_path / "x.mp4").is_file(), run.stderr
    for argv, says in (
            (("export", "still", "file-nope", "--at", "1", "-o", "x.png"), "No video"),
            (("export", "still", film, "--at", "999", "-o", "x.png"), "outside"),
            (("export", "clip", film, "--start", "9", "--end", "3"), "end after it starts"),
            (("export", "clip", film, "--start", "9", "--end", "300"), "past the end"),
            (("export", "markers", str(results), "--format", "avid"), "invalid choice"),
            (("export", "still", film, "--at", "1", "-o", str(tmp_path / "no" / "x.png")),
             "does not exist"),
            (("export", "supercut", str(tmp_path / "none.jsonl")), "Cannot read the results")):
        run = cli(*argv)
        assert run.returncode in (1, 2) and says in run.stderr, (argv, run.stderr)
        assert "Traceback" not in run.stderr
    remove(Library(), film)
    run = cli("export", "markers", str(results), "--format", "edl")
    assert run.returncode == 1 and "no longer in the library" in run.stderr
    assert not list(tmp_path.glob(".*.part"))


def test_bad_results_and_spans_are_clear_errors(film: str) -> None:
    library = Library()
    with pytest.raises(OneframeError, match="not a line of `oneframe search --json`"):
        hits_of("not json\n")
    with pytest.raises(OneframeError, match="hold no moments"):
        hits_of('{"query": "x", "hits": []}\n')
    with pytest.raises(OneframeError, match="Unknown marker format"):
        markers([moment_at(library, film, 1.0)], "avid")
    with pytest.raises(OneframeError, match="end after it starts"):
        clip_of(library, film, 5.0, 5.0)


def _finished(job):  # type: ignore[no-untyped-def]
    for _ in range(1200):
        if job.finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"{job.label} still {job.state} after a minute")


def test_a_cancelled_or_failed_export_leaves_no_file(tmp_path: Path) -> None:
    from oneframe.core.progress import Stage
    from oneframe.ingest.jobs import CANCELLED, FAILED, JobQueue

    video = barcode_video(tmp_path / "bars.mp4", 300, 25, 25, 2)
    out = tmp_path / "supercut.mp4"
    jobs, told = JobQueue(), []

    def work(progress) -> Path:  # type: ignore[no-untyped-def]
        def done(seconds: float) -> None:
            told.append(seconds)
            if len(told) == 3:
                job.cancel()
            progress(Stage.EXPORT, round(seconds), 8)
        return cut([Span(video, 1.0, 9.0)], out, done)

    job = jobs.submit("a supercut", work, doing="Making the supercut", undone="no file was made")
    assert _finished(job).state == CANCELLED and job.error == "Cancelled; no file was made."
    assert len(told) == 3 and not list(tmp_path.glob("*supercut*"))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    job = jobs.submit("a supercut", lambda progress: cut([Span(broken, 0, 1)], out),
                      doing="Making the supercut", undone="no file was made")
    assert _finished(job).state == FAILED and "broken.mp4 can't be read" in (job.error or "")
    assert not list(tmp_path.glob("*supercut*"))


def test_a_web_video_s_export_says_it_is_the_kept_copy(site, tmp_path: Path) -> None:
    base, _ = site
    record = ingest(f"{base}/page.html", ocr="off", speech="off")  # yt-dlp, from loopback
    [moment] = moments(Library(), [({"video": record.id, "time": 1.0}, None)])
    assert moment.note == "exported at the kept 96p (the library keeps downloads at most 480p)"
    out = save_still(moment, tmp_path / "still.png")
    from PIL import Image

    with Image.open(out) as image:
        assert image.size == (160, 96)
