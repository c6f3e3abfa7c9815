"""The LanceDB store: a derived index of the library's folders, all-or-nothing per video."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import needs_sentence_model
from planted import plant, unit

from oneframe.dialogue.cues import Cue
from oneframe.encoders.dual import resolve_model
from oneframe.index import store as store_module
from oneframe.index import store_queries
from oneframe.index.store import VIDEOS, VectorStore, group_name
from oneframe.library.folders import Library

DIM = 16
CUES = [Cue(1.0, 2.5, "Where did you put my keys?"), Cue(6.0, 8.0, "In the kitchen drawer.")]


def vectors(seed: int, n: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return unit(rng.standard_normal((n, DIM))).astype(np.float32)


@pytest.fixture()
def library() -> Library:
    library = Library()
    for i in range(3):
        plant(library, f"film-{i}", [float(t) for t in range(40)], vectors(i), CUES,
              resolve_model())
    return library


def exact(library: Library, query: np.ndarray, k: int,
          videos: list[str] | None = None) -> list[tuple[str, int]]:
    rows = []
    for vid in videos or library.ids():
        stored = library.load(vid).embeddings.astype(np.float32)
        rows += [(float(c), vid, i) for i, c in enumerate(stored @ query)]
    return [(v, i) for _, v, i in sorted(rows, reverse=True)[:k]]


def test_a_library_of_today_migrates_on_first_sync_and_again_is_a_no_op(
        library: Library) -> None:
    store = VectorStore(library)
    added, removed = store.sync()
    assert sorted(added) == library.ids() and removed == []
    assert store.sync() == ([], [])
    assert store.ready() == library.ids()
    query = vectors(99, 1)[0]
    found = store.nearest("frames", resolve_model(), query, 5)
    assert [(m.video, m.row) for m in found] == exact(library, query, 5)
    stored = library.load(found[0].video).embeddings[found[0].row].astype(np.float32)
    assert found[0].score == pytest.approx(float(stored @ query), abs=2e-3)
    few = store.nearest("frames", resolve_model(), query, 3, videos=["film-1"])
    assert [(m.video, m.row) for m in few] == exact(library, query, 3, ["film-1"])


@needs_sentence_model
def test_dialogue_windows_are_stored_per_dialogue_model(library: Library) -> None:
    store = VectorStore(library)
    store.sync()
    record = library.get("film-0")
    window = library.load("film-0").dialog_vectors
    found = store.nearest("windows", record.dialog_model, window[1].astype(np.float32), 3)
    assert found[0].row == 1 and found[0].score > 0.99
    assert {m.video for m in found} == {"film-0", "film-1", "film-2"}  # the same lines


@pytest.fixture()
def unfollowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Library changes that don't reach the store by themselves (made by an older oneframe,
    or a follow that failed), so the next sync must find them."""
    import planted

    monkeypatch.setattr(planted, "follow", lambda library: None)


@pytest.mark.usefixtures("unfollowed")
def test_adding_and_removing_touch_only_that_video(library: Library) -> None:
    store = VectorStore(library)
    store.sync()
    table = store.db.open_table(group_name("frames", resolve_model(), DIM))
    before = table.version
    library.remove("film-1")
    plant(library, "film-3", [float(t) for t in range(40)], vectors(3), CUES, resolve_model())
    assert store.sync() == (["film-3"], ["film-1"])
    assert store.ready() == ["film-0", "film-2", "film-3"]
    assert table.count_rows("video = 'film-1'") == 0
    assert table.count_rows("video = 'film-0'") == 40 == table.count_rows("video = 'film-3'")
    assert table.version - before <= 3  # one delete, one append (not a rewrite per video)


def test_optimise_drops_old_versions_and_keeps_every_row(
        library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from oneframe.index import lance_tables as module

    store = VectorStore(library)
    store.sync()
    library.remove("film-2")
    store.sync()
    table = store.db.open_table(group_name("frames", resolve_model(), DIM))
    before = len(table.list_versions())
    monkeypatch.setattr(module, "KEEP_VERSIONS", timedelta(0))
    store.optimise()
    assert len(table.list_versions()) < before
    assert table.count_rows() == 80 and store.ready() == ["film-0", "film-1"]
    query = vectors(99, 1)[0]
    found = store.nearest("frames", resolve_model(), query, 5)
    assert [(m.video, m.row) for m in found] == exact(library, query, 5)


@pytest.mark.usefixtures("unfollowed")
def test_a_replaced_video_is_written_again(library: Library) -> None:
    store = VectorStore(library)
    store.sync()
    plant(library, "film-0", [float(t) for t in range(20)], vectors(7, 20), CUES, "other/model")
    assert store.sync() == (["film-0"], [])
    old = store.db.open_table(group_name("frames", resolve_model(), DIM))
    assert old.count_rows("video = 'film-0'") == 0
    query = vectors(7, 20)[4]
    [best] = store.nearest("frames", "other/model", query, 1)
    assert (best.video, best.row) == ("film-0", 4)


@pytest.mark.usefixtures("unfollowed")
def test_a_sync_stopped_midway_shows_nothing_of_that_video_and_the_next_one_finishes(
        library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    store = VectorStore(library)
    store.sync()
    plant(library, "film-9", [float(t) for t in range(40)], vectors(9), CUES, resolve_model())
    real_add = VectorStore._add

    def crash_after_frames(self: VectorStore, name: str, data: object) -> None:
        real_add(self, name, data)
        if name.startswith("frames_"):
            raise KeyboardInterrupt  # killed between the frames and the ready mark

    monkeypatch.setattr(VectorStore, "_add", crash_after_frames)
    with pytest.raises(KeyboardInterrupt):
        store.sync()
    monkeypatch.setattr(VectorStore, "_add", real_add)
    reopened = VectorStore(library)
    assert "film-9" not in reopened.ready()
    query = vectors(9)[5]
    assert all(m.video != "film-9" for m in reopened.nearest("frames", resolve_model(), query,
                                                             10))
    assert reopened.sync() == (["film-9"], [])
    table = reopened.db.open_table(group_name("frames", resolve_model(), DIM))
    assert table.count_rows("video = 'film-9'") == 40  # no rows left twice
    assert reopened.nearest("frames", resolve_model(), query, 1)[0].video == "film-9"
    assert reopened.db.open_table(VIDEOS).count_rows() == 4


def test_a_lost_store_is_rebuilt_from_the_folders(library: Library) -> None:
    store = VectorStore(library)
    store.sync()
    store.rebuild()
    assert store.ready() == library.ids()


@pytest.mark.parametrize(("cache_mb", "lean", "kind", "index_type", "bits"), [
    (512, "auto", "frames", "IvfSq", 8), (1, "0", "frames", "IvfRq", 2),
    (512, "auto", "windows", "IvfRq", 4), (512, "1", "frames", "IvfRq", 1),
    (512, "1", "windows", "IvfRq", 1)])
def test_ann_index_keeps_recall_against_exact_search(tmp_path, monkeypatch, cache_mb: int,
                                                     lean: str, kind: str, index_type: str,
                                                     bits: int) -> None:
    """Clustered vectors (shots of similar frames, as in films), the IVF index optimise
    builds (frames: 8-bit codes where they fit the cache, else 2-bit; dialogue windows: 4-bit;
    1-bit either where the store is lean) and re-ranking: recall@10 of at least 0.95 against
    exact."""
    import pyarrow as pa

    from oneframe.index import lance_tables as module

    rng = np.random.default_rng(0)
    centres = unit(rng.standard_normal((400, 64)))
    rows = unit(centres[rng.integers(0, 400, 40_000)] + 0.3 * rng.standard_normal((40_000, 64))
                / 8).astype(np.float32)
    library = Library(tmp_path / "library")
    store = VectorStore(library)
    name = group_name(kind, "m", 64)
    row = "frame" if kind == "frames" else "window"
    for v in range(4):
        part = rows[v * 10_000:(v + 1) * 10_000]
        store._add(name, pa.table({"video": [f"file-{v}"] * len(part),
                                   row: np.arange(len(part), dtype=np.int32),
                                   "vector": module.vector_column(part)}))
        store._add(VIDEOS, pa.table({"video": [f"file-{v}"], "stamp": ["x"], "model": ["m"],
                                     "frames": [len(part)], "ready": [True]}))
    monkeypatch.setattr(module, "ANN_ROWS", 20_000)
    monkeypatch.setenv("ONEFRAME_STORE_CACHE_MB", str(cache_mb))
    monkeypatch.setenv("ONEFRAME_STORE_LEAN", lean)
    store.optimise()
    [index] = [i for i in store.db.open_table(name).list_indices() if i.name == "vector_idx"]
    assert index.index_type == index_type
    assert (index.index_details.get("compression") or {}).get("num_bits", 8) == bits
    assert module.code_bits(index) == bits
    assert module.search_settings(store.db.open_table(name))[1] == (  # 1 bit: re-ranked deeper
        module.LEAN_REFINE_ROWS if bits == 1 else
        module.SQ_REFINE_ROWS if index_type == "IvfSq" else module.REFINE_ROWS)
    recalls = []
    # far from every frame, as a text query is from images (at 1 probe recall is about 0.25)
    for q in unit(centres[rng.integers(0, 400, 20)] + rng.standard_normal((20, 64))):
        truth = set(np.argsort(-(rows.astype(np.float16).astype(np.float32) @ q))[:10].tolist())
        found = store.nearest(kind, "m", q.astype(np.float32), 10)
        recalls.append(len({int(m.video[5:]) * 10_000 + m.row for m in found} & truth) / 10)
    assert np.mean(recalls) >= 0.95, recalls

    # over more videos than EXACT_VIDEOS, but not all: the index, their ids a prefilter
    from lancedb.query import LanceVectorQueryBuilder

    exact_scans = []
    bypass = LanceVectorQueryBuilder.bypass_vector_index
    monkeypatch.setattr(LanceVectorQueryBuilder, "bypass_vector_index",
                        lambda self: exact_scans.append(1) or bypass(self))
    monkeypatch.setattr(store_queries, "EXACT_VIDEOS", 2)
    chosen = ["file-0", "file-2", "file-3"]
    within = np.concatenate([np.arange(v * 10_000, (v + 1) * 10_000) for v in (0, 2, 3)])
    recalls = []
    for q in unit(centres[rng.integers(0, 400, 10)] + rng.standard_normal((10, 64))):
        cosines = rows[within].astype(np.float16).astype(np.float32) @ q
        truth = set(within[np.argsort(-cosines)[:10]].tolist())
        found = store.nearest(kind, "m", q.astype(np.float32), 10, videos=chosen)
        assert {m.video for m in found} <= set(chosen)
        recalls.append(len({int(m.video[5:]) * 10_000 + m.row for m in found} & truth) / 10)
    assert np.mean(recalls) >= 0.95 and not exact_scans, recalls
    store.nearest(kind, "m", q.astype(np.float32), 10, videos=chosen[:2])
    assert exact_scans  # two videos: their rows scanned


def test_prewarm_brings_the_indexes_into_memory(library: Library) -> None:
    """A server's warm-up: the indexes a first query reads are in LanceDB's cache ahead of it."""
    store = VectorStore(library)
    store.sync()
    store.optimise()  # the lines' full-text index
    fresh = VectorStore(library)
    before = fresh.session.size_bytes
    fresh.prewarm()
    assert fresh.session.size_bytes > before + 1000


def test_the_index_cache_grows_to_hold_the_store_s_indexes(tmp_path, monkeypatch) -> None:
    """Every query probes every partition, so a cache smaller than the indexes held none of
    them for long (1,000 films: each query read the whole index again). A store opens, and is
    connected again after an optimise indexed it, with room for all its indexes; a size the
    operator set stays."""
    import pyarrow as pa

    from oneframe.index import lance_tables as module

    monkeypatch.setattr(module, "ANN_ROWS", 20_000)
    monkeypatch.setattr(module, "INDEX_CACHE_MB", 1)
    rows = unit(np.random.default_rng(3).standard_normal((30_000, 256))).astype(np.float32)
    store = VectorStore(Library(tmp_path / "library"))
    assert store.cache_mb == 1  # nothing indexed yet
    name = group_name("frames", "m", 256)
    store._add(name, pa.table({"video": ["file-0"] * len(rows),
                               "frame": np.arange(len(rows), dtype=np.int32),
                               "time": np.arange(len(rows), dtype=np.float64),
                               "vector": module.vector_column(rows)}))
    store._add(VIDEOS, pa.table({"video": ["file-0"], "stamp": ["x"], "model": ["m"],
                                 "frames": [len(rows)], "ready": [True]}))
    store.optimise()
    indexes = sum(i.size_bytes for i in store.db.open_table(name).list_indices())
    assert indexes > 2 << 20
    assert store.cache_mb << 20 >= indexes  # connected again, with room for them
    for opened in (store, VectorStore(store.library)):
        opened.prewarm()
        assert opened.session.size_bytes > 2 << 20, opened.cache_mb  # held, not 1 MB of it

    monkeypatch.setenv("ONEFRAME_STORE_CACHE_MB", "1")
    capped = VectorStore(store.library)
    capped.prewarm()
    assert capped.cache_mb == 1 and capped.session.size_bytes < 2 << 20


def test_a_setting_that_is_not_a_number_is_one_clear_error(monkeypatch) -> None:
    """Importing the store never fails on a setting; using it says which and what it may be."""
    import importlib

    from oneframe.core.settings import SettingError
    from oneframe.index import lance_tables

    monkeypatch.setenv("ONEFRAME_STORE_CACHE_MB", "lots")
    importlib.reload(lance_tables)  # at import: no error
    with pytest.raises(SettingError, match="ONEFRAME_STORE_CACHE_MB='lots' is not a whole "
                                           "number: set it to a whole number more than 0"):
        lance_tables.new_session()
    monkeypatch.setenv("ONEFRAME_STORE_CACHE_MB", "-5")
    with pytest.raises(SettingError, match="out of range"):
        lance_tables.index_cache_mb()


def test_lines_in_any_script_are_found_by_their_words_and_stems() -> None:
    library = Library()
    said = {"en": ["Where did you put my keys?", "In the kitchen drawer."],
            "ru": ["Я не знаю, где ключи от машины.", "Мы встретимся завтра у вокзала."],
            "ja": ["車の鍵がどこにあるかわかりません。", "明日、駅で会いましょう。"]}
    for i, (lang, lines) in enumerate(said.items()):
        plant(library, f"film-{lang}", [float(t) for t in range(10)], vectors(i, 10),
              [Cue(1.0 + 4 * n, 3.0 + 4 * n, text) for n, text in enumerate(lines)],
              resolve_model())
    store = VectorStore(library)
    store.sync()
    for query, where in (("ключами от машины", ("film-ru", 0)),  # a Russian stem
                         ("駅で会い", ("film-ja", 1)), ("the kitchen drawers", ("film-en", 1))):
        found = store.lines(query, 3)
        assert (found[0].video, found[0].row) == where, query
    assert {r["lang"] for r in store._videos()} == {"en", "ru", "ja"}


def test_a_store_of_the_earlier_layout_is_rebuilt(library: Library) -> None:
    import pyarrow as pa

    store = VectorStore(library)
    store.db.create_table(store_module.OLD_CUES, pa.table({"video": ["film-0"], "cue": [0],
                                                           "text": ["Where did you put"]}))
    store.db.create_table(VIDEOS, pa.table({"video": ["film-0"], "stamp": ["old"],
                                            "ready": [True]}))
    added, _ = store.sync()
    assert sorted(added) == library.ids() and store_module.OLD_CUES not in store._tables()
    assert store.lines("where did you put my keys", 5)[0].row == 0


def test_one_film_added_or_removed_costs_its_rows_not_an_index_rewrite(tmp_path,
                                                                      monkeypatch) -> None:
    """Once a table is indexed, optimise leaves it until the rows outside the index (or the
    deleted ones) pass DELTA_SHARE: a new film is searched exactly beside the index meanwhile,
    and a removed one is gone at once."""
    import pyarrow as pa

    from oneframe.index import lance_tables as module

    rng = np.random.default_rng(1)
    library = Library(tmp_path / "library")
    store = VectorStore(library)
    name = group_name("frames", "m", 64)

    def film(vid: str, vectors: np.ndarray) -> None:
        store._add(name, pa.table({"video": [vid] * len(vectors),
                                   "frame": np.arange(len(vectors), dtype=np.int32),
                                   "time": np.arange(len(vectors), dtype=np.float64),
                                   "vector": module.vector_column(vectors)}))
        store._add(VIDEOS, pa.table({"video": [vid], "stamp": ["x"], "model": ["m"],
                                     "frames": [len(vectors)], "ready": [True]}))

    for v in range(4):
        film(f"file-{v}", unit(rng.standard_normal((10_000, 64))).astype(np.float32))
    monkeypatch.setattr(module, "ANN_ROWS", 20_000)
    store.optimise()
    table = store.db.open_table(name)
    assert table.index_stats("vector_idx").num_unindexed_rows == 0
    version = table.version
    target = unit(rng.standard_normal((1, 64)))[0].astype(np.float32)
    film("new", np.vstack([target, unit(rng.standard_normal((999, 64)))]).astype(np.float32))
    store.optimise()  # 1,000 of 41,000 rows: not due
    table = store.db.open_table(name)
    assert table.index_stats("vector_idx").num_unindexed_rows == 1000
    assert table.version == version + 1  # the film's append only: nothing rewritten
    [best, *_] = store.nearest("frames", "m", target, 5)
    assert (best.video, best.row) == ("new", 0)  # found outside the index, exactly
    store._drop("new")
    assert "new" not in {m.video for m in store.nearest("frames", "m", target, 5)}
    monkeypatch.setattr(module, "MAX_VERSIONS", 2)
    version = store.db.open_table(name).version
    store.optimise()  # many versions, but all newer than KEEP_VERSIONS: none droppable, not due
    assert store.db.open_table(name).version == version
    film("more", unit(rng.standard_normal((2_000, 64))).astype(np.float32))
    store.optimise()  # 2,000 more rows outside the index: 4.8% of 42,000, due
    assert store.db.open_table(name).index_stats("vector_idx").num_unindexed_rows == 0
    assert {m.video for m in store.nearest("frames", "m", target, 5)} <= {
        "file-0", "file-1", "file-2", "file-3", "more"}


def test_a_new_vector_index_is_settled_before_the_next_optimise(tmp_path, monkeypatch) -> None:
    """LanceDB's optimise splits IVF partitions of over 4 x 4,096 rows, rewriting the index
    (at 500 films 378 s, in whichever optimise came next); the store's optimise that makes an
    index settles it, so the next optimise leaves it as it is."""
    import pyarrow as pa

    from oneframe.index import lance_tables as module

    monkeypatch.setattr(module, "PARTITION_ROWS", 1 << 30)  # 16 partitions of 18,750 rows
    rows = unit(np.random.default_rng(1).standard_normal((300_000, 16))).astype(np.float32)
    store = VectorStore(Library(tmp_path / "library"))
    name = group_name("frames", "m", 16)
    store._add(name, pa.table({"video": ["file-0"] * len(rows),
                               "frame": np.arange(len(rows), dtype=np.int32),
                               "vector": module.vector_column(rows)}))
    store.optimise()
    table = store.db.open_table(name)
    made = module.vector_index_uuid(table)
    assert made is not None
    module._optimize(table)
    assert module.vector_index_uuid(table) == made


def test_lean_codes_where_full_ones_would_fill_half_the_index_cache(monkeypatch) -> None:
    """Auto: 1-bit codes once a table's full codes (and LanceDB's 16 bytes a row) would take
    more than half the index cache the operator set; 1 and 0 say so whatever the size; anything
    else is a clear error naming the setting."""
    from oneframe.core.settings import SettingError
    from oneframe.index.lance_tables import index_config, lean_codes

    monkeypatch.setenv("ONEFRAME_STORE_CACHE_MB", "1000")
    # 2-bit 512-wide: 144 bytes a row; half of 1,000 MB holds 3.6 million rows
    assert not lean_codes(3_600_000, 512, 2)
    assert lean_codes(3_700_000, 512, 2)
    assert index_config(3_700_000, 512).num_bits == 1
    assert index_config(3_600_000, 512).num_bits == 2
    # 4-bit 384-wide windows: 208 bytes a row, 2.5 million of them past half the cache
    assert index_config(2_400_000, 384, "windows").num_bits == 4
    assert index_config(2_600_000, 384, "windows").num_bits == 1
    monkeypatch.setenv("ONEFRAME_STORE_LEAN", "0")
    assert index_config(3_700_000, 512).num_bits == 2
    monkeypatch.setenv("ONEFRAME_STORE_LEAN", "1")
    assert index_config(300_000, 512).num_bits == 1  # not the 8-bit codes that would fit
    assert index_config(300_000, 384, "windows").num_bits == 1
    monkeypatch.setenv("ONEFRAME_STORE_LEAN", "small")
    with pytest.raises(SettingError, match="ONEFRAME_STORE_LEAN must be one of auto, 1, 0"):
        lean_codes(10, 512, 2)
