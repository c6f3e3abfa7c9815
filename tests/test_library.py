"""The library: atomic commits, cache hits, concurrent writers, removal, damage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_leftovers_of_a_killed_process_are_swept(tmp_path: Path) -> None:
    library = Library()
    library.root.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (library.root / f".tmp-{dead}-abc").mkdir()
    (library.root / f".tmp-{os.getpid()}-live").mkdir()
    (library.root / ".trash-old").mkdir()
    with library.staging():
        pass
    assert visible(library.root) == [f".tmp-{os.getpid()}-live"]


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
