"""Text normalisation for dialogue matching: words in any script, numbers, contractions,
reported speech.

People remember lines imperfectly and describe them in the third person ("she tells him she
is fine" for "I'm fine"). Both sides are reduced to plain words: NFKC, case folded, accents off
where a script's marks are optional (Latin, Greek, Cyrillic, Arabic, Hebrew; never where they
are letters, as in Thai or Devanagari), letters and digits of every script. Scripts written
without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) and Korean, whose words carry
their particles, become overlapping two-letter pieces, so a fragment finds its line. English
alone has its contractions expanded and digits spelled, so "It's 10 to 3" and "it is ten to
three" meet.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from oneframe.dialogue.languages import COMMON, script_of, stemmer

_CONTRACTIONS = (  # each applies only where its trigger is in the text (most cues have none)
    ("'", re.compile(r"\bwon't\b"), "will not"), ("'", re.compile(r"\bcan't\b"), "can not"),
    ("'", re.compile(r"\bshan't\b"), "shall not"), ("'", re.compile(r"\bain't\b"), "is not"),
    ("'", re.compile(r"n't\b"), " not"), ("'", re.compile(r"'re\b"), " are"),
    ("'", re.compile(r"'m\b"), " am"), ("'", re.compile(r"'ll\b"), " will"),
    ("'", re.compile(r"'ve\b"), " have"), ("'", re.compile(r"'d\b"), " would"),
    ("'", re.compile(r"\b(it|that|what|there|here|he|she|who|where|how|let)'s\b"), r"\1 is"),
    ("'", re.compile(r"'s\b"), ""), ("gonna", re.compile(r"\bgonna\b"), "going to"),
    ("wanna", re.compile(r"\bwanna\b"), "want to"), ("gotta", re.compile(r"\bgotta\b"), "got to"),
    ("'", re.compile(r"'em\b"), "them"), ("okay", re.compile(r"\bokay\b"), "ok"),
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ONES = """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen
""".split()
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SUFFIXES = ("ing", "ed", "es", "s", "ly")

# Words that frame a line in reported speech ("Emo tells Proog that ..."): weak evidence.
REPORTING_VERBS = frozenset("""
say says said tell tells told ask asks asked call calls called reply replies replied answer
answers answered insist insists insisted tease teases teased scold scolds scolded shout shouts
shouted yell yells yelled whisper whispers whispered explain explains explained warn warns
warned admit admits admitted claim claims claimed wonder wonders wondered complain complains
complained suggest suggests suggested announce announces announced mention mentions mentioned
remark remarks remarked agree agrees agreed argue argues argued beg begs begged order orders
ordered promise promises promised repeat repeats repeated respond responds responded exclaim
exclaims exclaimed cry cries cried urge urges urged assure assures assured reassure reassures
reassured inform informs informed joke jokes joked mutter mutters muttered scream screams
screamed protest protests protested demand demands demanded point points confess confesses
confessed boast boasts boasted snap snaps snapped
""".split())
_LINKS = frozenset(["that", "to", "if", "whether", "how", "why", "what", "when", "where"])
_OBJECTS = frozenset(["him", "her", "them", "me", "us", "you", "everyone", "everybody"])


def spell_number(n: int) -> str:
    """English words for 0-9999 (digits beyond that stay as they are)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = "" if n % 100 == 0 else " " + spell_number(n % 100)
        return _ONES[n // 100] + " hundred" + rest
    if n < 10000:
        rest = "" if n % 1000 == 0 else " " + spell_number(n % 1000)
        return spell_number(n // 1000) + " thousand" + rest
    return str(n)


def words(text: str, lang: str | None = None) -> list[str]:
    """Plain words of ``text`` in ``lang`` (English where None): case folded, accents off,
    punctuation gone; English contractions expanded and digits spelled; runs of a script
    without spaces as overlapping letter pairs."""
    english = lang is None or lang == "en"
    if text.isascii():  # the fast path of most English lines
        text = text.lower()
    else:
        text = _folded(unicodedata.normalize("NFKC", text).casefold()
                       .replace("’", "'").replace("‘", "'"))
    if english:
        for trigger, pattern, replacement in _CONTRACTIONS:
            if trigger in text:
                text = pattern.sub(replacement, text)
    out: list[str] = []
    for token in (_NON_WORD.sub(" ", text).split() if text.isascii() else _WORD.findall(text)):
        if token.isdigit() and token.isascii():
            if len(token) > 1 and not token.strip("0"):
                continue  # the "00" of "3:00"
            out.extend(spell_number(int(token)).split() if english else [str(int(token))])
        elif token.isascii():
            out.append(token)
        else:
            out.extend(_pieces(token))
    return out


_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a"
                   r"\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff\u0e00-\u0eff"
                   r"\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3099\u309a])+")
"""A word: letters and digits of any script, with the marks that belong to its letters."""
_OPTIONAL_MARKS = frozenset(["LATIN", "GREEK", "CYRILLIC", "ARABIC", "HEBREW"])
"""Scripts whose combining marks (accents, vowel points) may be left out by a writer."""
_UNSPACED = (("\u3040", "\u30ff"), ("\u31f0", "\u31ff"), ("\u3400", "\u4dbf"),
             ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"), ("\uac00", "\ud7af"),
             ("\u1100", "\u11ff"), ("\u3130", "\u318f"), ("\u0e00", "\u0eff"),
             ("\u1780", "\u17ff"), ("\u1000", "\u109f"), ("\U00020000", "\U0002fa1f"))
"""Kana, Han, Hangul, Thai, Lao, Khmer, Myanmar: written as pairs of letters."""


def _folded(text: str) -> str:
    """``text`` without the combining marks of scripts where they are optional."""
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed == text and not any(_mark(c) for c in text):
        return text
    out: list[str] = []
    base = ""
    for char in decomposed:
        if _mark(char):
            if script_of(base) in _OPTIONAL_MARKS:
                continue
        else:
            base = char
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _mark(char: str) -> bool:
    """A combining mark: an accent, a vowel sign, a tone mark."""
    return unicodedata.category(char)[0] == "M"


def unspaced(char: str) -> bool:
    """A letter of a script written without spaces (or Korean), matched in pairs."""
    return any(low <= char <= high for low, high in _UNSPACED)


def _pieces(token: str) -> list[str]:
    """A word as it is matched: as it is, or, for its runs in a script without spaces, each
    letter (with its marks) paired with the next (a lone letter stays one)."""
    if not any(unspaced(c) for c in token):
        return [token]
    out: list[str] = []
    run: list[str] = []  # letters, each with its marks
    plain = ""
    for char in token + " ":
        if char != " " and unspaced(char):
            if plain:
                out.append(plain)
                plain = ""
            if _mark(char) and run:
                run[-1] += char
            else:
                run.append(char)
            continue
        if run and char != " " and _mark(char):
            run[-1] += char  # a mark of a letter of the run
            continue
        if run:
            out.extend([run[0]] if len(run) == 1 else
                       [a + b for a, b in zip(run, run[1:], strict=False)])
            run = []
        if char != " ":
            plain += char
    if plain:
        out.append(plain)
    return out


@functools.lru_cache(maxsize=1 << 18)
def stem(word: str, lang: str | None = None) -> str:
    """A stem, so that "paying"/"pay" and "tells"/"tell" meet: for English a light one (its
    plurals and tenses), for another language its Snowball stemmer, where it has one."""
    if lang is None or lang == "en":
        for suffix in _SUFFIXES:
            if len(word) > len(suffix) + 2 and word.endswith(suffix):
                return word[: -len(suffix)]
        return word
    snowball: Any = stemmer(lang)
    return word if snowball is None else snowball.stemWord(word)


def _plain(word: str) -> str:
    return _NON_WORD.sub("", word.lower())


def split_reported_speech(query: str) -> tuple[str, frozenset[str]]:
    """``("he is ok", {"emo", "tells", "proog"})`` for "Emo tells Proog he is ok".

    The frame of a line described in the third person (a speaker, a reporting verb, an
    addressee, a linking word) is separated from the words that echo the line itself.
    A query without such a frame comes back whole, with no frame words.
    """
    tokens = query.split()
    for i, token in enumerate(tokens[:5]):
        if i == 0 or _plain(token) not in REPORTING_VERBS:
            continue
        rest = tokens[i + 1:]
        if len(rest) > 1 and (rest[0][:1].isupper() or _plain(rest[0]) in _OBJECTS):
            rest = rest[1:]
        if len(rest) > 1 and _plain(rest[0]) in _LINKS:
            rest = rest[1:]
        frame = tokens[: len(tokens) - len(rest)]
        return " ".join(rest), frozenset(w for t in frame for w in words(t))
    return query, frozenset()


@functools.lru_cache(maxsize=64)
def common_words(lang: str) -> frozenset[str]:
    """``lang``'s common words, as :func:`oneframe.dialogue.text.words` writes them."""
    listed = COMMON.get(lang)
    if listed is None:
        return frozenset()
    return frozenset(w for item in listed.split() for w in words(item, lang))
