"""Ingest end to end: real files, a real yt-dlp download, the CLI; failures lose nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ROOT
from media import serve_page

import oneframe.ingest.pipeline as ingest_module
from oneframe.core.errors import (
    CaptionError,
    LibraryError,
    ModelError,
    OneframeError,
    SourceError,
    VideoError,
)
from oneframe.dialogue.cues import Cue
from oneframe.ingest.pipeline import ingest, outcome_message
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex


def snapshot(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name != ".lock")


def test_friday_clip_end_to_end(friday: Path) -> None:
    stages: set[str] = set()
    record = ingest(str(friday), progress=lambda stage, done, total: stages.add(stage))
    assert record.id.startswith("file-") and record.title == "friday"
    assert (record.caption_kind, record.cues) == ("file", 5)
    assert record.duration == pytest.approx(6.17, abs=0.1)
    index = Library().load(record.id)
    assert index.cues[2] == Cue(1.5, 2.999, "Tell me, is the lord of the universe in?")
    assert [c.start for c in index.cues] == [0.0, 1.0, 1.5, 3.0, 4.3]
    assert len(index.times) == record.frames == index.embeddings.shape[0] >= 6
    assert index.embeddings.dtype == np.float16 and index.embeddings.shape[1] == 16
    assert np.allclose(np.linalg.norm(index.embeddings.astype(np.float32), axis=1), 1, atol=1e-2)
    thumb = cv2.imread(str(record.frame_path(0)))
    assert max(thumb.shape[:2]) == 512
    assert record.video_path.read_bytes() == friday.read_bytes()
    assert {"download", "captions", "frames", "embed", "save"} <= stages


def test_download_from_a_web_page_with_yt_dlp(web, scene_video: Path) -> None:
    base, root = web
    serve_page(root, scene_video, title="Three scenes")
    record = ingest(f"{base}/page.html")
    assert record.id.startswith("web-") and "Three scenes" in record.title
    assert (record.caption_kind, record.caption_lang, record.cues) == ("manual", "en", 1)
    assert Library().load(record.id).cues == [Cue(1.0, 2.5, "The red scene")]
    assert record.frames >= 5 and record.url == f"{base}/page.html"


def test_second_ingest_is_a_cache_hit(scene_video: Path, monkeypatch) -> None:
    first = ingest(str(scene_video))
    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "load_encoder", lambda m: pytest.fail("re-indexed"))
        assert ingest(str(scene_video)) == first
    hit = ingest(str(scene_video))
    assert hit.outcome == "existing" and outcome_message(hit).startswith(
        f"Already in the library as “scenes” ({first.id})")
    again = ingest(str(scene_video), interval=0.5)  # other choices: a new entry, never silently
    assert again.interval == 0.5 and again.frames > first.frames
    assert (again.id, again.outcome, again.origin) == (f"{first.id}-2", "beside", first.id)
    assert "another frame interval" in outcome_message(again)
    assert sorted(r.id for r in Library().list()) == [first.id, again.id]
    assert ingest(str(scene_video), interval=0.5).id == again.id  # a hit on the second entry
    replaced = ingest(str(scene_video), interval=2.0, replace=True)
    assert (replaced.id, replaced.outcome, replaced.interval) == (first.id, "replaced", 2.0)
    assert outcome_message(replaced).startswith(f"Replaced the library's entry “scenes” "
                                                f"({first.id})")
    assert sorted(r.id for r in Library().list()) == [first.id, again.id]
    with pytest.raises(LibraryError, match="not an entry of this video"):
        ingest(str(scene_video), replace="file-other")


def test_a_copy_added_without_captions_keeps_the_first_entry_s_captions(
        scene_video: Path, tmp_path: Path) -> None:
    (tmp_path / "friday.mp4").write_bytes(scene_video.read_bytes())
    (tmp_path / "friday.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "my copy.mp4").write_bytes(scene_video.read_bytes())
    first = ingest(str(tmp_path / "friday.mp4"))
    second = ingest(str(tmp_path / "copy" / "my copy.mp4"))
    assert second.outcome == "beside" and second.id != first.id and second.cues == 0
    assert "also in the library as “friday”" in outcome_message(second)
    kept = Library().get(first.id)
    assert (kept.title, kept.cues) == ("friday", 1)
    assert second.title == "my copy"  # the file's name as it is, spaces and all


def test_explicit_captions_override_sidecars(friday: Path, tmp_path: Path) -> None:
    own = tmp_path / "mine.en.srt"
    own.write_text("1\n00:00:02,000 --> 00:00:03,000\nMy own line\n")
    record = ingest(str(friday), captions=own)
    assert (record.caption_kind, record.caption_lang, record.cues) == ("file", "en", 1)


def test_bad_sidecar_is_noted_not_fatal(scene_video: Path, tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copyfile(scene_video, video)
    (tmp_path / "clip.vtt").write_text("WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nbroken\n")
    record = ingest(str(video))
    assert record.cues == 0 and record.caption_kind is None
    assert "clip.vtt" in record.notes[0]


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_exception_mid_ingest_leaves_library_unchanged(scene_video, friday, monkeypatch, error):
    ingest(str(friday))
    library = Library()
    before = snapshot(library.root)
    calls = {"n": 0}
    real = ingest_module.thumbnail_jpeg

    def failing(image: np.ndarray) -> bytes:
        calls["n"] += 1
        if calls["n"] == 3:
            raise error()
        return real(image)

    monkeypatch.setattr(ingest_module, "thumbnail_jpeg", failing)
    with pytest.raises(error):
        ingest(str(scene_video))
    assert calls["n"] == 3
    assert snapshot(library.root) == before


@pytest.mark.parametrize(("make", "error", "says"), [
    (lambda d: d / "missing.mp4", SourceError, "neither a link"),
    (lambda d: (d / "notes.mp4").write_text("not a video\n" * 50) and d / "notes.mp4",
     VideoError, "could not be opened"),
])
def test_bad_sources_leave_library_unchanged(friday, tmp_path, make, error, says) -> None:
    ingest(str(friday))
    before = snapshot(Library().root)
    with pytest.raises(error, match=says):
        ingest(str(make(tmp_path)))
    assert snapshot(Library().root) == before


def test_malformed_explicit_captions_and_unloadable_model(friday, tmp_path) -> None:
    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:01,000 --> nonsense\nx\n")
    with pytest.raises(CaptionError, match="bad.srt"):
        ingest(str(friday), captions=bad)
    with pytest.raises(ModelError, match="nowhere"):
        ingest(str(friday), model=str(tmp_path / "nowhere"))
    assert snapshot(Library().root) == []


def test_concurrent_ingests_of_one_video(scene_video: Path) -> None:
    results, errors = [], []

    def run() -> None:
        try:
            results.append(ingest(str(scene_video)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 2 and results[0].id == results[1].id
    index = Library().load(results[0].id)
    assert len(index.times) == index.embeddings.shape[0] == results[0].frames
    assert snapshot(Library().root) == snapshot(Library().root)
    assert [p.name for p in Library().root.iterdir() if p.name.startswith(".t")] == []


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oneframe", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())


def test_cli_ingest_list_remove(friday: Path) -> None:
    run = cli("ingest", str(friday), "--json")
    assert run.returncode == 0, run.stderr
    made = json.loads(run.stdout)
    assert made["cues"] == 5 and made["frames"] >= 6 and made["title"] == "friday"
    assert "indexing" in run.stderr
    listed = json.loads(cli("list", "--json").stdout)
    assert [v["id"] for v in listed] == [made["id"]]
    assert cli("remove", made["id"]).returncode == 0
    assert json.loads(cli("list", "--json").stdout) == []


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    run = cli("ingest", str(tmp_path / "nothing.mp4"))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1].startswith("error: '")
    assert "Traceback" not in run.stderr
    assert cli("remove", "no-such-id").returncode == 1


def test_a_truncated_file_is_added_with_a_warning(tmp_path: Path) -> None:
    """A file cut short decodes only so far: the video is kept, and the note says so."""
    writer = cv2.VideoWriter(str(tmp_path / "full.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10,
                             (160, 96))
    for i in range(120):  # 12 s, a new shade every second
        writer.write(np.full((96, 160, 3), (i // 10) * 20, np.uint8))
    writer.release()
    data = (tmp_path / "full.avi").read_bytes()
    (tmp_path / "cut.avi").write_bytes(data[:len(data) * 3 // 4])
    whole = ingest(str(tmp_path / "full.avi"))
    assert whole.duration == pytest.approx(12.0, abs=0.2)
    assert not [n for n in whole.notes if "decoded" in n]
    cut = ingest(str(tmp_path / "cut.avi"))
    assert 8.0 < cut.duration < 10.5  # what decodes, not what the container claims
    [note] = [n for n in cut.notes if "decoded" in n]
    assert note.startswith("Only the first 0:") and "of 0:12.0 could be decoded" in note


def srt(cues: list[tuple[float, str]]) -> str:
    """SubRip text of ``(start seconds, text)`` cues, each shown for 0.9 s."""
    def at(t: float) -> str:
        hours, minutes, seconds = int(t // 3600), int(t // 60 % 60), int(t % 60)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d},{int(t % 1 * 1000):03d}"
    return "".join(f"{i}\n{at(t)} --> {at(t + 0.9)}\n{text}\n\n"
                   for i, (t, text) in enumerate(cues, 1))


def test_captions_past_the_end_are_left_out_with_a_note(scene_video: Path,
                                                        tmp_path: Path) -> None:
    lines = [(1, "Red."), (4, "Green."), (7, "Blue."), (60, "Later."), (300, "Much later."),
             (719, "The very end.")]
    (tmp_path / "long.srt").write_text(srt(lines))
    record = ingest(str(scene_video), captions=tmp_path / "long.srt")
    assert record.cues == 3
    [note] = record.notes
    assert note.startswith("3 of the 6 caption lines start after the video ends (0:09.0) and "
                           "were left out")
    assert not SearchIndex().search("the very end", visual_weight=0.0).hits


def test_a_caption_file_past_the_limits_is_refused_before_any_work(
        scene_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dense = tmp_path / "dense.srt"  # a line every 0.2 s: 300 a minute
    dense.write_text(srt([(i / 5, f"Line {i}.") for i in range(40)]))
    with pytest.raises(CaptionError, match="a minute.*ONEFRAME_MAX_CUES_PER_MINUTE"):
        ingest(str(scene_video), captions=dense)
    monkeypatch.setenv("ONEFRAME_MAX_CUES", "30")
    many = tmp_path / "many.srt"
    many.write_text(srt([(i * 60.0, f"Line {i}.") for i in range(40)]))
    stages: list[str] = []
    with pytest.raises(CaptionError, match="about 40 captions.*ONEFRAME_MAX_CUES"):
        ingest(str(scene_video), captions=many, progress=lambda s, d, t: stages.append(s))
    assert "embed" not in stages and "dialog" not in stages
    monkeypatch.setenv("ONEFRAME_MAX_CAPTION_MB", "0.001")
    with pytest.raises(CaptionError, match="too large for a caption file.*"
                                           "ONEFRAME_MAX_CAPTION_MB"):
        ingest(str(scene_video), captions=many)
    monkeypatch.setenv("ONEFRAME_MAX_CAPTION_MB", "lots")
    with pytest.raises(OneframeError, match="ONEFRAME_MAX_CAPTION_MB='lots' is not a number"):
        ingest(str(scene_video), captions=many)
    assert Library().list() == []


def test_a_full_disk_during_a_re_ingest_keeps_the_old_entry(scene_video: Path,
                                                            monkeypatch) -> None:
    import errno

    library = Library()
    old = ingest(str(scene_video))
    before = snapshot(library.root)
    real_save = np.save

    def full(path, *args, **kwargs):
        if str(path).endswith("embeddings.npy"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(path, *args, **kwargs)

    monkeypatch.setattr(np, "save", full)
    with pytest.raises(LibraryError, match="disk that holds the library is full.*left as it"):
        ingest(str(scene_video), interval=0.5)
    assert snapshot(library.root) == before and library.get(old.id).interval == 1.0


def test_the_cli_lists_and_removes_around_a_damaged_entry(scene_video: Path) -> None:
    good = ingest(str(scene_video))
    broken = Library().root / "file-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("[]")
    listed = cli("list")
    assert listed.returncode == 0 and good.id in listed.stdout
    assert "file-broken' is damaged" in listed.stderr and "Traceback" not in listed.stderr
    assert cli("remove", "file-broken").returncode == 0 and not broken.exists()
    searched = cli("search", "a red scene", "--json")
    assert searched.returncode == 0, searched.stderr


def test_dialogue_indexing_reports_every_batch_and_stops_at_cancel(
        scene_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many lines are embedded a batch at a time, each batch a progress report, so a cancel
    lands within a batch (a fraction of a second), not after the whole dialogue."""
    from oneframe.ingest.jobs import IngestCancelled

    monkeypatch.setenv("ONEFRAME_MAX_CUES_PER_MINUTE", "100000")
    (tmp_path / "many.srt").write_text(srt([(i * 0.004, f"Line number {i} of many.")
                                            for i in range(2000)]))
    reports: list[tuple[int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "dialog":
            reports.append((done, total))
            if len(reports) == 3:
                raise IngestCancelled("cancelled")

    with pytest.raises(IngestCancelled):
        ingest(str(scene_video), captions=tmp_path / "many.srt", progress=progress)
    assert reports[:3] == [(0, 2000), (64, 2000), (128, 2000)]
    assert Library().list() == []
