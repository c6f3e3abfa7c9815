"""Queries split into what is seen and what is said: the parser on descriptions written the way
people remember moments (the original find-the-frame app's examples and ours), each with its
parts written out by hand."""

from __future__ import annotations

import pytest

from oneframe.search.query_parts import QueryParts, parse, written

# (query, seen, said): "" where the query has no such part; a plain query (nothing said) has
# its whole text for both channels and is marked by said == "".
CASES = [
    # the original app's kind of descriptions
    ("Landa sees Bridget's left leg is wrapped in cast and asks her what happened",
     "Bridget's left leg is wrapped in cast", "what happened"),
    ("she introduces Brad Pitt as an Italian stuntman", "", "Brad Pitt as an Italian stuntman"),
    ("she calls him an Italian stuntman", "", "an Italian stuntman"),
    ("Emo tells Proog he is ok", "", "he is ok"),
    ("Brad Pitt in a tuxedo, close-up", "Brad Pitt in a tuxedo close-up", ""),
    ("the soldier asks why they are running", "", "why they are running"),
    ("Proog warns Emo not to touch the buttons", "", "not to touch the buttons"),
    ("he says that the robots are coming", "", "the robots are coming"),
    ("the old man whispers something about the war", "", "something about the war"),
    ("Hildy tells Walter she is getting married", "", "she is getting married"),
    ("she says I just wanted to answer the phone", "", "I just wanted to answer the phone"),
    ("Emo tells Proog to keep his distance", "", "keep his distance"),
    ("the captain says Rome is burning", "", "Rome is burning"),  # "says" names no addressee
    ("she says Venus probe while a car parked by the cemetery gate",
     "a car parked by the cemetery gate", "Venus probe"),
    # seen and said in one description
    ("a woman in a red coat walks into the bar and says she needs a drink",
     "a woman in a red coat walks into the bar", "she needs a drink"),
    ("while the city burns the girl shouts that she can't find her brother",
     "the city burns the girl", "she can't find her brother"),  # no comma: the girl is seen
    ("as the train pulls in, he tells her he will come back",
     "the train pulls in", "he will come back"),
    ("close-up of a hand on a gun, then she asks who sent him",
     "close-up of a hand on a gun", "who sent him"),
    ("the robot sees the soldiers and warns them to leave",
     "the soldiers", "leave"),
    ("he looks at the sea and says it is beautiful",
     "he looks at the sea", "it is beautiful"),
    ("two men in a car at night, one tells the other to slow down",
     "two men in a car at night", "slow down"),
    ("a dragon flies over the village while the boy yells for help",
     "a dragon flies over the village", "for help"),
    ("wide shot of a desert; the captain announces they are lost",
     "wide shot of a desert", "they are lost"),
    ("she notices the blood on his shirt and asks if he is hurt",
     "the blood on his shirt", "he is hurt"),
    # quotes: said, and the line must contain them
    ('the boy shouts "run for it" while the city burns', "the city burns", "run for it"),
    ('"I\'ll be back"', "", "I'll be back"),
    ('a man in sunglasses says "hasta la vista"', "a man in sunglasses", "hasta la vista"),
    ("“what a day” she sighs on the balcony", "she sighs on the balcony", "what a day"),
    ('rain on the window, "we have to go"', "rain on the window", "we have to go"),
    # explicit syntax
    ("said: I am ok seen: a robot in the rain", "a robot in the rain", "I am ok"),
    ("seen: two people on a bridge said: don't jump", "two people on a bridge", "don't jump"),
    ("said: where is the money", "", "where is the money"),
    ("seen: a red balloon", "a red balloon", ""),
    ("SAID: hello there", "", "hello there"),
    # plain descriptions: nothing said, the whole query to both channels
    ("a man in a tuxedo", "a man in a tuxedo", ""),
    ("two people talking in a car at night", "two people talking in a car at night", ""),
    ("an explosion in a city street", "an explosion in a city street", ""),
    ("sunset over the ocean, wide shot", "sunset over the ocean wide shot", ""),
    ("a close-up of a crying child", "a close-up of a crying child", ""),
    ("soldiers running through the smoke", "soldiers running through the smoke", ""),
    ("a cat and a dog on a sofa", "a cat a dog on a sofa", ""),
    ("the hero stands on the roof as the sun rises", "the hero stands on the roof the sun rises",
     ""),
    # dialogue remembered as words alone: plain too (both channels), as before
    ("you can't handle the truth", "you can't handle the truth", ""),
    ("italian stuntman", "italian stuntman", ""),
    ("I'm going to make him an offer he can't refuse",
     "I'm going to make him an offer he can't refuse", ""),
]


@pytest.mark.parametrize(("query", "seen", "said"), CASES, ids=[c[0][:40] for c in CASES])
def test_a_query_splits_into_what_is_seen_and_said(query: str, seen: str, said: str) -> None:
    parts = parse(query)
    assert parts.said == said
    if said:
        assert parts.seen == seen
        assert parts.dialogue_text == said
        assert parts.picture_text == (seen or parts.whole)
    elif parts.marked:  # written `seen:` alone: the picture alone
        assert parts.picture_text == seen and parts.dialogue_text == ""
    else:  # plain: both channels get the whole query
        assert parts.picture_text == parts.dialogue_text == parts.whole


def test_there_are_at_least_forty_hand_written_cases() -> None:
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


def test_quotes_must_appear_and_minus_words_are_left_out() -> None:
    parts = parse('the boy shouts "Run for it" while the city burns -night -Rain')
    assert parts.exact == ("run for it",) and parts.exclude == ("night", "rain")
    assert "night" not in parts.picture_text and "rain" not in parts.whole
    assert parts.describe() == ("seen: the city burns / said: Run for it, or all of it word for "
                                "word / must say: “run for it” / not: night / not: rain")
    assert parse("a well-known face, mid-shot").exclude == ()  # hyphens inside words stay


def test_an_edited_split_reads_back_as_written() -> None:
    """The Search page's boxes: a split written back in the explicit syntax parses to the same
    parts, its quotes still required and its exclusions kept."""
    parts = parse('a man in sunglasses says "hasta la vista" -robot')
    seen, said = parts.editable()
    assert (seen, said) == ("a man in sunglasses", '"hasta la vista"')
    again = parse(written("a man on a motorbike", said + " baby", parts.exclude))
    assert (again.seen, again.said, again.exact, again.exclude) == (
        "a man on a motorbike", "hasta la vista baby", ("hasta la vista",), ("robot",))
    assert written("", "") == "" and parse(written("", "hello")).said == "hello"


def test_the_suggested_weight_follows_the_parts() -> None:
    assert parse("she calls him an Italian stuntman").suggested_weight(0.5) == 0.2
    assert parse("a dog barks and the man tells it to stop").suggested_weight(0.5) == 0.5
    assert parse("a man in a tuxedo").suggested_weight(0.6) == 0.6  # plain: the default
    # written parts alone mean one channel alone, and "Read as" says so (tried as a user:
    # `seen:` alone kept the default weight and showed no "Read as")
    assert QueryParts.parse("seen: a red balloon").suggested_weight(0.5) == 1.0
    assert QueryParts.parse("seen: a red balloon").describe() == \
        "seen: a red balloon (the picture alone)"
    assert QueryParts.parse("said: keys please").suggested_weight(0.5) == 0.0
    assert QueryParts.parse("said: keys please").describe() == \
        "said: keys please (the dialogue alone)"
    assert QueryParts.parse("seen: a red balloon").dialogue_text == ""
    assert QueryParts.weight_for("  ", 0.6) == QueryParts.weight_for(None, 0.6) == 0.6
    assert QueryParts.weight_for("Emo tells Proog to keep his distance", 0.5) == 0.2
    assert parse("Emo tells Proog to keep his distance").narration == "Emo tells Proog to"


SEEN = "a red balloon over the harbour"
SAID = "the quick brown fox jumps over the lazy dog"


@pytest.fixture()
def film_with_parts():
    """Frame 7 shows the seen part, frame 20 shows the said part's words (as a sign would), and
    the line is said at 12 s."""
    from planted import image_like, plant, showing

    from oneframe.dialogue.cues import Cue
    from oneframe.encoders.dual import load_encoder, resolve_model
    from oneframe.library.folders import Library

    encoder = load_encoder()
    seen, said, balloon = encoder.embed_texts([SEEN, SAID, "balloon"])
    vectors = image_like(30, [SEEN, SAID, "balloon"], seed=3)
    vectors[7] = showing(showing(vectors[7], seen), balloon)  # a balloon is what it shows
    vectors[20] = showing(vectors[20], said)
    cues = [Cue(2.0, 3.5, "Good morning, everyone."), Cue(12.0, 14.0, SAID.capitalize() + "."),
            Cue(20.0, 22.0, "Where did you put my keys?")]
    library = Library()
    plant(library, "film", [float(t) for t in range(30)], vectors, cues, resolve_model())
    return library


def test_the_seen_part_reaches_the_frames_and_the_said_part_the_lines(film_with_parts) -> None:
    from oneframe.search.index import SearchIndex

    index = SearchIndex(film_with_parts)
    query = f"{SEEN} and the man says {SAID}"
    by_picture = index.search(query, visual_weight=1.0).hits
    assert by_picture[0].frame_index == 7  # the seen part's frame, not the said part's (20)
    assert all(h.frame_index != 20 for h in by_picture if h.visual and h.visual > 0.5)
    by_line = index.search(query, visual_weight=0.0).hits
    assert by_line[0].time >= 12.0 and by_line[0].text.startswith("The quick brown fox")
    # the whole query to the picture (as before) would rank the said part's frame too
    plain = index.search(f"{SEEN} {SAID}", visual_weight=1.0).hits
    assert {h.frame_index for h in plain[:2]} == {7, 20}


def test_quoted_words_must_be_in_the_line_and_minus_words_leave_moments_out(
        film_with_parts) -> None:
    from oneframe.search.index import SearchIndex

    index = SearchIndex(film_with_parts)
    found = index.search('"lazy dog"', visual_weight=0.0).hits
    assert found and all("lazy dog" in h.text.lower() for h in found)
    assert not index.search('"lazy cat"', visual_weight=0.0).hits
    lines = {h.text for h in index.search("where did you put my keys", visual_weight=0.0).hits}
    assert any("keys" in t for t in lines)
    assert not any("keys" in t for t in {h.text for h in index.search(
        "where did you put my keys -keys", visual_weight=0.0).hits})
    assert index.search(SEEN, visual_weight=1.0).hits[0].frame_index == 7
    pictured = index.search(f"{SEEN} -balloon", visual_weight=1.0).hits
    assert all(h.frame_index != 7 for h in pictured)  # its picture matches the excluded word


def test_a_hostile_query_is_parsed_in_linear_time_and_limited_everywhere() -> None:
    """Tried by a reviewer: 40,000 spaces took 77 s to parse (holding every session), 10,000
    -words 37 s; queries had no length limit. A quadratic parse of these would not finish
    within the suite's time limit."""
    from oneframe.core.errors import OneframeError
    from oneframe.search.query_parts import MAX_QUERY_CHARS, check_query

    spaced = parse("the door" + " " * 400_000 + "said: open it")
    assert spaced.said == "open it" and spaced.seen == "the door"
    excluded = parse(" ".join(f"-w{i}" for i in range(50_000)) + " a red door")
    assert len(excluded.exclude) == 50_000 and excluded.whole == "a red door"
    with pytest.raises(OneframeError, match=f"at most {MAX_QUERY_CHARS}"):
        check_query("x" * (MAX_QUERY_CHARS + 1))
    with pytest.raises(OneframeError, match="more than 12 words"):
        check_query(" ".join(f"-w{i}" for i in range(13)))
    with pytest.raises(OneframeError, match="not text"):
        check_query("door \udcff")


def test_a_megabyte_long_line_is_highlighted_in_linear_time() -> None:
    """Tried by a reviewer: a caption file with one 1.3 MB line made every search of its video
    take 9.5 s (the highlighting built strings in quadratic time)."""
    from oneframe.search.highlight import highlight

    line = "open the door " * 100_000
    segments = highlight(line, {"door"})
    assert "".join(text for text, _ in segments) == line
    assert sum(hit for _, hit in segments) == 100_000
