"""Mixed descriptions: the dev sets' lines described with what is seen around them, in varied
forms, written to bench/eval/mixed-ed.jsonl and mixed-notld.jsonl (bench/eval_dialog.py reads
them with the rest).

Usage: .venv/bin/python bench/mixed_sets.py
Each query of ../shared/eval's dev sets (exact lines, misremembered ones, fragments, and the
seed-style descriptions) becomes one mixed description: a visual clause of the film's look and
the line, joined by one of eight forms (a clause before or after, "while", "as", a quote, the
explicit ``seen:``/``said:`` syntax, a perception verb, a reported line), in turn. Quotes are
used only for exact lines (a quote must appear in the line). The answers are the line's.
"""

from __future__ import annotations

import json

from common import ROOT

SHARED = ROOT.parent / "shared" / "eval"
OUT = ROOT / "bench" / "eval"
SOURCES = {"mixed-ed": ["dialog-dev.jsonl", "dialog-dev-seedstyle.jsonl"],
           "mixed-notld": ["dialog-dev-notld.jsonl", "dialog-dev-notld-seedstyle.jsonl"]}
LOOKS = {
    "mixed-ed": ["the two men cross a narrow bridge over the void", "close-up of the old man's "
                 "face", "in a dark room full of cables", "a wide shot of the strange machine "
                 "city", "the young man sits against a metal wall", "red light flickers on the "
                 "pipes"],
    "mixed-notld": ["a farmhouse at night", "close-up of the woman's frightened face", "the men "
                    "board up the windows", "in the cellar by lamplight", "dead figures shuffle "
                    "across the field", "a car parked by the cemetery gate"],
}
SPEAKERS = ["he", "she", "the man", "someone"]


def describe(line: str, kind: str, look: str, speaker: str, form: int) -> str:
    """``line`` and ``look`` in the ``form``-th of the eight ways people put them together."""
    reported = kind == "fragment"  # already told in the third person ("Emo tells Proog ...")
    said = line if reported else f"{speaker} says {line}"
    forms = [
        f"{look}, and {said}",
        f"{said} while {look}",
        f"{look} as {said}",
        f'{look}, "{line}"' if kind == "exact" else f"{look}; {said}",
        f"seen: {look} said: {line}",
        f"{speaker} sees {look} and {said}" if not reported else f"{look}, then {said}",
        f"{look} when {said}",
        f"{said}, {look}",
    ]
    return forms[form % len(forms)]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, files in SOURCES.items():
        rows = [json.loads(line) for f in files for line in
                (SHARED / f).read_text(encoding="utf-8").splitlines() if line.strip()]
        looks = LOOKS[name]
        out = []
        for i, row in enumerate(rows):
            query = describe(row["query"].rstrip(".?!"), row["kind"], looks[i % len(looks)],
                             SPEAKERS[i % len(SPEAKERS)], i)
            out.append({"query": query, "kind": f"mixed-{row['kind']}",
                        "answers": row["answers"]})
        path = OUT / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(out)} mixed descriptions")


if __name__ == "__main__":
    main()
