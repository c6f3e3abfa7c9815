"""Write the generated dialogue sets of bench/eval_dialog.py: queries made in bulk from the
subtitle files of ../shared/data, split once by film into a tuning half and a held-out half.

Usage: .venv/bin/python bench/dialog_sets.py   (writes bench/eval/generated/{tune,held}.jsonl)

Hand-written sets are few and get tuned on; these are many and made by rules that know nothing
of the matcher. Per subtitle file (its language set by hand: the script does not tell German
from English), up to ``PER_FILE`` lines spread over the film, each asked one way per kind:

``exact``         the line as written;
``plain``         lower case, punctuation gone (apostrophes too, half the time: "dont");
``misremembered`` a word left out, two neighbours swapped, or an English word by a synonym;
``reported``      in reported speech: "she tells him ...", "he asks whether ...", "someone
                  says ..." (the line's first person moved to the third where that is simple;
                  other languages frame it in their own words);
``fragment``      three to five consecutive words of it (four to six letters where the script
                  has no spaces), common words or not;
``exchange``      two consecutive lines said as one ("... and she says ...");
``described``     a description of the picture, then who says the line, exactly or
                  misremembered ("in a dark corridor, the old man says ...").

An answer is the line's own time and that of every other line with the same words (for a
fragment: every line holding it word for word). Deterministic (a fixed seed per file).

The split is by film, made once: the films the hand-written sets were written against
(Elephants Dream in every language, Night of the Living Dead), Tears of Steel and a YouTube
auto-caption file are the tuning half; His Girl Friday, Sintel, and the caption corpus's talks
(Arduino in three languages, the cycle collector, the WebVTT spec's example) the held-out half.
(The corpus's other files are parser tests, not dialogue: "Test 5: cue alignment".)
Tune on ``tune``; report both; a change that lifts one and lowers the other is not taken.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

from common import DATA, ROOT

from oneframe.dialogue.captions import read_captions
from oneframe.dialogue.cues import Cue
from oneframe.dialogue.text import words

OUT = ROOT / "bench" / "eval" / "generated"
PER_FILE = 160
"""Lines asked per file and kind at most (a feature film gives this many; a short, all it has)."""


@dataclass(frozen=True)
class Source:
    film: str
    file: str
    lang: str
    half: str


SOURCES = [
    Source("elephants-dream", "subtitles/elephants-dream/captions.en.vtt", "en", "tune"),
    Source("elephants-dream", "subtitles/elephants-dream/captions.ar.vtt", "ar", "tune"),
    Source("elephants-dream", "subtitles/elephants-dream/captions.ja.vtt", "ja", "tune"),
    Source("elephants-dream", "subtitles/elephants-dream/captions.ru.vtt", "ru", "tune"),
    Source("elephants-dream", "subtitles/elephants-dream/captions.sv.vtt", "sv", "tune"),
    Source("elephants-dream", "subtitles/elephants-dream/srt/elephant.german-utf8.srt", "de",
           "tune"),
    Source("elephants-dream", "subtitles/elephants-dream/srt/elephant.spanish-utf8.srt", "es",
           "tune"),
    Source("elephants-dream", "subtitles/elephants-dream/srt/elephant.french-utf8.srt", "fr",
           "tune"),
    Source("night-of-the-living-dead",
           "subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt", "en", "tune"),
    Source("tears-of-steel", "subtitles/tears-of-steel/TOS-en.vtt", "en", "tune"),
    Source("youtube-rolling", "youtube/youtube-rolling-dev.vtt", "en", "tune"),
    Source("his-girl-friday", "subtitles/public-domain-films/his-girl-friday-1940-en.srt", "en",
           "held"),
    Source("sintel", "subtitles/sintel/sintel_en.vtt", "en", "held"),
    Source("sintel", "subtitles/sintel-short/sintel-de.vtt", "de", "held"),
    Source("sintel", "subtitles/sintel-short/sintel-es.vtt", "es", "held"),
    Source("arduino", "captions-corpus/captionator-vtt/arduino-en.vtt", "en", "held"),
    Source("arduino", "captions-corpus/captionator-vtt/arduino-de.vtt", "de", "held"),
    Source("arduino", "captions-corpus/captionator-vtt/arduino-ja.vtt", "ja", "held"),
    Source("spec-example", "captions-corpus/captionator-vtt/example.vtt", "en", "held"),
    Source("cycle-collector-talk",
           "captions-corpus/vttjs-tests/tests/integration/cycle-collector-talk.vtt", "en", "held"),
]

SYNONYMS = dict(pair.split(":") for pair in """
big:large large:big small:little little:small quick:fast fast:quick happy:glad glad:happy
begin:start start:begin maybe:perhaps perhaps:maybe afraid:scared scared:afraid
shut:close close:shut talk:speak speak:talk look:see right:correct wrong:incorrect
house:home home:house father:dad dad:father mother:mom mom:mother child:kid kid:child
kids:children children:kids car:automobile buy:purchase help:assist sick:ill ill:sick
quiet:silent silent:quiet angry:mad mad:angry stupid:dumb dumb:stupid rich:wealthy
near:close job:work work:job story:tale hurry:rush shout:yell yell:shout wait:hold
understand:get think:believe believe:think remember:recall forget:lose nice:kind kind:nice
fine:okay ok:fine okay:alright alright:okay yes:yeah yeah:yes no:nope sure:certainly
dead:killed kill:murder murder:kill gun:pistol money:cash cash:money woman:lady lady:woman
man:guy guy:man boy:lad girl:lass friend:pal street:road road:street door:gate
""".split())
"""English words and a word people put in their place when they misremember a line."""

SPEAKERS = ["she", "he", "the old man", "the girl", "a man in a suit", "the woman",
            "Walter", "Hildy", "the doctor", "someone", "the boy", "Maria", "the captain"]
ADDRESSEES = ["him", "her", "them", "the boy", "Bruce", "everyone", "the girl", "his friend"]
SCENES = ["in a dark corridor", "close-up of a face", "two people at a table",
          "standing by the window", "a wide shot of a city street at night",
          "in a crowded newsroom", "a woman on the phone", "outside in the rain",
          "the camera pans across a room", "a man sitting at a desk"]
JOINTS = [", and {who} says ", " while {who} says ", " as {who} says ", ", then {who} says ",
          " when {who} tells {whom} "]
FRAMES = {  # per language: reported speech in its own words
    "de": ["{who} sagt ", "er sagt ihr ", "sie fragt ihn "],
    "es": ["{who} dice ", "él le dice ", "ella le pregunta "],
    "fr": ["il dit ", "elle lui dit ", "il lui demande "],
    "sv": ["han säger ", "hon säger till honom ", "han frågar "],
    "ru": ["он говорит ", "она говорит ему ", "он спрашивает "],
    "ar": ["يقول ", "تقول له ", "يسأل "],
    "ja": ["彼は言う ", "彼女が言う ", "男が聞く "],
}
WHO = {"de": ["er", "sie", "der Mann"], "es": ["él", "ella", "el hombre"]}
SCENE_IN = {"de": "in einem dunklen Raum, ", "es": "en una habitación oscura, ",
            "fr": "dans une pièce sombre, ", "sv": "i ett mörkt rum, ",
            "ru": "в тёмной комнате, ", "ar": "في غرفة مظلمة، ", "ja": "暗い部屋で、"}
FIRST_TO_THIRD = [(r"\bI'm\b", "{p} is"), (r"\bI am\b", "{p} is"), (r"\bI've\b", "{p} has"),
                  (r"\bI'll\b", "{p} will"), (r"\bI'd\b", "{p} would"),
                  (r"\bI was\b", "{p} was"), (r"\bmyself\b", "{r}"), (r"\bmy\b", "{s}"),
                  (r"\bme\b", "{o}")]
"""First person moved to the third, where no verb agreement changes ("I think" stays)."""
UNSPACED = ("ja", "zh", "ko", "th")
"""Languages written without spaces between words."""
PUNCTUATION = re.compile(r"[^\w\s']|_", re.UNICODE)


def main() -> None:
    films = {half: {s.film for s in SOURCES if s.half == half} for half in ("tune", "held")}
    assert not films["tune"] & films["held"], "a film in both halves"
    OUT.mkdir(parents=True, exist_ok=True)
    halves: dict[str, list[dict]] = {"tune": [], "held": []}
    for source in SOURCES:
        path = DATA / source.file
        cues = [c for c in read_captions(path, lang=source.lang) if c.text.strip()]
        made = queries(cues, source, random.Random(f"{source.file}"))
        halves[source.half] += made
        kinds = sorted({q["kind"] for q in made})
        print(f"{source.half} {source.file}: {len(cues)} lines, "
              + ", ".join(f"{k} {sum(q['kind'] == k for q in made)}" for k in kinds))
    for half, items in halves.items():
        with (OUT / f"{half}.jsonl").open("w", encoding="utf-8") as out:
            for item in items:
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(f"{half}: {len(items)} queries")


def queries(cues: list[Cue], source: Source, rng: random.Random) -> list[dict]:
    """Every kind's queries for one subtitle file."""
    lang = source.lang
    keyed = [tuple(words(c.text, lang)) for c in cues]
    same: dict[tuple[str, ...], list[Cue]] = {}
    for k, (cue, key) in enumerate(zip(cues, keyed, strict=True)):
        same.setdefault(key, []).append(cue)
        if k + 1 < len(cues):  # the same line said again over two cues
            same.setdefault(key + keyed[k + 1], []).append(cue)
    spaced = lang not in UNSPACED
    sized = [i for i, c in enumerate(cues) if _long_enough(c.text, spaced)]
    chosen = _spread(sized, PER_FILE)
    out: list[dict] = []

    def add(kind: str, query: str, answers: list[Cue], how: str = "") -> None:
        query = " ".join(query.split())
        if query:
            out.append({"query": query, "kind": kind, "answers": _spans(answers),
                        "lang": lang, "film": source.film, "file": source.file,
                        **({"how": how} if how else {})})

    for i in chosen:
        cue, line = cues[i], _line(cues[i].text)
        twins = same[keyed[i]]
        add("exact", line, twins)
        add("plain", _plain(line, rng), twins)
        changed, how = _misremember(line, lang, spaced, rng)
        if changed:
            add("misremembered", changed, twins, how)
        add("reported", _reported(line, lang, spaced, rng), twins)
        fragment = _fragment(line, lang, spaced, rng)
        if fragment:
            holding = [c for c, key in zip(cues, keyed, strict=True)
                       if _holds(key, tuple(words(fragment, lang)))]
            add("fragment", fragment, holding or [cue])
        if i + 1 < len(cues) and _exchange(cue, cues[i + 1], spaced):
            add("exchange", _exchanged(line, _line(cues[i + 1].text), lang, rng), twins)
        add("described", _described(line, lang, spaced, rng), twins)
    return out


def _line(text: str) -> str:
    return " ".join(text.replace("\n", " ").split()).strip(" -")


def _long_enough(text: str, spaced: bool) -> bool:
    line = _line(text)
    if not spaced:
        return sum(ch.isalnum() for ch in line) >= 8
    return len(line.split()) >= 4


def _spread(items: list[int], count: int) -> list[int]:
    if len(items) <= count:
        return items
    step = len(items) / count
    return [items[int(k * step)] for k in range(count)]


def _spans(cues: list[Cue]) -> list[list[float]]:
    return [[round(c.start, 3), round(c.end, 3)] for c in cues]


def _holds(line: tuple[str, ...], run: tuple[str, ...]) -> bool:
    return any(line[k:k + len(run)] == run for k in range(len(line) - len(run) + 1))


def _plain(line: str, rng: random.Random) -> str:
    text = PUNCTUATION.sub(" ", line.lower())
    return text.replace("'", "").replace("’", "") if rng.random() < 0.5 else text


def _tokens(line: str) -> list[str]:
    return [t for t in (t.strip(".,!?¿¡…\"“”«»:;-") for t in line.split()) if t]


def _misremember(line: str, lang: str, spaced: bool,
                 rng: random.Random) -> tuple[str, str]:
    """The line with one change: a word left out, two swapped, or a synonym (English)."""
    if not spaced:
        letters = [c for c in line if c.isalnum()]
        drop = rng.randrange(1, len(letters) - 1)
        return "".join(letters[:drop] + letters[drop + 1:]), "drop"
    tokens = _tokens(line)
    if len(tokens) < 5:
        return "", ""
    swappable = [k for k, t in enumerate(tokens) if t.lower() in SYNONYMS]
    how = rng.choice(["drop", "swap"] + (["synonym"] * 2 if lang == "en" and swappable else []))
    if how == "drop":
        del tokens[rng.randrange(len(tokens))]
    elif how == "swap":
        k = rng.randrange(len(tokens) - 1)
        tokens[k], tokens[k + 1] = tokens[k + 1], tokens[k]
    else:
        k = rng.choice(swappable)
        tokens[k] = SYNONYMS[tokens[k].lower()]
    return " ".join(tokens), how


def _third_person(line: str, speaker: str) -> str:
    female = speaker in ("she", "the girl", "the woman", "Maria", "Hildy")
    forms = dict(zip("posr", ("she", "her", "her", "herself") if female
                     else ("he", "him", "his", "himself"), strict=True))
    for pattern, replacement in FIRST_TO_THIRD:
        line = re.sub(pattern, replacement.format(**forms), line)
    return line


def _reported(line: str, lang: str, spaced: bool, rng: random.Random) -> str:
    if lang != "en":
        return rng.choice(FRAMES[lang]).format(who=rng.choice(WHO.get(lang, [""]))) + line
    who = rng.choice(SPEAKERS)
    whom = rng.choice(ADDRESSEES)
    question = line.rstrip().endswith("?")
    body = line.rstrip(".!")
    if question:
        frame = rng.choice(["{who} asks {whom} ", "{who} asks ", "{who} asks {whom} if ",
                            "{who} wants to know "])
    else:
        frame = rng.choice(["{who} says ", "{who} tells {whom} ", "{who} tells {whom} that ",
                            "someone says ", "{who} says that ", "{who} shouts "])
        if frame.endswith("that "):
            body = _third_person(body, who)
    frame = frame.format(who=who, whom=whom)
    return (frame[0].upper() + frame[1:] if who[0].isupper() else frame) + body


def _fragment(line: str, lang: str, spaced: bool, rng: random.Random) -> str:
    if not spaced:
        letters = [c for c in line if c.isalnum()]
        size = rng.randint(4, 6)
        if len(letters) < size + 1:
            return ""
        at = rng.randint(0, len(letters) - size)
        return "".join(letters[at:at + size])
    tokens = _tokens(line)
    if len(tokens) < 3:
        return ""
    size = rng.randint(3, min(5, len(tokens)))
    at = rng.randint(0, len(tokens) - size)
    return " ".join(tokens[at:at + size])


def _exchange(first: Cue, second: Cue, spaced: bool) -> bool:
    return second.start - first.end <= 2.0 and _long_enough(second.text, spaced) and \
        _line(first.text) != _line(second.text)


def _exchanged(first: str, second: str, lang: str, rng: random.Random) -> str:
    if lang != "en":
        return f"{first} {second}"
    return rng.choice(["{a} and {b}", "{a} and she says {b}", "he asks {a} and she says {b}",
                       "{a} then the answer {b}", "{a} {b}"]).format(a=first.rstrip(".!"),
                                                                     b=second)


def _described(line: str, lang: str, spaced: bool, rng: random.Random) -> str:
    said = line
    if rng.random() < 0.4:
        said = _misremember(line, lang, spaced, rng)[0] or line
    if lang != "en":
        return SCENE_IN[lang] + rng.choice(FRAMES[lang]).format(
            who=rng.choice(WHO.get(lang, [""]))) + said
    scene = rng.choice(SCENES)
    joint = rng.choice(JOINTS).format(who=rng.choice(SPEAKERS), whom=rng.choice(ADDRESSEES))
    return scene + joint + said.rstrip(".!")


if __name__ == "__main__":
    main()
