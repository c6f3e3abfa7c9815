"""Write the language sets of bench/eval_dialog.py: queries in each language of the shared
films' subtitles, with the times they should find.

Usage: .venv/bin/python bench/language_sets.py   (writes bench/eval/lang-*.jsonl)

Per subtitle file, up to 15 lines long enough to half-remember (4 words, or 8 letters in a
script without spaces), spread over the film, each asked two ways:
``fragment``: three consecutive words of it, one of them not a common word (a fragment of
common words alone finds nothing, by design, in every language; four to six letters without
spaces);
``misremembered``: the line with one word left out and two neighbours swapped (without spaces:
most of it, a letter left out). An answer is every line the query's words all appear in, so a
fragment said twice counts at either place. Deterministic (a fixed seed).
"""

from __future__ import annotations

import json
import random

from common import ROOT

from oneframe.dialogue.captions import read_captions
from oneframe.dialogue.text import common_words, unspaced, words

SUBTITLES = ROOT.parent / "shared" / "data" / "subtitles"
SETS = {  # name: (subtitle file under SUBTITLES, its language)
    "lang-ed-ar": ("elephants-dream/captions.ar.vtt", "ar"),
    "lang-ed-ja": ("elephants-dream/captions.ja.vtt", "ja"),
    "lang-ed-ru": ("elephants-dream/captions.ru.vtt", "ru"),
    "lang-ed-sv": ("elephants-dream/captions.sv.vtt", "sv"),
    "lang-ed-de": ("elephants-dream/srt/elephant.german-utf8.srt", "de"),
    "lang-ed-es": ("elephants-dream/srt/elephant.spanish-utf8.srt", "es"),
    "lang-ed-fr": ("elephants-dream/srt/elephant.french-utf8.srt", "fr"),
    "lang-ed-ja-srt": ("elephants-dream/srt/elephant.japanese.srt", "ja"),
    "lang-sintel-de": ("sintel-short/sintel-de.vtt", "de"),
    "lang-sintel-es": ("sintel-short/sintel-es.vtt", "es"),
}
PER_FILM = 15


def _queries(text: str, rng: random.Random, lang: str) -> dict[str, str] | None:
    line = " ".join(text.split())
    if any(map(unspaced, line)):
        letters = [c for c in line if not c.isspace() and (c.isalnum() or unspaced(c))]
        if len(letters) < 8:
            return None
        size = rng.randint(4, 6)
        at = rng.randint(0, len(letters) - size)
        kept = letters[: len(letters) - 1]
        drop = rng.randint(1, len(kept) - 2)
        return {"fragment": "".join(letters[at:at + size]),
                "misremembered": "".join(kept[:drop] + kept[drop + 1:])}
    tokens = [t.strip(".,!?¿¡…\"“”«»:;-") for t in line.split()]
    tokens = [t for t in tokens if t]
    if len(tokens) < 4:
        return None
    common = common_words(lang)
    places = [at for at in range(len(tokens) - 2)  # a fragment holds a word worth searching
              if any(w not in common for t in tokens[at:at + 3] for w in words(t, lang))]
    if not places:
        return None
    at = rng.choice(places)
    changed = list(tokens)
    del changed[rng.randrange(len(changed))]
    swap = rng.randrange(len(changed) - 1)
    changed[swap], changed[swap + 1] = changed[swap + 1], changed[swap]
    return {"fragment": " ".join(tokens[at:at + 3]), "misremembered": " ".join(changed)}


def _answers(cues: list, query: str, lang: str) -> list[list[float]]:
    wanted = set(words(query, lang))
    return [[c.start, c.end] for c in cues if wanted <= set(words(c.text, lang))]


def main() -> None:
    out = ROOT / "bench" / "eval"
    for name, (file, lang) in SETS.items():
        cues = [c for c in read_captions(SUBTITLES / file, lang=lang) if c.text.strip()]
        rng = random.Random(name)
        rows = []
        step = max(1, len(cues) // (PER_FILM * 2))
        for cue in cues[::step]:
            asked = _queries(cue.text, rng, lang)
            if asked is None:
                continue
            for kind, query in asked.items():
                answers = _answers(cues, query, lang) or [[cue.start, cue.end]]
                rows.append({"query": query, "kind": kind, "answers": answers, "lang": lang})
            if len(rows) >= 2 * PER_FILM:
                break
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                   for r in rows), encoding="utf-8")
        print(f"{name}: {len(rows)} queries from {len(cues)} lines")


if __name__ == "__main__":
    main()
