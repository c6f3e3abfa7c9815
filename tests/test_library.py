"""The library: atomic commits, cache hits, concurrent writers, removal, damage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from oneframe.errors import LibraryError
from oneframe.library import SCHEMA_VERSION, Library, VideoRecord, default_root


def record(vid: str = "file-abc", interval: float = 1.0, title: str = "A") -> VideoRecord:
    return VideoRecord(id=vid, title=title, source="/x.mp4", url=None, duration=9.0,
                       model="m", interval=interval, caption_key="lang:en", caption_kind=None,
                       caption_lang=None, frames=3, cues=0, video_file="video.mp4",
                       created="2026-01-01T00:00:00+00:00")


def build(library: Library, rec: VideoRecord, payload: str = "x") -> VideoRecord:
    with library.staging() as stage:
        (stage / "video.mp4").write_text(payload)
        np.save(stage / "embeddings.npy", np.zeros((rec.frames, 4), np.float16))
        return library.commit(stage, rec)


def visible(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name != ".lock")


def test_default_root_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    assert default_root() == tmp_path / "library"
    monkeypatch.delenv("ONEFRAME_LIBRARY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "oneframe"


def test_commit_then_find_get_list_remove(tmp_path: Path) -> None:
    library = Library()
    assert library.list() == []
    stored = build(library, record())
    assert stored.path == library.root / "file-abc" and stored.schema == SCHEMA_VERSION
    assert library.find("file-abc", record().params()) == stored
    assert library.find("file-abc", record(interval=2.0).params()) is None
    assert [r.id for r in library.list()] == ["file-abc"]
    library.remove("file-abc")
    assert library.list() == [] and visible(library.root) == []
    with pytest.raises(LibraryError, match="No video 'file-abc'"):
        library.remove("file-abc")


def test_failure_inside_staging_leaves_nothing() -> None:
    library = Library()
    build(library, record("file-keep"))
    before = visible(library.root)
    with pytest.raises(RuntimeError), library.staging() as stage:
        (stage / "half.bin").write_bytes(b"1" * 1000)
        raise RuntimeError("boom")
    assert visible(library.root) == before


def test_equal_second_commit_keeps_the_first() -> None:
    library = Library()
    first = build(library, record(title="first"), payload="first")
    second = build(library, record(title="second"), payload="second")
    assert second.title == "first" == first.title
    assert (library.root / "file-abc" / "video.mp4").read_text() == "first"
    assert visible(library.root) == ["file-abc"]


def test_changed_parameters_replace_the_entry() -> None:
    library = Library()
    build(library, record(title="old"), payload="old")
    new = build(library, record(interval=0.5, title="new"), payload="new")
    assert new.interval == 0.5 and (new.path / "video.mp4").read_text() == "new"
    assert visible(library.root) == ["file-abc"]


CHILD = """
import os, sys, time
import numpy as np
sys.path.insert(0, {tests!r})
from oneframe.library import Library
from test_library import record
library = Library({root!r})
{body}
"""


def child(root: Path, body: str) -> subprocess.Popen:
    """A second process working on the library (``body`` runs with ``library`` and ``record``)."""
    code = CHILD.format(tests=str(Path(__file__).parent), root=str(root), body=body)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_a_staging_folder_is_swept_only_once_its_owner_is_gone() -> None:
    """Ownership is a lock held for the life of the ingest, not a PID that a restarted
    container reuses or that another host sharing the library doesn't know."""
    library = Library()
    library.root.mkdir(parents=True)
    busy = child(library.root, "with library.staging() as stage:\n"
                               "    print(stage.name, flush=True)\n    time.sleep(60)")
    name = busy.stdout.readline().strip()
    try:
        with library.staging():  # sweeps first
            pass
        assert (library.root / name).is_dir()  # alive: left alone
    finally:
        busy.kill()
        busy.wait()
    stale = library.root / f".tmp-{os.getpid()}-from-a-dead-container"  # an older oneframe's,
    stale.mkdir()  # named with a PID that is alive again (ours)
    os.utime(stale, (0, 0))
    recent = library.root / ".tmp-1-recent"
    recent.mkdir()
    (library.root / ".removed-0123").mkdir()
    library.sweep()
    assert visible(library.root) == [".tmp-1-recent"]  # no lock to ask and young: kept


@pytest.mark.parametrize("swap", ["exchange", "two renames"])
def test_a_crash_in_the_middle_of_a_re_ingest_loses_neither_version(swap: str) -> None:
    library = Library()
    build(library, record(title="old"), payload="old")
    if swap == "exchange":  # one step: killed right after it, the new version is in place
        body = ("import oneframe.library as m\n"
                "real = m.exchange\n"
                "def swap_then_die(a, b):\n    real(a, b)\n    os._exit(9)\n"
                "m.exchange = swap_then_die\n")
    else:  # a file system without it: killed between the two renames
        body = ("import oneframe.library as m\n"
                "m.exchange = lambda a, b: False\n"
                "real = os.rename\n"
                "def rename_then_die(a, b):\n    real(a, b)\n"
                "    if '.replaced-' in str(b):\n        os._exit(9)\n"
                "os.rename = rename_then_die\n")
    body += ("with library.staging() as stage:\n"
             "    (stage / 'video.mp4').write_text('new')\n"
             "    np.save(stage / 'embeddings.npy', np.zeros((3, 4), np.float16))\n"
             "    library.commit(stage, record(interval=0.5, title='new'))\n")
    assert child(library.root, body).wait() == 9
    library.sweep()
    [entry] = library.list()
    assert entry.title == ("new" if swap == "exchange" else "old")
    assert (entry.path / "video.mp4").read_text() == entry.title
    assert visible(library.root) == ["file-abc"]


def test_damaged_manifest_is_reported_and_skipped_in_list() -> None:
    library = Library()
    build(library, record("file-good"))
    bad = library.root / "file-bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    assert [r.id for r in library.list()] == ["file-good"]
    with pytest.raises(LibraryError, match="damaged"):
        library.get("file-bad")
    library.remove("file-good")
    with pytest.raises(LibraryError):
        library.get("../etc")


def test_unwritable_root_is_a_library_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(LibraryError, match="ONEFRAME_LIBRARY"), Library(blocker / "lib").staging():
        pass
