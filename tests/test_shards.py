"""A store split by video into shards: the same results as one store, searched in this process
(the Ray actors are tests/test_cluster.py's); a shard down or slow is named, never an error;
adding or removing a video touches its shard alone."""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import SENTENCE_MODEL
from planted import NOUNS, film_library, image_like, plant

from oneframe.cli.main import main
from oneframe.dialogue.cues import Cue
from oneframe.encoders.dual import resolve_model
from oneframe.index.shard_servers import ShardServer
from oneframe.index.shards import ShardPlan, read_plan, shard_lock, shard_of, shard_uris, write_plan
from oneframe.index.splitting import split_store
from oneframe.index.store import VectorStore
from oneframe.index.store_queries import CANDIDATES, Found, Match, merged
from oneframe.index.stores import IndexedStore, ShardedStore
from oneframe.ingest.remove import remove
from oneframe.library.folders import Library
from oneframe.search.library import LibrarySearch

FILMS = 30


def top(search: LibrarySearch, query: str, weight: float) -> list[tuple[str, float]]:
    result = search.search(query, visual_weight=weight, top_k=10)
    return [(h.video, round(h.time, 2)) for h in result.hits]


@pytest.fixture(scope="module")
def built(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, list[tuple[str, float]]]:
    """The films, planted once for the module (with the models every test uses)."""
    root = tmp_path_factory.mktemp("films") / "library"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ONEFRAME_MODEL", str(tiny_model_dir))
        if SENTENCE_MODEL is not None:
            env.setenv("ONEFRAME_DIALOG_MODEL", str(SENTENCE_MODEL))
        return root, film_library(Library(root), FILMS)


@pytest.fixture()
def films(built: tuple[Path, list[tuple[str, float]]]) -> tuple[Library, list[tuple[str, float]]]:
    """A copy of the films in this test's own library."""
    library = Library()
    shutil.copytree(built[0], library.root)
    return library, built[1]


def test_a_video_keeps_its_shard_and_a_new_count_moves_few() -> None:
    ids = [f"yt-{n:011d}" for n in range(3000)]
    three = [shard_of(v, 3) for v in ids]
    assert three == [shard_of(v, 3) for v in ids]  # stable
    assert all(900 < c < 1100 for c in Counter(three).values())  # even
    moved = sum(a != shard_of(v, 4) for a, v in zip(three, ids, strict=True))
    assert 0.15 < moved / len(ids) < 0.35  # about a quarter, not most


def test_shards_answer_as_one_store_does(films: tuple[Library, list[tuple[str, float]]]
                                         ) -> None:
    library, queries = films
    one = LibrarySearch(library, optimise=False)
    assert isinstance(one.store, IndexedStore)
    one.store.store.optimise(force=True)  # its lines' full-text index, as a split's shards have
    expected = {q: top(one, q, w) for q, w in queries}
    assert [q for q, hits in expected.items() if not hits] == []

    plan = split_store(library, 3)
    assert plan is not None and plan.count == 3 and read_plan(library) == plan
    assert not (library.root / ".store").exists()  # the one store went once split
    sharded = LibrarySearch(library, optimise=False)
    assert isinstance(sharded.store, ShardedStore)
    held = [VectorStore(library, shard=(plan, k)).ready() for k in range(3)]
    assert sorted(v for shard in held for v in shard) == library.ids()
    assert all(len(shard) >= 5 for shard in held)
    differ = [q for q, w in queries if top(sharded, q, w) != expected[q]]
    assert differ == []

    # re-split into two, then back into one store: the same answers each time
    split_store(library, 2)
    assert top(LibrarySearch(library, optimise=False), *queries[7]) == expected[queries[7][0]]
    assert split_store(library, 1) is None and read_plan(library) is None
    assert not (library.root / ".store-shards").exists()
    back = LibrarySearch(library, optimise=False)
    assert isinstance(back.store, IndexedStore)
    assert top(back, *queries[0]) == expected[queries[0][0]]


def test_a_shard_that_fails_or_is_slow_is_named_and_the_rest_answer(
        films: tuple[Library, list[tuple[str, float]]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    library, _ = films
    plan = split_store(library, 3)
    assert plan is not None
    noun = NOUNS[0]  # said in films 0 and 20 (and 11: film n says NOUNS[(3n + 7) % 20])
    holders = sorted({plan.of(v) for v in ("film-000", "film-020")})
    down = holders[0]
    calls = ShardServer.channels

    def failing(self: ShardServer, *asked: object) -> object:
        if self.shard == down:
            raise OSError("the shard's disk went away")
        return calls(self, *asked)

    monkeypatch.setattr(ShardServer, "channels", failing)
    search = LibrarySearch(library, optimise=False)
    result = search.search(f"the {noun}", visual_weight=0.0, top_k=10)
    [note] = result.warnings
    assert f"Shard {down + 1} of 3, holding" in note and "not searched" in note
    assert "OSError" in note and "disk went away" not in note  # its text is the log's
    assert "the shard's disk went away" in caplog.text
    assert result.hits and all(plan.of(h.video) != down for h in result.hits[:1])
    assert main(["search", f"the {noun}", "--json"]) == 0  # the command line says so too
    err = capsys.readouterr()
    assert f"note: Shard {down + 1} of 3" in err.err
    assert f"Shard {down + 1} of 3" in json.loads(err.out)["warnings"][0]

    def slow(self: ShardServer, *asked: object) -> object:
        if self.shard == down:
            time.sleep(1.5)
        return calls(self, *asked)

    monkeypatch.setattr(ShardServer, "channels", slow)
    monkeypatch.setenv("ONEFRAME_SHARD_DEADLINE", "0.3")
    started = time.monotonic()
    result = search.search(f"the {noun}", visual_weight=0.0, top_k=10)
    assert time.monotonic() - started < 1.4  # answered without waiting for it
    assert any(f"Shard {down + 1} of 3" in w and "within 0.3 s" in w for w in result.warnings)
    monkeypatch.setattr(ShardServer, "channels", calls)
    # still busy with that search: not asked again (no more threads on a stuck shard)
    [note] = search.search(f"the {noun}", visual_weight=0.0).warnings
    assert f"Shard {down + 1} of 3" in note and "past the deadline of an earlier search" in note
    time.sleep(1.5)
    assert not search.search(f"the {noun}", visual_weight=0.0).warnings


def versions(library: Library) -> list[int]:
    plan = read_plan(library)
    assert plan is not None
    found = []
    for k in range(plan.count):
        db = VectorStore(library, shard=(plan, k)).db
        found.append(sum(db.open_table(t).version for t in db.list_tables().tables))
    return found


def test_adding_or_removing_a_video_touches_its_shard_alone(
        films: tuple[Library, list[tuple[str, float]]]) -> None:
    library, _ = films
    plan = split_store(library, 3)
    assert plan is not None
    before = versions(library)
    cues = [Cue(1.0, 3.0, "The quokka waved from the ferry.")]
    plant(library, "film-new", [0.0, 1.0, 2.0], image_like(3, ["x"], seed=99), cues,
          resolve_model())
    mine = plan.of("film-new")
    after = versions(library)
    assert [k for k in range(3) if after[k] != before[k]] == [mine]
    assert "film-new" in VectorStore(library, shard=(plan, mine)).ready()
    hits = LibrarySearch(library, optimise=False).search("quokka ferry", visual_weight=0.0)
    assert hits.hits[0].video == "film-new"

    remove(library, "film-new")
    again = versions(library)
    assert [k for k in range(3) if again[k] != after[k]] == [mine]
    assert "film-new" not in VectorStore(library, shard=(plan, mine)).ready()


def test_the_store_commands_split_report_and_join(
        films: tuple[Library, list[tuple[str, float]]], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    library, _ = films
    assert main(["store", "shard", "--count", "3"]) == 0
    assert "shard 3 of 3:" in capsys.readouterr().out
    assert main(["store", "shards", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["shard"] for r in rows] == [1, 2, 3] and {r["of"] for r in rows} == {3}
    assert sum(r["videos"] for r in rows) == FILMS
    assert all(r["videos"] == r["library"] for r in rows)
    assert main(["store", "sync"]) == 0  # over every shard
    assert f"{FILMS} videos, the library has {FILMS}" in capsys.readouterr().out
    assert main(["store", "shards"]) == 0
    assert "shard 2 of 3:" in capsys.readouterr().out
    # a shard's store lost: `store shards` says so (exit 1), a search brings it back
    plan = read_plan(library)
    assert plan is not None
    VectorStore(library, shard=(plan, 1)).drop()
    assert main(["store", "shards"]) == 1
    assert main(["search", "the gondola", "--json"]) == 0
    capsys.readouterr()
    assert main(["store", "shards"]) == 0
    # Ray asked for but not reachable: searched in this process, with a note saying so
    monkeypatch.setenv("ONEFRAME_RAY_ADDRESS", "ray://127.0.0.1:9")
    search = LibrarySearch(library, optimise=False)
    assert any("Ray cluster can't be reached" in n and "127.0.0.1" not in n for n in search.skipped)
    assert search.search("the gondola", visual_weight=0.0).hits
    monkeypatch.delenv("ONEFRAME_RAY_ADDRESS")
    assert main(["store", "shard", "--count", "1"]) == 0
    assert read_plan(library) is None and np.isfinite(len(VectorStore(library).ready()))


def test_the_search_page_shows_the_note_of_a_shard_not_searched(
        films: tuple[Library, list[tuple[str, float]]], monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest
    from test_pages import ROOT, ok, page, shown, text_of

    library, _ = films
    plan = split_store(library, 3)
    assert plan is not None
    down = plan.of("film-020")  # one of the gondola's films
    calls = ShardServer.channels

    def failing(self: ShardServer, *asked: object) -> object:
        if self.shard == down:
            raise OSError("the shard's disk went away")
        return calls(self, *asked)

    monkeypatch.setattr(ShardServer, "channels", failing)
    at = page(AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run(), "search")
    at.text_input(key="query").input("meet me by the gondola")
    at.button(key="go").click().run()
    assert ok(at) and "#1 ·" in text_of(at)
    assert f"Shard {down + 1} of 3" in shown(at.warning) and "not searched" in shown(at.warning)
    assert "disk went away" not in shown(at.warning)  # a visitor reads no server's error


def test_a_split_leaves_no_store_behind_and_the_app_sees_it(
        films: tuple[Library, list[tuple[str, float]]]) -> None:
    library, _ = films
    LibrarySearch(library, optimise=False)  # the one store, made by a search
    state = library.state()
    # a split stopped after switching (the one store still there) and one stopped midway
    # into three (its first shard made): the next split removes both, nothing else
    write_plan(library, ShardPlan(tuple(shard_uris(str(library.root / ".store"), 2))))
    assert library.state() != state  # the app's cache key: a split is a new library state
    VectorStore(library, shard=(ShardPlan(tuple(shard_uris(str(library.root / ".store"), 3))),
                                0)).sync()
    keep = library.root / "notes"
    keep.mkdir()
    plan = split_store(library, 2)
    assert plan is not None
    assert not (library.root / ".store").exists()
    assert sorted(p.name for p in (library.root / ".store-shards").iterdir()) == ["2-0", "2-1"]
    assert keep.is_dir()
    # a shard's writes are locked by its location: building shard 1 of a new split never
    # waits on shard 1 in use
    new = ShardPlan(tuple(shard_uris(str(library.root / ".store"), 4)))
    assert shard_lock(library, plan.uris[1]) != shard_lock(library, new.uris[1])


def line(video: str, row: int, score: float, terms: str, fuzzy: bool = False) -> Match:
    return Match(video, row, score, terms, fuzzy)


def test_merged_lines_look_for_typos_only_as_one_store_would() -> None:
    counts = {"cat": 150, " lines": 1000, " tokens": 5000}
    exact = Found([[line(f"a-{n:03d}", n, 5.0, "the cat sat") for n in range(120)]],
                  ["cat"], counts)
    typos = Found([[line("b-000", 0, 9.0, "the cat sat"),
                    *(line("b-001", n, 9.0, "the hat sat", True) for n in range(90))]],
                  ["cat"], {"cat": 10, " lines": 1000, " tokens": 5000})
    [lines] = merged([exact, typos])
    assert len(lines) == CANDIDATES and not any(m.fuzzy for m in lines)  # 121 exact ones
    few = Found([[line("a-000", 0, 5.0, "the cat sat")]], ["cat"], counts)
    [lines] = merged([few, typos])
    assert sum(m.fuzzy for m in lines) == 90  # fewer than 100 exact: the typos count
    # a store made before the counts: its own scores, in its order
    [lines] = merged([Found([[line("a-000", 0, 2.0, "x"), line("a-001", 1, 1.0, "cat")]],
                            ["cat"], {})])
    assert [m.row for m in lines] == [0, 1]
