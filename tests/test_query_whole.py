"""One parsed query reaches every stage: over a library large enough for the store's
shortlist, searches with ``said:``, ``seen:`` and ``-words`` find what the same search over the
folders finds, and a video that matches only an excluded word is never shortlisted."""

from __future__ import annotations

import pytest
from planted import image_like, plant, showing

from oneframe.dialogue.cues import Cue
from oneframe.encoders.dual import load_encoder, resolve_model
from oneframe.index.stores import IndexedStore, Shortlist
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex
from oneframe.search.library import SHORTLIST_ABOVE, LibrarySearch
from oneframe.search.query import Query

FILMS, FRAMES = 30, 12
PICTURE = "a red bicycle leaning on a lamp post"
FILLER = ["Good morning.", "Did you sleep well?", "The coffee is ready."]
GONDOLA, PIER, BICYCLE, BICYCLE_TOO = 4, 9, 17, 12
TAXI = range(20, 26)
"""Films whose only match is the word the queries exclude."""
SHORTLIST = 4
"""As many films as match each query: none of the shortlist's places is left to chance."""
QUERIES = [
    ("gondola pier -taxi", 0.0, GONDOLA),
    ("said: the gondola leaves -taxi", None, GONDOLA),
    ('"from the pier" -taxi', 0.3, GONDOLA),
    (f"seen: {PICTURE} -taxi", None, BICYCLE),
    (f"seen: {PICTURE} said: gondola -taxi", None, None),
]
"""(query, the picture's share or None for the one the query suggests, the film it finds)"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir) -> Library:
    """Thirty films of filler: film 4 says the gondola line (film 9 a line about the pier),
    film 17 shows the bicycle (film 12 less clearly), and films 20-25 call a taxi (and match
    nothing else the queries ask)."""
    mp = pytest.MonkeyPatch()
    from conftest import SENTENCE_MODEL

    mp.setenv("ONEFRAME_MODEL", str(tiny_model_dir))
    if SENTENCE_MODEL is not None:
        mp.setenv("ONEFRAME_DIALOG_MODEL", str(SENTENCE_MODEL))
    library = Library(tmp_path_factory.mktemp("thirty") / "library")
    text = load_encoder().embed_texts([PICTURE])[0]
    for n in range(FILMS):
        vectors = image_like(FRAMES, [PICTURE, "taxi"], seed=n)
        if n in (BICYCLE, BICYCLE_TOO):
            vectors[6] = showing(vectors[6], text, 0.5 if n == BICYCLE else 0.3)
        cues = [Cue(1.0 + 3 * i, 3.0 + 3 * i, line) for i, line in enumerate(FILLER)]
        if n == GONDOLA:
            cues.append(Cue(10.0, 11.5, "The gondola leaves from the pier."))
        if n == PIER:
            cues.append(Cue(10.0, 11.5, "Meet me at the pier."))
        if n in TAXI:  # and a picture unlike anything asked
            vectors = showing(vectors, -text, 0.3)
            cues.append(Cue(10.0, 11.5, "Taxi! Taxi!"))
        plant(library, f"film-{n:02d}", [float(t) for t in range(FRAMES)], vectors, cues,
              resolve_model())
    yield library
    mp.undo()


@pytest.fixture()
def shortlists(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every shortlist the store gives, as it gives it."""
    given: list[list[str]] = []
    real = IndexedStore.shortlist

    def recorded(self, *args, **kwargs) -> Shortlist:
        found = real(self, *args, **kwargs)
        given.append(found.videos)
        return found

    monkeypatch.setattr(IndexedStore, "shortlist", recorded)
    return given


def moments(result) -> list[tuple[str, float]]:
    """The moments that match (filler ties at about 0.2 aside: which of thirty equal films
    fills a third place is no finding)."""
    return [(h.video, round(h.time, 2)) for h in result.hits if h.score > 0.3]


@pytest.mark.parametrize(("text", "weight", "expected"), QUERIES)
def test_a_parsed_query_finds_over_the_store_what_it_finds_over_the_folders(
        library: Library, shortlists: list[list[str]], text: str, weight: float | None,
        expected: int | None) -> None:
    assert FILMS > SHORTLIST_ABOVE
    search = LibrarySearch(library, shortlist=SHORTLIST, optimise=False)
    assert isinstance(search.store, IndexedStore)
    query = Query.of(text)
    weight = query.weight(0.5) if weight is None else weight
    got = search.search(query, visual_weight=weight, top_k=3)
    full = SearchIndex(library).search(query, visual_weight=weight, top_k=3)
    assert shortlists and len(shortlists[-1]) <= search.shortlist_size
    if expected is not None:
        assert got.hits[0].video == f"film-{expected:02d}"
    assert moments(got) == moments(full)
    assert got.hits[0].score == pytest.approx(full.hits[0].score, abs=1e-5)
    taxi = {f"film-{n:02d}" for n in TAXI}
    assert not taxi & set(shortlists[-1]), shortlists[-1]
    assert not taxi & {h.video for h in got.hits}


def test_the_raw_text_would_have_shortlisted_the_excluded_word(library: Library) -> None:
    """What this guards against: the store asked with the query as typed finds the taxi films
    by the very word the user left out."""
    search = LibrarySearch(library, optimise=False)
    assert isinstance(search.store, IndexedStore)
    raw = search.store.store.shortlist({}, {}, "gondola pier -taxi", SHORTLIST)
    assert {f"film-{n:02d}" for n in TAXI} & set(raw)
    asked = Query.of("gondola pier -taxi")
    assert asked.line_words == "gondola pier" and asked.picture_text == "gondola pier"


def test_the_lines_index_is_asked_the_words_as_typed_less_the_excluded_ones() -> None:
    """A reviewer's find: the shortlist's lines were asked English-normalised words, so
    "1984" reached a French library's index as "one thousand nine hundred eighty four"."""
    from oneframe.index.store_queries import query_terms

    for text, asked in (("1984 -taxi", "1984"), ("2 euros -taxi", "2 euros"),
                        ("a taxi! ride -taxi", "a ride"),
                        ('seen: a boat said: "Quel taxi ?" -taxi', "Quel ?")):
        assert Query.of(text).line_words == asked, text
    french = query_terms(Query.of("1984 -taxi").line_words, {"fr"})
    assert "1984" in french and "taxi" not in french


@pytest.mark.parametrize(("query", "warned"), [
    ("hi seen: 東京タワーの夜景と花火と大きな月の光", False),
    ("東京タワーの夜景と花火", True),
])
def test_the_language_note_reads_what_the_lines_are_asked(
        tmp_path, query: str, warned: bool) -> None:
    """A reviewer's find: a picture described in Japanese beside an English line was told
    "the query looks Japanese" over English dialogue; only the part asked of the lines counts."""
    library = Library(tmp_path / "library")
    times = [float(t) for t in range(FRAMES)]
    plant(library, "talk", times, image_like(FRAMES, [PICTURE], seed=5),
          [Cue(1.0, 3.0, "Good morning."), Cue(5.0, 7.0, "The coffee is ready.")],
          resolve_model())
    result = SearchIndex(library).search(Query.of(query), visual_weight=0.5)
    assert any("looks Japanese" in w for w in result.warnings) is warned, result.warnings


def test_a_band_left_odd_while_ocr_is_off_never_stops_an_add() -> None:
    """A reviewer's find: both band handles at 0.5 with OCR off stopped the Add video page."""
    from oneframe.core.errors import OneframeError
    from oneframe.ingest.options import IngestOptions

    assert IngestOptions(ocr="off", ocr_band=(0.5, 0.5)).ocr == "off"
    with pytest.raises(OneframeError, match="ocr band"):
        IngestOptions(ocr="auto", ocr_band=(0.5, 0.5))
