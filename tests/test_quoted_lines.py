"""Lines built on verbs of saying, quoted as people type them, are found first (issue 35).

Each line sits among decoys that share its other words, so a parse that keeps only what
follows "tell", "say", "ask" or "call" ("say hello to my little friend" read as "my little
friend") finds a decoy, and muting common words ("tell me about it") finds nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from oneframe.dialogue.cues import Cue
from oneframe.dialogue.windows import cue_windows
from oneframe.search.closeness import allowed_edits, squashed
from oneframe.search.dialog_query import DialogQuery
from oneframe.search.dialogue import DialogCorpus
from oneframe.search.query_parts import QueryParts

LINES = {  # each line, and decoys that share its other words
    "Say hello to my little friend!": [
        "My little friend is sick.", "Say hello to your mother for me.", "Hello, friend.",
        "He was my little brother."],
    "Tell me about it.": [
        "Tell me about the boat.", "Don't talk about it.", "What about it?", "Tell me."],
    "Call me Ishmael.": [
        "Ishmael was here before us.", "Call me tomorrow.", "Don't call me that, Ishmael."],
    "Don't tell me it's over.": [
        "It's over now.", "Is it over?", "Don't go over there.", "Tell me when it's over!"],
    "Ask him if he's coming with us.": [
        "He's coming.", "Ask him nothing.", "Is anyone coming with us?"],
    "I told you never to call me here.": [
        "Never call here again.", "I told you so.", "You never told me."],
    "She said she would tell him everything.": [
        "Tell him.", "Everything she said was true.", "He would never tell."],
    "Why don't you ask your father?": [
        "Your father is asking for you.", "Why don't you go?", "Ask your mother."],
}
ASKED = {  # the ways each line is asked: exact, plain, misremembered, reported
    "Say hello to my little friend!": [
        "Say hello to my little friend!", "say hello to my little friend",
        "say hello to my friend", "say hello to my little pal",
        "Tony shouts say hello to my little friend"],
    "Tell me about it.": [
        "Tell me about it.", "tell me about it", "she says tell me about it",
        "someone says tell me about it"],
    "Call me Ishmael.": [
        "Call me Ishmael.", "call me ishmael", "the sailor says call me Ishmael"],
    "Don't tell me it's over.": [
        "Don't tell me it's over.", "dont tell me its over", "don't tell me its all over",
        "don't me tell it's over", "don't tell me that it's over",
        "she tells him don't tell me it's over",
        "he says don't tell me it is over"],
    "Ask him if he's coming with us.": [
        "Ask him if he's coming with us.", "ask him if hes coming with us",
        "ask him if he is coming", "she says ask him if he's coming with us"],
    "I told you never to call me here.": [
        "I told you never to call me here.", "i told you never to call me here",
        "i told you never call me here", "I told you to never call me here",
        "she tells him I told you never to call me here"],
    "She said she would tell him everything.": [
        "She said she would tell him everything.", "she said shed tell him everything",
        "she said she'd tell him everything", "she said she would tell everything",
        "the maid says she said she would tell him everything"],
    "Why don't you ask your father?": [
        "Why don't you ask your father?", "why dont you ask your father",
        "why don't you ask your dad", "she asks him why don't you ask your father"],
}


@pytest.fixture(scope="module")
def film() -> tuple[DialogCorpus, list[Cue]]:
    """The lines and their decoys, shuffled into one film, a line every 10 s."""
    texts = [t for line, decoys in LINES.items() for t in (line, *decoys)]
    np.random.default_rng(7).shuffle(texts)
    cues = [Cue(10.0 * i, 10.0 * i + 3.0, text) for i, text in enumerate(texts)]
    return DialogCorpus([(cues, cue_windows(cues), None, None)]), cues


def best_line(film: tuple[DialogCorpus, list[Cue]], query: str) -> tuple[str, float]:
    corpus, cues = film
    scores = corpus.score(DialogQuery.readings(QueryParts.parse(query)))
    best = int(np.argmax(scores.cue))
    return cues[best].text, float(scores.cue[best])


@pytest.mark.parametrize(("line", "query"), [(line, q) for line, asked in ASKED.items()
                                             for q in asked])
def test_a_line_on_a_verb_of_saying_is_found_first_however_it_is_asked(
        film: tuple[DialogCorpus, list[Cue]], line: str, query: str) -> None:
    """Tried as a user: "say hello to my little friend" was read as `said: my little friend`,
    and "don't tell me it's over" typed word for word found nothing."""
    found, score = best_line(film, query)
    assert found == line, f"{query!r} found {found!r}"
    assert score > 0.5


def test_the_parse_only_adds_a_reading_and_marked_parts_mean_what_they_say() -> None:
    readings = DialogQuery.readings(QueryParts.parse("say hello to my little friend"))
    assert readings[0].tokens == ["say", "hello", "to", "my", "little", "friend"]
    assert readings[0].frame == {"say", "hello", "to"}  # kept, weighed as the parse hints
    assert [r.text for r in readings[1:]] == ["my little friend"]  # the parse's reading
    plain = DialogQuery.readings(QueryParts.parse("we could easily die out here"))
    assert len(plain) == 1  # nothing to add
    marked = DialogQuery.readings(QueryParts.parse("seen: a red car said: keys please"))
    assert {r.text for r in marked} == {"keys please"}  # never the seen part's words


def test_a_quoted_line_ranks_above_a_line_holding_all_its_words_and_more() -> None:
    cues = [Cue(0, 2, "Well, I think we could easily die out here, you know, really"),
            Cue(10, 12, "We could easily die out here."), Cue(20, 22, "Out here we die.")]
    corpus = DialogCorpus([(cues, cue_windows(cues), None, None)])
    for query in ("we could easily die out here", "we could die out here",
                  "could we easily die out here"):
        scores = corpus.score(DialogQuery.readings(QueryParts.parse(query))).cue
        assert int(np.argmax(scores)) == 1, query


def test_a_line_said_over_two_cues_is_quoted_whole() -> None:
    cues = [Cue(0, 2, "I never said"), Cue(2.2, 4, "that I would stay."),
            Cue(10, 12, "I said I would stay."), Cue(20, 22, "Never.")]
    corpus = DialogCorpus([(cues, cue_windows(cues), None, None)])
    scores = corpus.score(DialogQuery.readings(QueryParts.parse(
        "I never said that I would stay"))).cue
    assert int(np.argmax(scores)) == 0  # found where it starts


def test_a_run_of_common_words_finds_its_line_and_lone_common_words_find_none() -> None:
    cues = [Cue(0, 2, "Where is the station?"), Cue(10, 12, "It is what it is."),
            Cue(20, 22, "What is it?"), Cue(30, 32, "Is it what you wanted?")]
    corpus = DialogCorpus([(cues, cue_windows(cues), None, None)])

    def scores(query: str) -> np.ndarray:
        return corpus.score(DialogQuery.readings(QueryParts.parse(query))).cue

    assert int(np.argmax(scores("it is what it is"))) == 1
    assert int(np.argmax(scores("is it what you"))) == 3  # a fragment of common words
    assert not scores("in").any() and not scores("it is").any()


def test_the_edits_a_quote_may_differ_by_grow_with_its_length() -> None:
    assert [allowed_edits(n) for n in (2, 3, 4, 6, 10, 14, 20)] == [0, 0, 1, 1, 2, 2, 3]
    assert squashed("Don't tell me it's over", "en") == ["dont", "tell", "me", "its", "over"]


def test_a_script_without_spaces_is_quoted_letter_by_letter() -> None:
    """Two letters count as a word: "バラバラだぞ" is a fragment of the line that holds it, not a
    near quote of the shorter "バラバラだ！" one letter off."""
    cues = [Cue(0, 2, "バラバラだ！"), Cue(10, 12, "バラバラだぞ、イーモ！ それでいいのか？"),
            Cue(20, 22, "それでいい")]
    corpus = DialogCorpus([(cues, cue_windows(cues), None, None)])
    for query in ("バラバラだぞ", "バラバラぞイーモそれでいいの"):
        scores = corpus.score(DialogQuery.readings(QueryParts.parse(query))).cue
        assert int(np.argmax(scores)) == 1, query


def test_an_exchange_told_as_two_quoted_lines_is_found_where_it_starts() -> None:
    cues = [Cue(0, 2, "Where were you last night?"), Cue(2.5, 4, "I was at home, I swear."),
            Cue(10, 12, "I was at home all day."), Cue(20, 22, "Where were you?")]
    corpus = DialogCorpus([(cues, cue_windows(cues), None, None)])
    for query in ("where were you last night and she says I was at home, I swear",
                  "he asks where were you last night and she says I was at home I swear"):
        scores = corpus.score(DialogQuery.readings(QueryParts.parse(query))).cue
        assert int(np.argmax(scores)) == 0, query


def test_the_app_s_search_puts_a_quoted_line_first_at_every_slider_short_of_picture() -> None:
    """Through the whole search (frames, lines, the slider): the same lines and decoys in a
    library video whose frames show none of them."""
    from planted import image_like, plant

    from oneframe.encoders.dual import resolve_model
    from oneframe.library.folders import Library
    from oneframe.search.index import SearchIndex

    texts = [t for line, decoys in LINES.items() for t in (line, *decoys)]
    cues = [Cue(10.0 * i, 10.0 * i + 3.0, text) for i, text in enumerate(texts)]
    times = [float(t) for t in range(0, 10 * len(texts), 2)]
    library = Library()
    plant(library, "film", times, image_like(len(times), texts, seed=5), cues, resolve_model())
    index = SearchIndex(library)
    for weight in (0.0, 0.5, 0.8):
        for line, query in (("Don't tell me it's over.", "don't tell me it's over"),
                            ("Say hello to my little friend!", "say hello to my little friend"),
                            ("Tell me about it.", "Tell me about it")):
            hits = index.search(query, visual_weight=weight).hits
            assert hits and hits[0].text == line, (weight, query, hits[:1])


def test_a_short_stretch_of_a_line_quotes_it_only_word_for_word() -> None:
    """Tried in a library of 67 films: "this is no game" ranked "Now listen, Sweeney, this is
    no time -" above "This is not some game." (one word off a short stretch is mostly its
    common words)."""
    cues = [Cue(0, 2, "Now listen, Sweeney, this is no time -"),
            Cue(10, 12, "This is not some game."), Cue(20, 22, "This is no Sunday school picnic.")]
    corpus = DialogCorpus([(cues, cue_windows(cues), None, None)])
    scores = corpus.score(DialogQuery.readings(QueryParts.parse("this is no game"))).cue
    assert int(np.argmax(scores)) == 1 and scores.max() < 0.94
