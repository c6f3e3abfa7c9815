"""A query split into what is seen, what is said and narration, each sent to its channel.

People describe a remembered moment both ways at once: "Landa sees Bridget's leg is in a cast
and asks her what happened". The picture model should get "Bridget's leg is in a cast", the
dialogue "what happened", and neither "Landa sees ... and asks her". The dialogue also reads
the whole query word for word and keeps the better (``DialogQuery.readings``): an inferred
split is a hint that can add a match, never take one away ("say hello to my little friend").
Rules, in order:

* explicit syntax: ``said: ...`` and ``seen: ...`` mark the parts; ``"exact words"`` (straight
  or curly quotes, in the said part or outside the markers) are said and must appear in the
  line; ``-word`` leaves out moments whose
  line, or picture, matches the word;
* the rest is cut into clauses (at commas, ``and``, ``while``, ``as``, ``when``, ``then``,
  ``before``, ``after``, semicolons); a clause with a reporting verb near its start ("tells",
  "asks", "calls", "introduces"...) is said, its speaker-verb-addressee frame narration; a
  clause led by a perception verb ("sees", "watches", "notices") is seen, the verb's subject
  narration; any other clause is seen (a description of the picture);
* a query with no said part is plain: both channels get all of it, as before.

A channel whose part is empty gets the whole query (a quote still has a picture, weighted low
by the suggested weight). English only; other languages' queries are plain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oneframe.core.errors import OneframeError
from oneframe.dialogue.text import REPORTING_VERBS, common_words, words

SPEECH_VERBS = REPORTING_VERBS | frozenset(
    "introduce introduces introduced introducing saying telling asking calling "
    "shouting yelling whispering replying".split())
PERCEPTION_VERBS = frozenset(
    "see sees saw seeing notice notices noticed noticing watch watches watched watching "
    "spot spots spotted observe observes observed glimpse glimpses".split())
CLAUSE_BREAK = re.compile(
    r"\s*[;,]\s*(?:and\s+|then\s+|but\s+)?|\s+(and|while|as|when|whilst|then|before|after|"
    r"but)\s+", re.IGNORECASE)
OBJECTS = frozenset("him her them me us you everyone everybody".split())
UNADDRESSED = frozenset(
    "say says said saying shout shouts shouted shouting yell yells yelled yelling whisper "
    "whispers whispered whispering mutter mutters muttered scream screams screamed exclaim "
    "exclaims exclaimed cry cries cried".split())
"""Verbs whose next word is the line, never an addressee ("says Venus probe")."""
LINKS = frozenset("that if whether".split())
"""Words between a reporting verb and the words of the line: its addressee, a linking word (a
question's own "what", "why" or "how" stays: it is said)."""
LEADING_JOINT = re.compile(r"^(?:and|while|as|when|whilst|then|before|after|but)\s+",
                           re.IGNORECASE)
MARKER = re.compile(r"\b(said|seen)\s*:", re.IGNORECASE)
QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
EXCLUDED = re.compile(r"(?:(?<=\s)|^)-(\w[\w'’]*)")
FIRST_PERSON = frozenset("i i'm i'll i've i'd i’m i’ll i’ve i’d".split())
"""Capitalised, but the line's own first word, not an addressee's name."""
SUBJECTS = 3
"""Words a clause's subject may take before its verb ("the old man sees", "Landa asks")."""
MAX_QUERY_CHARS = 500
"""The longest query, in characters, on every surface (pages, command line, API)."""
MAX_EXCLUDED = 12
"""The most words a query may leave out (``-word``): each is a picture search of its own."""
WEIGHTS = {"seen": 0.8, "said": 0.2, "both": 0.5}
"""The picture's suggested share by what the query holds: only what is seen, only what is said,
or both."""


@dataclass(frozen=True)
class QueryParts:
    """What a query asks of each channel."""

    text: str
    seen: str = ""
    said: str = ""
    narration: str = ""
    exact: tuple[str, ...] = ()
    """Phrases the line must contain (lower case)."""
    exclude: tuple[str, ...] = ()
    """Words whose moments (by line or picture) are left out (lower case)."""
    whole: str = ""
    """The query without its syntax (markers, quote marks, excluded words)."""
    marked: bool = False
    """Whether the query marks its parts itself (``said:``, ``seen:``): then they mean exactly
    what they say; else the split is a reading, and the whole query is read too."""

    @classmethod
    def parse(cls, text: str) -> QueryParts:
        return parse(text)

    @property
    def split(self) -> bool:
        """Whether the query has a said part, or marks a seen part (else it is plain: all of
        it to both channels)."""
        return bool(self.said) or (self.marked and bool(self.seen))

    @property
    def picture_text(self) -> str:
        """What the picture model is asked: the seen part, else the whole query."""
        return (self.seen if self.split else "") or self.whole

    @property
    def dialogue_text(self) -> str:
        """What the dialogue is matched against: the said part, else (unless the query marks
        its parts) the whole query."""
        return self.said or ("" if self.marked else self.whole)

    @classmethod
    def weight_for(cls, query: str | None, default: float) -> float:
        """The picture's share ``query`` suggests; ``default`` for none or a plain one."""
        return cls.parse(query).suggested_weight(default) if query and query.strip() \
            else default

    def suggested_weight(self, default: float) -> float:
        """The picture's share this query suggests: ``default`` for a plain one; the picture
        alone (1) for ``seen:`` parts alone, the dialogue alone (0) for ``said:`` parts
        alone."""
        if not self.split:
            return default
        if self.marked and not self.said:
            return 1.0
        if self.marked and not self.seen:
            return 0.0
        return WEIGHTS["both"] if self.seen else WEIGHTS["said"]

    @property
    def names(self) -> frozenset[str]:
        """Who and what the query names (lower case): its capitalised words that are not
        common ones ("Emo tells Proog ...", "Cooper refuses ...", "the Venus probe")."""
        common = common_words("en") | FIRST_PERSON | SPEECH_VERBS | PERCEPTION_VERBS
        return frozenset(w for t in self.whole.split() if t[:1].isupper()
                         for w in words(t) if len(w) > 1 and w not in common)

    def editable(self) -> tuple[str, str]:
        """``(seen, said)`` as a user edits them: the phrases that must be said in quotes."""
        said = self.said
        for phrase in self.exact:
            said = re.sub(re.escape(phrase), lambda m: f'"{m.group(0)}"', said, count=1,
                          flags=re.IGNORECASE)
        return self.seen, said

    def describe(self) -> str:
        """``seen: ... / said: ...`` as the Search page shows the split; "" for a plain query.
        An inferred said part is one reading: the dialogue reads the whole query too."""
        shown = [f"{name}: {value}" for name, value in (("seen", self.seen),
                                                       ("said", self.said)) if value]
        if self.said and not self.marked:  # a reading, beside the query's own words
            shown[-1] += ", or all of it word for word"
        if self.marked and not self.said:
            shown[-1] += " (the picture alone)"
        elif self.marked and not self.seen and shown:
            shown[-1] += " (the dialogue alone)"
        shown += [f"must say: “{p}”" for p in self.exact]
        shown += [f"not: {w}" for w in self.exclude]
        return " / ".join(shown) if (self.split or self.exclude or self.exact) else ""


def written(seen: str, said: str, exclude: tuple[str, ...] = ()) -> str:
    """A query in the explicit syntax that reads back as ``seen`` and ``said`` (the split a
    user edited), keeping its ``-word`` exclusions."""
    pieces = [f"seen: {seen.strip()}" if seen.strip() else "",
              f"said: {said.strip()}" if said.strip() else ""]
    return " ".join([p for p in pieces if p] + [f"-{w}" for w in exclude])


def check_query(text: str) -> str:
    """``text`` if it can be a query, else OneframeError saying why: at most
    ``MAX_QUERY_CHARS`` characters and ``MAX_EXCLUDED`` ``-words``, and text (no lone
    surrogates: bytes that were not UTF-8 on a command line)."""
    if len(text) > MAX_QUERY_CHARS:
        raise OneframeError(f"The query is {len(text):,} characters long; a query can be at "
                            f"most {MAX_QUERY_CHARS}. Describe the moment more briefly.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise OneframeError("The query holds bytes that are not text (it was not UTF-8). "
                            "Type it again, or save the file as UTF-8.") from None
    if len({m.group(1).lower() for m in EXCLUDED.finditer(text)}) > MAX_EXCLUDED:
        raise OneframeError(f"The query leaves out more than {MAX_EXCLUDED} words (-word); "
                            "keep the ones that matter.")
    return text


def parse(text: str) -> QueryParts:
    """Split ``text`` (see the module's docstring), in time linear in its length (runs of
    spaces are one space first)."""
    spaced = " ".join(text.split())
    exclude = tuple(dict.fromkeys(m.group(1).lower() for m in EXCLUDED.finditer(spaced)))
    body = " ".join(EXCLUDED.sub(" ", spaced).split())
    seen: list[str] = []
    said: list[str] = []
    narration: list[str] = []
    pieces = MARKER.split(body)
    exact = []
    for marker, value in zip(pieces[1::2], pieces[2::2], strict=True):
        (said if marker.lower() == "said" else seen).append(_clean(value))
        if marker.lower() == "said":  # "said: he says "exactly this""
            exact += [_clean(quote).lower() for quote in QUOTED.findall(value)]
    for quote in QUOTED.findall(pieces[0]):
        said.append(_clean(quote))
        exact.append(_clean(quote).lower())
    parts = CLAUSE_BREAK.split(QUOTED.sub(" , ", pieces[0]))
    last = None
    for clause, joint in zip(parts[::2], [None, *parts[1::2]], strict=False):
        clause = LEADING_JOINT.sub("", _clean(clause))
        if not clause:
            continue
        if last == "said" and joint and joint.lower() == "as":  # "introduces him as a stuntman"
            said[-1] += " as " + clause
            continue
        last = _clause(clause, seen, said, narration)
    whole = _clean(MARKER.sub(" ", body))
    return QueryParts(text, " ".join(s for s in seen if s), " ".join(s for s in said if s),
                      " ".join(n for n in narration if n), tuple(exact), exclude, whole,
                      marked=len(pieces) > 1)


def _clause(clause: str, seen: list[str], said: list[str], narration: list[str]) -> str:
    """Put one clause where it belongs; which part it went to."""
    tokens = clause.split()
    plain = [_plain(t) for t in tokens]
    speech = next((i for i, w in enumerate(plain) if w in SPEECH_VERBS and i), None)
    if speech is None and plain and plain[0] in SPEECH_VERBS:
        speech = 0  # "asks her what happened": the subject was in the clause before
    if speech is not None:
        start = _line_start(tokens, plain, speech)
        if speech > SUBJECTS:  # "a man in sunglasses says ...": who speaks is seen
            seen.append(" ".join(tokens[:speech]))
            narration.append(" ".join(tokens[speech:start]))
        else:
            narration.append(" ".join(tokens[:start]))
        if start < len(tokens):  # else the verb's words are elsewhere (a quote)
            said.append(" ".join(tokens[start:]))
        return "said"
    for i, word in enumerate(plain[:SUBJECTS + 1]):
        if word in PERCEPTION_VERBS and i + 1 < len(tokens):
            start = i + 2 if plain[i + 1] in ("that", "how") and i + 2 < len(tokens) else i + 1
            seen.append(" ".join(tokens[start:]))
            narration.append(" ".join(tokens[:start]))
            return "seen"
    seen.append(clause)
    return "seen"


def _line_start(tokens: list[str], plain: list[str], verb: int) -> int:
    """Where the words of the line begin after a reporting verb: past its addressee (a pronoun,
    a name, or a short noun phrase before "to"/"that") and a linking word. A name is said where
    the verb introduces it ("introduces Brad Pitt as a stuntman") or takes no addressee ("says
    Venus probe")."""
    after = plain[verb + 1:verb + 4]
    for link in ("to", "that"):
        if link in after:
            at = verb + 1 + after.index(link)
            if link == "to" and plain[at - 1] == "not":  # "warns him not to touch it"
                return at - 1
            return at + 1  # "tells him to leave": "leave"
    names = not plain[verb].startswith("introduc") and plain[verb] not in UNADDRESSED
    start = verb + 1
    while start < len(tokens) - 1 and (plain[start] in OBJECTS or plain[start] in LINKS
                                       or (names and tokens[start][:1].isupper()
                                           and _plain(tokens[start]) not in FIRST_PERSON)):
        start += 1
    return start


def _plain(token: str) -> str:
    return token.strip(".,;:!?\"'“”‘’()").lower()


def _clean(text: str) -> str:
    return " ".join(text.replace('"', " ").replace("“", " ").replace("”", " ").split()).strip(
        " ,;:")
