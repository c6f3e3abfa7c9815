"""How an ingest's progress reports read on the Add video page."""

from __future__ import annotations

from collections.abc import Sequence

from oneframe.core.timefmt import timestamp

STAGES = {"probe": "Looking at the source", "download": "Downloading",
          "captions": "Reading captions", "speech": "Transcribing speech",
          "subtitles": "Looking for burned-in subtitles",
          "frames": "Sampling frames", "embed": "Embedding frames",
          "ocr": "Reading burned-in subtitles", "dialog": "Indexing the dialogue",
          "save": "Saving"}
STAGES_DONE = {"probe": "Looked at the source", "download": "Got the video",
               "captions": "Read the captions", "speech": "Transcribed the speech",
               "subtitles": "Looked for burned-in subtitles",
               "frames": "Sampled the frames", "embed": "Embedded the frames",
               "ocr": "Read the burned-in subtitles", "dialog": "Indexed the dialogue",
               "save": "Saved"}
WHILE_DECODING = {"frames", "embed", "ocr"}
"""Stages the core reports in turns while the video is read; shown as one bar."""


def progress_view(
        snapshot: Sequence[tuple[str, int, int]]) -> tuple[list[str], list[tuple[float, str]]]:
    """An ingest's ``(stage, done, total)`` reports as the steps finished and the bars under way.

    A stage is finished once a later one has begun (frames, embedding and OCR run together, so
    they end together), or once it reports ``done == total``.
    """
    names = [stage for stage, _, _ in snapshot]
    counts = {stage: (done, total) for stage, done, total in snapshot}
    finished, under_way = [], []
    for i, (stage, done, total) in enumerate(snapshot):
        later = [n for n in names[i + 1:] if not (stage in WHILE_DECODING and n in WHILE_DECODING)]
        concurrent = stage in WHILE_DECODING
        if later or (not concurrent and total and done >= total):
            finished.append(STAGES_DONE.get(stage, stage))
        elif stage in ("embed", "ocr") and "frames" in counts:
            continue  # told inside the frames bar
        elif stage == "frames":
            extra = [f"{counts['embed'][0]:,} embedded" if "embed" in counts else "",
                     f"{counts['ocr'][0]:,} subtitle lines" if "ocr" in counts else ""]
            text = f"{STAGES[stage]}: {timestamp(done)} of {timestamp(total)}" if total else \
                f"{STAGES[stage]}: {timestamp(done)}"
            under_way.append((min(done / total, 1.0) if total else 0.0,
                              " · ".join([text, *filter(None, extra)])))
        elif stage == "speech":
            under_way.append((min(done / total, 1.0) if total else 0.0,
                              f"{STAGES[stage]}: {timestamp(done)} of {timestamp(total)}"))
        elif stage == "download" and total > 1:
            under_way.append((min(done / total, 1.0),
                              f"{STAGES[stage]}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"))
        else:
            label = STAGES.get(stage, stage.capitalize())
            under_way.append((min(done / total, 1.0) if total else 0.0,
                              f"{label}: {done:,} of {total:,}" if total > 1 else f"{label}"))
    return finished, under_way


def current_stage(latest: str | None) -> str:
    """The status line's words for the stage reported last."""
    if latest in WHILE_DECODING:
        return STAGES["frames"]
    return STAGES.get(latest or "", "Starting")
