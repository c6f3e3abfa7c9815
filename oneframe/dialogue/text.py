"""Text normalisation for dialogue matching: words, numbers, contractions, reported speech.

People remember lines imperfectly and describe them in the third person ("she tells him she
is fine" for "I'm fine"). Both sides are reduced to plain lowercase words, with contractions
expanded and digits spelled out, so "It's 10 to 3" and "it is ten to three" meet.
"""

from __future__ import annotations

import functools
import re
import unicodedata

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


def words(text: str) -> list[str]:
    """Lowercase words without accents or punctuation; contractions expanded, digits spelled."""
    text = text.lower()
    if not text.isascii():  # accents off; plain ASCII has none to remove
        text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
        text = "".join(c for c in text if not unicodedata.combining(c))
    for trigger, pattern, replacement in _CONTRACTIONS:
        if trigger in text:
            text = pattern.sub(replacement, text)
    out: list[str] = []
    for token in _NON_WORD.sub(" ", text).split():
        if token.isdigit():
            if len(token) > 1 and not token.strip("0"):
                continue  # the "00" of "3:00"
            out.extend(spell_number(int(token)).split())
        else:
            out.append(token)
    return out


@functools.lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """A light stem so that "paying"/"pay" and "tells"/"tell" meet."""
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


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
