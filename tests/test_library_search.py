"""Whole-library search through the store's shortlist ranks as the full index does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from planted import image_like, plant, showing

from oneframe.dialogue.cues import Cue
from oneframe.encoders.dual import load_encoder, resolve_model
from oneframe.index.store import VectorStore
from oneframe.index.stores import FolderStore, IndexedStore
from oneframe.ingest.remove import remove
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex
from oneframe.search.library import LibrarySearch

PICTURE = "a red bicycle leaning on a lamp post"
FILLER = ["Good morning.", "Did you sleep well?", "The coffee is ready.", "See you tonight."]
LINES = {3: "You're an Italian stuntman, aren't you?", 5: "The gondola leaves from the pier."}
FILMS, FRAMES = 8, 30


@pytest.fixture()
def library() -> Library:
    """Eight films of filler; film 3 says the stuntman line, film 5 the gondola line, and
    frame 12 of film 6 shows the bicycle."""
    library = Library()
    text = load_encoder().embed_texts([PICTURE])[0]
    for n in range(FILMS):
        times = [float(t) for t in range(FRAMES)]
        vectors = image_like(FRAMES, [PICTURE], seed=n)
        if n == 6:
            vectors[12] = showing(vectors[12], text)
        cues = [Cue(2.0 + 4 * i, 4.0 + 4 * i, line) for i, line in enumerate(FILLER)]
        if n in LINES:
            cues.append(Cue(20.0, 22.0, LINES[n]))
        plant(library, f"film-{n}", times, vectors, cues, resolve_model())
    return library


def moments(result) -> list[tuple[str, float]]:
    return [(h.video, round(h.time, 2)) for h in result.hits]


@pytest.mark.parametrize(("query", "weight", "expected"), [
    ("italian stuntman", 0.5, "film-3"),
    ("the italien stuntmen", 0.0, "film-3"),  # a typo and a plural: FTS finds it
    ("gondola pier", 0.2, "film-5"),
    (PICTURE, 1.0, "film-6"),
])
def test_the_shortlist_finds_what_the_full_index_finds(library: Library, query: str,
                                                       weight: float, expected: str) -> None:
    shortlisted = LibrarySearch(library, shortlist_above=2, shortlist=3)
    assert isinstance(shortlisted.store, IndexedStore)
    assert shortlisted.store.ready() == library.ids()
    got = shortlisted.search(query, visual_weight=weight, top_k=3)
    full = SearchIndex(library).search(query, visual_weight=weight, top_k=3)
    assert got.hits[0].video == expected
    assert moments(got)[0] == moments(full)[0]
    # each video's noise floor is its own: a score is the same whatever else is loaded
    assert got.hits[0].score == pytest.approx(full.hits[0].score, abs=1e-5)


def test_a_small_library_is_loaded_whole_and_needs_no_store(library: Library) -> None:
    search = LibrarySearch(library)
    assert isinstance(search.store, FolderStore) and len(search) == FILMS
    assert search.search("italian stuntman").hits[0].video == "film-3"
    assert not (library.root / ".store").exists()


def test_a_video_added_later_is_found_after_a_sync_of_it_alone(library: Library) -> None:
    LibrarySearch(library, shortlist_above=2, shortlist=3)
    plant(library, "film-new", [0.0, 1.0], image_like(2, [PICTURE], seed=99),
          [Cue(0.5, 1.5, "Nobody expects the Spanish inquisition.")], resolve_model())
    search = LibrarySearch(library, shortlist_above=2, shortlist=3)
    assert "film-new" in search.store.ready()
    assert search.search("spanish inquisition", visual_weight=0).hits[0].video == "film-new"
    library.remove("film-3")
    search = LibrarySearch(library, shortlist_above=2, shortlist=3)
    hits = search.search("italian stuntman", visual_weight=0).hits
    assert all(h.video != "film-3" for h in hits)


def test_a_chosen_few_videos_are_searched_exactly_and_unknown_ones_named(
        library: Library) -> None:
    search = LibrarySearch(library, shortlist_above=2, shortlist=3)
    got = search.search("italian stuntman", videos=["film-3", "film-4"], visual_weight=0)
    assert {h.video for h in got.hits} <= {"film-3", "film-4"}
    assert got.hits[0].video == "film-3"
    with pytest.raises(Exception, match="No video nope"):
        search.search("x", videos=["nope"])


def test_more_like_a_stored_frame_over_the_shortlist(library: Library) -> None:
    search = LibrarySearch(library, shortlist_above=2, shortlist=3)
    got = search.search(like=("film-6", 12.0), top_k=2)
    assert moments(got)[0] == ("film-6", 12.0)


def test_lines_are_found_by_words_with_a_typo(library: Library) -> None:
    store = VectorStore(library)
    store.sync()
    found = store.lines("gondolla pier", 5)
    assert (found[0].video, found[0].row) == ("film-5", 4)
    store.optimise()  # the full-text index now covers the rows
    found = store.lines("stuntman", 5)
    assert [(m.video, m.row) for m in found] == [("film-3", 4)]
    assert store.lines("'; DROP TABLE cues; --", 5) == []
    assert np.all([m.video in library.ids() for m in store.lines("good morning", 50)])


def test_ingest_and_removal_keep_a_store_in_step(library: Library) -> None:
    store = VectorStore(library)
    store.sync()
    plant(library, "film-late", [0.0, 1.0], image_like(2, [PICTURE], seed=98),
          [Cue(0.5, 1.5, "Late again.")], resolve_model())
    assert "film-late" in store.ready()  # committed: its rows are in, no search needed
    remove(library, "film-0")  # as the CLI and the Library page do
    assert "film-0" not in store.ready()
    assert store.lines("good morning", 50) and all(
        m.video != "film-0" for m in store.lines("good morning", 50))


def test_the_store_can_live_elsewhere(library: Library, tmp_path, monkeypatch) -> None:
    """``ONEFRAME_STORE`` puts the store outside the library (object storage on a cluster;
    here another folder)."""
    monkeypatch.setenv("ONEFRAME_STORE", str(tmp_path / "elsewhere"))
    search = LibrarySearch(library, shortlist_above=2, shortlist=3, optimise=False)
    assert search.store.store.uri == str(tmp_path / "elsewhere")  # the LanceDB store behind
    assert not (library.root / ".store").exists() and (tmp_path / "elsewhere").is_dir()
    assert search.search("gondola pier", visual_weight=0).hits[0].video == "film-5"
    remove(library, "film-5")  # followed there too
    assert "film-5" not in VectorStore(library).ready()


def test_a_server_loads_the_videos_ahead(library: Library,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm-up loads the videos, works out their frames' neutral background and keeps them
    out of the collector's passes: a first query does none of it."""
    import gc

    import oneframe.search.picture

    expected = SearchIndex(library).search(PICTURE, visual_weight=1.0, top_k=3)
    search = LibrarySearch(library, shortlist_above=2, shortlist=3, optimise=False)
    try:
        assert search.warm() == FILMS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

    def neutral(model: str) -> np.ndarray:
        raise AssertionError("a background worked out at query time")

    monkeypatch.setattr(oneframe.search.picture, "_neutral_vectors", neutral)
    got = search.search(PICTURE, visual_weight=1.0, top_k=3)
    assert moments(got)[0] == moments(expected)[0] == ("film-6", 12.0)
    assert got.hits[0].score == pytest.approx(expected.hits[0].score, abs=1e-4)
    assert LibrarySearch(library).warm() == 0  # a small library is loaded whole already


def test_warm_up_reads_the_kept_videos_vectors_in(library: Library) -> None:
    """The vectors a first query reads (here the dialogue windows', which no background
    touches) are in memory after warm-up, not left to the query's page faults."""
    import gc

    if not Path("/proc/self/smaps").exists():
        pytest.skip("needs Linux's /proc/self/smaps to see what a memory map holds")
    search = LibrarySearch(library, shortlist_above=2, shortlist=3, optimise=False)
    try:
        search.warm()
    finally:
        gc.unfreeze()
    video = search._videos["film-6"]
    assert rss_kb(video.record.path / "dialog.npy") >= video.dialog_vectors.nbytes / 1024


def rss_kb(path) -> int:
    """Kilobytes of ``path``'s memory maps in this process that are in memory now."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if line[:1].isdigit() or line[:1] in "abcdef" and "-" in line.split()[0]:
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def store_files(library: Library) -> Path:
    return library.root / ".store"


@pytest.mark.parametrize("damage", ["truncated manifest", "no versions", "no text index",
                                    "empty videos table"])
def test_a_damaged_store_is_rebuilt_and_searches_never_fail(library: Library,
                                                            damage: str) -> None:
    """Each of these once failed every later search for good, though rebuild() repairs them."""
    import shutil

    first = LibrarySearch(library, shortlist_above=2, shortlist=3)
    first.store.store.optimise()  # the text index exists, to be damaged
    videos = store_files(library) / "videos.lance"
    if damage == "truncated manifest":
        for manifest in (videos / "_versions").glob("*.manifest"):
            manifest.write_bytes(manifest.read_bytes()[:20])
    elif damage == "no versions":
        shutil.rmtree(videos / "_versions")
    elif damage == "no text index":
        indices = store_files(library) / "lines.lance" / "_indices"
        assert indices.is_dir()
        shutil.rmtree(indices)
        (indices).mkdir()
    else:
        shutil.rmtree(videos)
        videos.mkdir()
    again = LibrarySearch(library, shortlist_above=2, shortlist=3, optimise=False)
    assert again.search("italian stuntman", visual_weight=0.5).hits[0].video == "film-3"
    assert isinstance(again.store, IndexedStore)
    for _ in range(100):  # damaged in a way found only by a query: rebuilt meanwhile
        if not again.store.broken:
            break
        __import__("time").sleep(0.1)
    assert not again.store.broken and again.store.ready() == library.ids()
    assert LibrarySearch(library, shortlist_above=2, shortlist=3).search(
        "gondola pier", visual_weight=0.2).hits[0].video == "film-5"


@pytest.mark.parametrize("where", ["a file", "/proc", "an unknown scheme", "unwritable"])
def test_a_store_that_cannot_be_had_leaves_searches_to_the_folders(
        library: Library, tmp_path: Path, monkeypatch, where: str) -> None:
    if where == "a file":
        (tmp_path / "store").write_text("not a store")
        monkeypatch.setenv("ONEFRAME_STORE", str(tmp_path / "store"))
    elif where == "/proc":
        monkeypatch.setenv("ONEFRAME_STORE", "/proc/oneframe-store")
    elif where == "an unknown scheme":
        monkeypatch.setenv("ONEFRAME_STORE", "nosuch://bucket/library.store")
    else:  # the library can't be written where the store's lock goes (and it has no store)
        (library.root / ".store.lock").mkdir()
    whole = LibrarySearch(library, shortlist_above=2, shortlist=3)
    assert whole.search("italian stuntman", visual_weight=0.5).hits[0].video == "film-3"
    assert isinstance(whole.store, FolderStore)
    assert any("searches read the library's folders" in s for s in whole.skipped)
    assert not any(str(tmp_path) in s or "/proc" in s or "bucket" in s for s in whole.skipped)
