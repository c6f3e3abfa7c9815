"""Text normalisation for dialogue matching."""

from __future__ import annotations

from oneframe.dialogue.text import spell_number, split_reported_speech, stem, words


def test_words_expand_contractions_and_spell_numbers() -> None:
    assert words("It's 10 to 3:00, you're LATE!") == [
        "it", "is", "ten", "to", "three", "you", "are", "late"]
    assert words("I won't, can't, didn't — Café") == [
        "i", "will", "not", "can", "not", "did", "not", "cafe"]
    assert words("we're gonna drive 200 miles") == [
        "we", "are", "going", "to", "drive", "two", "hundred", "miles"]
    assert words("Beat 'em") == ["beat", "them"]
    assert words("That’s okay, naïve ’em") == ["that", "is", "ok", "naive", "them"]


def test_spell_number() -> None:
    assert spell_number(0) == "zero"
    assert spell_number(15) == "fifteen"
    assert spell_number(1968) == "one thousand nine hundred sixty eight"
    assert spell_number(123456) == "123456"


def test_stem_meets_inflections() -> None:
    assert stem("paying") == stem("pay") == "pay"
    assert stem("tells") == stem("tell")
    assert stem("is") == "is"


def test_reported_speech_frame_is_split_off() -> None:
    assert split_reported_speech("Emo tells Proog he is ok") == (
        "he is ok", frozenset({"emo", "tells", "proog"}))
    core, frame = split_reported_speech("Johnny teases Barbara that they're coming to get her")
    assert core == "they're coming to get her" and "teases" in frame
    core, frame = split_reported_speech("the old man asks if there are any further questions")
    assert core == "there are any further questions" and {"old", "man", "asks"} <= frame
    assert split_reported_speech("you're not paying attention") == (
        "you're not paying attention", frozenset())
    assert split_reported_speech("say hello to my little friend")[1] == frozenset()
