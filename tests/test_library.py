"""The library: atomic commits, cache hits, concurrent writers, removal, damage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from oneframe.core.errors import LibraryError
from oneframe.library.folders import SCHEMA_VERSION, Library, VideoRecord, default_root


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
from oneframe.library.folders import Library
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
        body = ("import oneframe.library.folders as m\n"
                "real = m.exchange\n"
                "def swap_then_die(a, b):\n    real(a, b)\n    os._exit(9)\n"
                "m.exchange = swap_then_die\n")
    else:  # a file system without it: killed between the two renames
        body = ("import oneframe.library.folders as m\n"
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


def damage(library: Library, vid: str, change) -> Path:
    """A copy of a good entry, under ``vid``, with its manifest changed by ``change(data)``."""
    import json
    import shutil

    good = build(library, record("file-good"))
    folder = library.root / vid
    shutil.copytree(good.path, folder)
    data = json.loads((folder / "manifest.json").read_text())
    data["id"] = vid
    (folder / "manifest.json").write_text(json.dumps(change(data)))
    return folder


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: None, "not an object"),
    (lambda d: [], "not an object"),
    (lambda d: {**d, "duration": None}, "duration"),
    (lambda d: {**d, "created": None}, "created"),
    (lambda d: {**d, "frames": "3"}, "frames"),
    (lambda d: {**d, "id": "file-elsewhere"}, "a copied or renamed folder"),
    (lambda d: {**d, "video_file": "/etc/passwd"}, "video_file"),
    (lambda d: {**d, "video_file": "../../x"}, "video_file"),
    (lambda d: {k: v for k, v in d.items() if k != "model"}, "lacks model"),
    (lambda d: {**d, "schema": "two"}, "library format"),
])
def test_a_damaged_entry_is_named_skipped_and_removable(change, says: str) -> None:
    """Every reader (listing, search, the CLI) skips it with a message; it can still go."""
    from oneframe.library.folders import DamagedEntry
    from oneframe.search.index import SearchIndex

    library = Library()
    damage(library, "file-bad", change)
    scan = library.scan()
    assert [r.id for r in scan.records] == ["file-good"]
    [problem] = scan.damaged
    assert problem.vid == "file-bad" and says in str(problem) and "remove file-bad" in str(problem)
    with pytest.raises(DamagedEntry):
        library.get("file-bad")
    with pytest.raises(DamagedEntry):
        library.load("file-bad")
    library.remove("file-bad")
    assert visible(library.root) == ["file-good"]
    assert SearchIndex(library).ids == []  # file-good has no index files: skipped, not fatal


def test_index_files_that_disagree_with_the_manifest_are_damage() -> None:
    from oneframe.library.folders import DamagedEntry

    library = Library()
    good = build(library, record("file-wide"))
    for name, array in (("times.npy", np.arange(3.0)), ("windows.npy", np.zeros((0, 2), int))):
        np.save(good.path / name, array)
    (good.path / "cues.json").write_text("[]")
    assert len(library.load("file-wide").times) == 3
    np.save(good.path / "embeddings.npy", np.zeros((3, 8), np.float16))  # another width
    with pytest.raises(DamagedEntry, match="8 wide where the manifest says 4"):
        library.load("file-wide")
    np.save(good.path / "embeddings.npy", np.zeros((2, 4), np.float16))
    with pytest.raises(DamagedEntry, match="3 frame times"):
        library.load("file-wide")
    (good.path / "cues.json").write_text('[{"start": "x"}]')
    with pytest.raises(DamagedEntry, match="can't be read"):
        library.load("file-wide")


def test_older_entries_are_migrated_and_newer_ones_left_alone() -> None:
    import json

    library = Library()
    v1 = damage(library, "file-v1", lambda d: {k: v for k, v in d.items() if k != "dim"}
                | {"schema": 1})
    on_disk = (v1 / "manifest.json").read_text()
    record_v1 = library.get("file-v1")
    assert record_v1.schema == SCHEMA_VERSION == 2 and record_v1.dim == 4  # from the file
    assert (v1 / "manifest.json").read_text() == on_disk  # still readable by the old version
    newer = damage(library, "file-v9", lambda d: {**d, "schema": 9, "a_new_field": [1]})
    scan = library.scan()
    assert sorted(r.id for r in scan.records) == ["file-good", "file-v1"]
    assert [n.vid for n in scan.newer] == ["file-v9"] and not scan.damaged
    assert "made by a newer oneframe" in str(scan.newer[0])
    library.sweep()
    assert json.loads((newer / "manifest.json").read_text())["schema"] == 9  # untouched


def test_removing_twice_at_once_and_a_read_only_library_are_explained(monkeypatch) -> None:
    import errno
    import threading

    from oneframe.library.folders import MissingEntry

    library = Library()
    build(library, record("file-abc"))
    outcomes: list[str] = []

    def remove() -> None:
        try:
            library.remove("file-abc")
            outcomes.append("removed")
        except MissingEntry:
            outcomes.append("already removed")

    threads = [threading.Thread(target=remove) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already removed"] * 7 + ["removed"]
    build(library, record("file-abc"))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "rename", read_only)
    with pytest.raises(LibraryError, match="read-only disk.*left as it was"):
        library.remove("file-abc")
    assert visible(library.root) == ["file-abc"]
