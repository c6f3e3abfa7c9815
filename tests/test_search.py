"""Search: ranking by picture and by dialogue, calibration, distinct moments, image queries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ROOT, needs_sentence_model
from planted import image_like, plant, showing, write_json

from oneframe.core.errors import OneframeError
from oneframe.dialogue.cues import Cue
from oneframe.encoders.dual import load_encoder, resolve_model
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex

QUERY = "the quick brown fox jumps over the lazy dog"
CUES = [
    Cue(2.0, 3.5, "Good morning, everyone."),
    Cue(12.0, 14.0, "The quick brown fox jumps over the lazy dog."),
    Cue(20.0, 22.0, "Where did you put my keys?"),
]


def film(seed: int = 0, n: int = 30) -> tuple[list[float], np.ndarray, np.ndarray]:
    """Frame times 0..n-1, frames the query does not describe, and the query's text vector."""
    vectors = image_like(n, [QUERY], seed)
    return [float(t) for t in range(n)], vectors, load_encoder().embed_texts([QUERY])[0]


@pytest.fixture()
def planted() -> Library:
    """One video: frame 7 looks like the query, the line is said at 12 s."""
    library = Library()
    times, vectors, q = film()
    vectors[7] = showing(vectors[7], q)
    plant(library, "film-a", times, vectors, CUES, resolve_model())
    return library


def test_each_weight_extreme_finds_its_own_moment(planted: Library) -> None:
    index = SearchIndex(planted)
    picture = index.search(QUERY, visual_weight=1.0).hits
    dialogue = index.search(QUERY, visual_weight=0.0).hits
    assert (picture[0].video, picture[0].time, picture[0].frame_index) == ("film-a", 7.0, 7)
    assert picture[0].visual > 0.99
    assert dialogue[0].time == 12.0 and dialogue[0].dialog > 0.8
    assert dialogue[0].text == "The quick brown fox jumps over the lazy dog."
    assert dialogue[0].marked == "The **quick brown fox jumps** over the **lazy dog.**"
    both = index.search(QUERY, visual_weight=0.5).hits
    assert {round(h.time) for h in both[:2]} >= {7}
    line = next(h for h in both[:2] if h.dialog > 0.8)
    assert line.start == 12.0 and 12.0 <= line.time < 14.0  # played from the start of the line
    assert next(h for h in both[:2] if h is not line).start == 5.0  # 2 s before the picture


def test_weights_0_and_1_reduce_to_each_channels_order(planted: Library) -> None:
    index = SearchIndex(planted)
    times, vectors, q = film()
    vectors[7] = showing(vectors[7], q)
    hits = index.search(QUERY, visual_weight=1.0, top_k=10, min_gap=0).hits
    assert [h.frame_index for h in hits] == [7]  # the only frame that shows it
    assert hits[0].score == hits[0].visual > 0.99
    hits = index.search(QUERY, visual_weight=0.0, top_k=30, min_gap=0).hits
    dialog = [h.dialog for h in hits]
    assert dialog == sorted(dialog, reverse=True) and dialog[0] > 0.8
    with_dialog = [h for h in hits if h.dialog > 0]
    assert {round(h.time) for h in with_dialog} <= {1, 2, 3, 4, 11, 12, 13, 14, 19, 20, 21, 22}


def test_distinct_moments_not_neighbouring_frames() -> None:
    library = Library()
    times, vectors, q = film(seed=1)
    for t, strength in ((5, 0.4), (6, 0.5), (7, 0.35), (20, 0.3)):
        vectors[t] = showing(vectors[t], q, strength)
    plant(library, "shots", times, vectors, [], resolve_model())
    index = SearchIndex(library)
    assert [h.time for h in index.search(QUERY, top_k=2).hits] == [6.0, 20.0]
    assert [h.time for h in index.search(QUERY, top_k=2, min_gap=0).hits] == [6.0, 5.0]
    assert [h.time for h in index.search(QUERY, top_k=2, min_gap=30).hits] == [6.0]


def test_no_captions_means_no_dialogue_channel() -> None:
    library = Library()
    times, vectors, q = film(seed=2)
    vectors[9] = showing(vectors[9], q)
    plant(library, "silent", times, vectors, [], resolve_model())
    for weight in (0.0, 0.5, 1.0):
        result = SearchIndex(library).search(QUERY, visual_weight=weight)
        assert result.dialog_absent and result.hits[0].time == 9.0
        assert all(h.dialog is None for h in result.hits)


def test_several_videos_and_the_whole_library(planted: Library) -> None:
    times, vectors, q = film(seed=3)
    vectors[3] = showing(vectors[3], q)
    plant(planted, "film-b", times, vectors, [], resolve_model())
    index = SearchIndex(planted)
    top = index.search(QUERY, visual_weight=1.0, top_k=4).hits
    assert {(h.video, h.time) for h in top[:2]} == {("film-a", 7.0), ("film-b", 3.0)}
    only_b = index.search(QUERY, videos=["film-b"], visual_weight=0.0).hits
    assert {h.video for h in only_b} == {"film-b"} and only_b[0].dialog is None
    mixed = index.search(QUERY, visual_weight=0.0).hits
    assert (mixed[0].video, mixed[0].time) == ("film-a", 12.0)
    with pytest.raises(OneframeError, match="No video nope"):
        index.search(QUERY, videos=["nope"])


def test_youtube_hits_link_to_the_moment() -> None:
    library = Library()
    times, vectors, q = film(seed=4)
    vectors[15] = showing(vectors[15], q)
    plant(library, "yt-dQw4w9WgXcQ", times, vectors, [], resolve_model(),
          url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    hit = SearchIndex(library).search(QUERY).hits[0]
    assert hit.time == 15.0 and hit.start == 13.0  # played from a little before
    assert hit.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=13"
    assert set(hit.to_json()) >= {"video", "time", "score", "visual", "dialog", "text", "frame",
                                  "url"}


def test_image_query_finds_the_frame_itself(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    writer = cv2.VideoWriter(str(tmp_path / "noise.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 4,
                             (160, 96))
    for _ in range(12):  # a new picture every second, held for four frames
        picture = rng.integers(0, 255, (96, 160, 3), dtype=np.uint8)
        for _ in range(4):
            writer.write(picture)
    writer.release()
    record = ingest(str(tmp_path / "noise.mp4"))
    index = SearchIndex(Library())
    for frame in (1, record.frames // 2, record.frames - 1):
        hit = index.search(image=record.frame_path(frame), top_k=1).hits[0]
        assert hit.frame_index == frame
        at = index.frame_time(record.id, frame)
        like = index.search(like=(record.id, at), top_k=1).hits[0]  # by the frame's time
        assert like.frame_index == frame and like.score == pytest.approx(1.0)
        assert index.search(like=(record.id, at + 0.1), top_k=1).hits[0].frame_index == frame
    with pytest.raises(OneframeError, match="not an image"):
        index.search(image=record.video_path)


def test_a_huge_image_query_is_refused_before_it_is_decoded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from oneframe.media.images import read_image

    (tmp_path / "huge.png").write_bytes(png_header(16000, 16000))
    Image.new("RGB", (7000, 7000)).save(tmp_path / "big.png")
    Image.new("RGB", (7000, 7000)).save(tmp_path / "big.jpg")
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size))
    for name in ("huge.png", "big.png", "big.jpg"):
        with pytest.raises(OneframeError, match="too large.*ONEFRAME_MAX_IMAGE_MEGAPIXELS"):
            read_image(tmp_path / name)
    assert decoded == []
    monkeypatch.undo()
    wide = tmp_path / "wide.jpg"
    Image.new("RGB", (6000, 4000), (200, 30, 30)).save(wide)  # 24 megapixels
    assert read_image(wide).shape[:2] == (2000, 3000)  # decoded at half its size
    monkeypatch.setenv("ONEFRAME_MAX_IMAGE_MEGAPIXELS", "10")
    with pytest.raises(OneframeError, match="6,000x4,000 pixels, 24 megapixels"):
        read_image(wide)


def png_header(width: int, height: int) -> bytes:
    """A PNG of this size whose pixels are missing: enough for its size to be read (a file
    whose pixels would take gigabytes to write here)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(
            kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


@needs_sentence_model
@pytest.mark.parametrize(("query", "line"), [
    ("the quick brown fox jumped over a lazy dog", 12.0),  # misremembered
    ("teh quick brwn fox jumps over the lasy dog", 12.0),  # typos
    ("somebody asks where the keys are", 20.0),  # reported speech
    ("where have you put my keys", 20.0),
    ("good morning", 2.0),  # keyword
])
def test_dialogue_forgives_how_people_remember(planted: Library, query: str, line: float) -> None:
    assert SearchIndex(planted).search(query, visual_weight=0.0).hits[0].time == line


@needs_sentence_model
def test_paraphrase_scores_by_meaning(planted: Library) -> None:
    hit = SearchIndex(planted).search("have you seen where my house key went",
                                      visual_weight=0.0).hits[0]
    assert hit.time == 20.0


def test_a_line_over_two_cues(tmp_path: Path) -> None:
    library = Library()
    times, vectors, _ = film(seed=5)
    cues = [Cue(5.0, 6.5, "One move out of place..."),
            Cue(6.6, 8.0, "...and you're ground to a pulp."),
            Cue(15.0, 16.0, "A move in chess.")]
    plant(library, "span", times, vectors, cues, resolve_model())
    hit = SearchIndex(library).search("one move out of place and you're ground to a pulp",
                                      visual_weight=0.0).hits[0]
    assert 5.0 <= hit.time <= 8.0
    assert hit.text == "One move out of place... ...and you're ground to a pulp."


def test_an_exchange_is_found_where_it_starts() -> None:
    """A query that covers two lines of an exchange lands on the first, and is one moment; a
    line that only shares a word with the one before it keeps its own moment."""
    library = Library()
    times, vectors, _ = film(seed=8, n=40)
    cues = [Cue(3.0, 4.0, "Nice day."),
            Cue(10.0, 12.0, "Are you hurt?"),
            Cue(13.0, 15.0, "I don't think so. You?"),
            Cue(25.0, 27.0, "Where is the map?"),
            Cue(28.0, 30.0, "I put the map in the old wooden chest.")]
    plant(library, "exchange", times, vectors, cues, resolve_model())
    index = SearchIndex(library)
    hits = index.search("she asks are you hurt and he says I don't think so",
                        visual_weight=0.0).hits
    assert 10.0 <= hits[0].time < 12.0 and hits[0].start == 10.0
    assert hits[0].text == "Are you hurt? I don't think so. You?"
    assert [h.start for h in hits if h.matched_line] == [10.0]  # its lines aren't shown again
    hit = index.search("I put the map in the old wooden chest", visual_weight=0.0).hits[0]
    assert 28.0 <= hit.time <= 30.0


def test_the_film_whose_lines_say_the_names_is_likelier() -> None:
    """"Emo tells Proog to keep his distance": the film where Emo and Proog talk comes before a
    film that says "keep your distance" to no one named; a query naming no one is as before."""
    library = Library()
    times, vectors, _ = film(seed=9, n=20)
    filler = [Cue(14.0 + i, 14.5 + i, line) for i, line in enumerate(
        ["Good morning.", "Where did you put my keys?", "It is raining again.", "Let's eat."])]
    plant(library, "emo-and-proog", times, vectors,
          [Cue(2.0, 3.0, "Emo, come here."), Cue(10.0, 12.0, "Proog, keep away from me!"),
           *filler], resolve_model())
    plant(library, "another", times, vectors,
          [Cue(5.0, 7.0, "You should keep your distance, Tom."), *filler], resolve_model())
    index = SearchIndex(library)
    named = index.search("Emo tells Proog to keep his distance", visual_weight=0.0).hits
    assert (named[0].video, named[0].start) == ("emo-and-proog", 10.0)
    assert named[1].video == "another"
    plain = index.search("to keep his distance", visual_weight=0.0).hits
    assert plain[0].video == "another"
    alone = SearchIndex(library, ["another"]).search("Emo tells Proog to keep his distance",
                                                    visual_weight=0.0).hits
    assert alone[0].dialog == pytest.approx(named[1].dialog * 4)  # a quarter beside the named


def test_lexical_matching_without_a_sentence_model(monkeypatch, tmp_path: Path,
                                                   caplog) -> None:
    monkeypatch.setenv("ONEFRAME_DIALOG_MODEL", str(tmp_path / "no-such-model"))
    library = Library()
    times, vectors, _ = film(seed=6)
    with caplog.at_level("WARNING", logger="oneframe"):
        record = plant(library, "plain", times, vectors, CUES, resolve_model())
    assert record.dialog_model is None and "searched by its words" in record.notes[0]
    assert "no-such-model" in caplog.text and "ONEFRAME_DIALOG_MODEL" in caplog.text
    hit = SearchIndex(library).search("quick brown fox", visual_weight=0.0).hits[0]
    assert hit.time == 12.0 and hit.dialog > 0.5


def test_empty_query_is_explained(planted: Library) -> None:
    with pytest.raises(OneframeError, match="Type what you remember"):
        SearchIndex(planted).search("  ")


@pytest.mark.slow
def test_cli_search_and_batch_queries(planted: Library, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "oneframe", "search", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, env=os.environ.copy())

    one = cli(QUERY, "--visual-weight", "0", "--top-k", "2", "--json")
    assert one.returncode == 0, one.stderr
    [line] = one.stdout.splitlines()
    hits = json.loads(line)["hits"]
    assert [(h["video"], h["start"]) for h in hits] == [("film-a", 12.0)]  # no other line matches
    batch = write_json(tmp_path / "q.jsonl", [
        {"query": QUERY, "visual_weight": 1.0},
        {"query": QUERY, "visual_weight": 0.0, "video": "film-a"},
        {"query": QUERY, "video": "missing"},
    ])
    run = cli("--queries", str(batch), "--top-k", "1")
    lines = [json.loads(x) for x in run.stdout.splitlines()]
    assert [x["hits"][0]["time"] for x in lines[:2]] == [7.0, 12.0]
    assert "missing" in lines[2]["error"] and run.returncode == 1
    text = cli(QUERY, "--visual-weight", "0", "--top-k", "1")
    assert "00:12.0" in text.stdout and "**quick brown fox jumps**" in text.stdout
    assert cli(QUERY, "--visual-weight", "2").returncode == 2
    described = "she tells him the quick brown fox jumps"
    read = cli(described, "--top-k", "1")
    assert ("note: read as said: the quick brown fox jumps, or all of it word for word (picture "
            "weight 0.2)") in read.stderr
    assert "00:12.0" in read.stdout

    def score(*args: str) -> float:
        return json.loads(cli(described, "--top-k", "1", "--json", *args).stdout)["hits"][0][
            "score"]
    assert score() == score("--visual-weight", "0.2") != score("--visual-weight", "0.5")


def test_a_damaged_entry_is_left_out_with_a_message(planted: Library) -> None:
    (planted.root / "film-a" / "windows.npy").unlink()
    times, vectors, q = film(seed=8)
    plant(planted, "film-c", times, vectors, [], resolve_model())
    index = SearchIndex(planted)
    assert index.ids == ["film-c"] and "film-a" in index.skipped[0]
    with pytest.raises(OneframeError, match="damaged"):
        SearchIndex(planted, ["film-a"])


def test_a_query_no_frame_matches_does_not_outrank_an_exact_line() -> None:
    """Picture scores are absolute: frames that don't show the query add nothing, in any video
    (a video without dialogue used to score 0.5 at its best frame, whatever the query)."""
    library = Library()
    times, vectors, _ = film(seed=9)
    plant(library, "talk", times, vectors, CUES, resolve_model())
    plant(library, "silent", times, image_like(30, [QUERY], seed=10), [], resolve_model())
    hits = SearchIndex(library).search(QUERY, visual_weight=0.5).hits
    assert [(h.video, h.start) for h in hits] == [("talk", 12.0)]
    assert hits[0].visual < 0.05 and hits[0].dialog > 0.8


def test_a_nonsense_query_finds_nothing() -> None:
    nonsense = "zzqx flibbertigibbet"
    library = Library()
    times = [float(t) for t in range(30)]
    plant(library, "talk", times, image_like(30, [QUERY, nonsense], seed=11), CUES,
          resolve_model())
    plant(library, "silent", times, image_like(30, [QUERY, nonsense], seed=12), [],
          resolve_model())
    index = SearchIndex(library)
    for weight in (0.0, 0.5, 1.0):
        assert index.search(nonsense, visual_weight=weight).hits == []
    closest = index.search(nonsense, min_score=0.0, top_k=3).hits  # asked for anyway
    assert len(closest) == 3 and all(h.score < 0.12 for h in closest)


def test_one_line_is_one_result_played_from_its_start() -> None:
    """A long line reaches many frames; it is still one moment, and Play starts where it does."""
    library = Library()
    times, vectors, _ = film(seed=13, n=90)
    cues = [Cue(5.0, 7.0, "Nice weather today."),
            Cue(65.5, 75.5, "The hanging gardens were one of the seven wonders of the world."),
            Cue(80.0, 82.0, "Goodbye.")]
    plant(library, "long", times, vectors, cues, resolve_model())
    index = SearchIndex(library)
    for weight in (0.0, 0.5):
        hits = index.search("the hanging gardens, one of the seven wonders", top_k=6,
                            visual_weight=weight).hits
        assert [h.start for h in hits] == [65.5]
        assert 65.0 <= hits[0].time <= 76.0 and hits[0].matched_line


def test_videos_whose_model_cannot_load_are_left_out_with_a_warning(tmp_path: Path) -> None:
    library = Library()
    times, vectors, q = film(seed=14)
    vectors[4] = showing(vectors[4], q)
    plant(library, "kept", times, vectors, CUES, resolve_model())
    gone = str(tmp_path / "a-model-since-deleted")
    plant(library, "orphan", times, vectors, CUES, gone)
    index = SearchIndex(library)
    result = index.search(QUERY, visual_weight=0.5)
    assert {h.video for h in result.hits} == {"kept"}
    [warning] = result.warnings
    assert "a-model-since-deleted" in warning and "left out" in warning
    with pytest.raises(OneframeError, match="a-model-since-deleted"):
        index.search(QUERY, videos=["orphan"])


def test_a_model_that_now_makes_vectors_of_another_width_is_left_out() -> None:
    library = Library()
    times, vectors, _ = film(seed=15)
    plant(library, "kept", times, vectors, CUES, resolve_model())
    wide = np.concatenate([vectors, vectors], axis=1)  # as if made by a bigger model
    plant(library, "wider", times, wide, CUES, resolve_model())
    result = SearchIndex(library).search(QUERY, visual_weight=0.0)
    assert {h.video for h in result.hits} == {"kept"}
    assert "32 wide" in result.warnings[0] and "Add them again" in result.warnings[0]


def test_a_built_index_keeps_no_library_file_mapped(planted: Library) -> None:
    """Search copies the vectors it needs: a removed or replaced entry is never held open."""
    index = SearchIndex(planted)
    assert index.search(QUERY, visual_weight=0.5).hits
    maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
    assert str(planted.root) not in maps


def test_at_weight_0_the_cli_searches_dialogue_without_the_picture_model(
        planted: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    both = SearchIndex(planted).search(QUERY, visual_weight=0.0)
    import oneframe.search.picture

    def no_model(model: str | None = None) -> None:
        raise AssertionError("the picture model was loaded")

    monkeypatch.setattr(oneframe.search.picture, "load_encoder", no_model)
    monkeypatch.setattr(oneframe.search.picture, "cached_vector", lambda *a: a[-1]())
    oneframe.search.picture._text_vector.cache_clear()
    oneframe.search.picture._logit_scale.cache_clear()
    alone = SearchIndex(planted).search(QUERY, visual_weight=0.0, picture_at_zero=False)
    assert [(h.video, h.start, h.dialog) for h in alone.hits] == [
        (h.video, h.start, h.dialog) for h in both.hits]
    assert all(h.visual is None for h in alone.hits) and both.hits[0].visual is not None
    assert alone.hits[0].to_json()["visual"] is None
    with pytest.raises(AssertionError, match="picture model was loaded"):
        SearchIndex(planted).search(QUERY, visual_weight=0.1, picture_at_zero=False)


@pytest.mark.parametrize("rows", [10, 9000])
def test_numpy_and_torch_products_agree(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    from oneframe.search import vectors as module

    rng = np.random.default_rng(rows)
    matrix = rng.standard_normal((rows, 64)).astype(np.float16)
    vectors = rng.standard_normal((64, 3)).astype(np.float32)
    by_numpy = module.products(matrix, vectors)
    parts = [matrix[:3], matrix[3:3], matrix[3:]]  # several videos' vectors, read in turn
    assert np.allclose(module.products(parts, vectors), by_numpy, rtol=0, atol=1e-4)
    monkeypatch.setattr(module, "NUMPY_ROWS", 0)
    by_torch = module.products(matrix, vectors)
    assert np.allclose(module.products(parts, vectors), by_torch, rtol=0, atol=1e-2)
    exact = matrix.astype(np.float64) @ vectors.astype(np.float16).astype(np.float64)
    assert by_numpy.shape == by_torch.shape == (rows, 3)
    assert np.abs(by_torch - exact).max() < 0.1  # float16 accumulation in torch
    assert np.abs(by_numpy - matrix.astype(np.float64) @ vectors).max() < 1e-3
    monkeypatch.setitem(sys.modules, "torch", None)  # the app's venv: no torch to import
    # numpy without torch; BLAS may round a 3-row block apart from the whole (AVX-512 kernels)
    assert np.allclose(module.products(parts, vectors), by_numpy, rtol=0, atol=1e-4)


@pytest.mark.slow
def test_a_repeated_cli_search_imports_no_model_library(planted: Library,
                                                       tmp_path: Path) -> None:
    """A query asked before is answered from the cached query vectors: neither torch,
    transformers nor ONNX Runtime is imported, so the first result comes fast."""
    env = dict(os.environ, ONEFRAME_CACHE=str(tmp_path / "cache"))  # nothing cached yet
    probe = ("import sys; from oneframe.cli.main import main; code = main(sys.argv[1:]); "
             "heavy = [m for m in ('torch', 'transformers', 'onnxruntime') if m in sys.modules]; "
             "print('HEAVY', heavy, file=sys.stderr); sys.exit(code)")

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", probe, "search", QUERY, "--top-k", "2"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)

    first, again = run(), run()
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert first.stdout == again.stdout and "quick brown fox" in again.stdout
    assert "HEAVY []" in again.stderr, again.stderr
    assert "'onnxruntime'" in first.stderr or "'torch'" in first.stderr  # it did encode once


@needs_sentence_model
@pytest.mark.parametrize("noise", ["' OR 1=1 --", "a rabbit in a meadow", "in", "the",
                                   "and then", "video_id = 'x'"])
def test_common_words_alone_make_no_match(noise: str) -> None:
    """A line is not matched on common words ("in", "one" from a digit, "the") alone."""
    library = Library()
    times = [float(t) for t in range(40)]
    cues = [Cue(2.0, 3.5, "One move out of place and you're ground to a pulp."),
            Cue(10.0, 12.0, "Yes, he's in - in a bad humor."),
            Cue(20.0, 22.0, "The way it works."), Cue(30.0, 32.0, "And then we ran away.")]
    plant(library, "talk", times, image_like(40, [noise], seed=21), cues, resolve_model())
    assert SearchIndex(library).search(noise, visual_weight=0.0).hits == []


def test_a_line_from_captions_and_from_the_picture_is_one_moment() -> None:
    """An entry made before ingest merged them holds the line twice (a caption track and
    burned-in subtitles a moment apart): a search shows it once."""
    library = Library()
    times, vectors, _ = film(seed=23)
    cues = [Cue(6.0, 8.0, "Get up. Emo, it's not safe here."), Cue(15.0, 16.0, "Later on."),
            Cue(8.0, 10.0, "Get up. Emo, it's not safe here.", "burned-in")]
    plant(library, "twice", times, vectors, cues, resolve_model())
    hits = SearchIndex(library).search("get up emo it's not safe here", visual_weight=0.0).hits
    assert [h.start for h in hits] == [6.0]


def test_ingest_keeps_a_burned_in_line_once() -> None:
    from oneframe.dialogue.gather import without_repeats

    captions = [Cue(6.0, 8.0, "Get up. Emo, it's not safe here."), Cue(20.0, 21.0, "Hi.")]
    burned = [Cue(6.1, 8.2, "Get up. Emo, its not safe here", "burned-in"),  # read with a slip
              Cue(30.0, 31.0, "Get up. Emo, it's not safe here.", "burned-in"),  # said again
              Cue(40.0, 41.0, "Something else.", "burned-in")]
    assert [c.start for c in without_repeats(burned, captions)] == [30.0, 40.0]


def test_two_queries_share_a_moment_when_their_spans_overlap() -> None:
    from oneframe.search.results import Hit

    def hit(video: str, time: float, span: tuple[float, float]) -> Hit:
        return Hit(video, video, time, 0.5, None, 0.5, "", [], Path("f.jpg"), None, 0,
                   span=span)

    line = hit("a", 29.0, (29.0, 33.0))
    assert line.same_moment(hit("a", 32.0, (32.0, 33.5)))  # the same line: 3 s apart
    assert hit("a", 32.0, (32.0, 33.5)).same_moment(line)
    assert not line.same_moment(hit("b", 29.0, (29.0, 33.0)))  # another video
    assert not line.same_moment(hit("a", 40.0, (40.0, 41.0)))
    assert line.same_moment(hit("a", 27.5, (27.5, 28.0)), tolerance=2.0)  # within the gap
