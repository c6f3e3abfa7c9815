"""How an ingest's progress reports read on the Add video page."""

from __future__ import annotations

from collections.abc import Sequence

from oneframe.core.progress import Stage
from oneframe.core.timefmt import timestamp

STAGES = {Stage.PROBE: "Looking at the source", Stage.DOWNLOAD: "Downloading",
          Stage.CAPTIONS: "Reading captions", Stage.SPEECH: "Transcribing speech",
          Stage.SUBTITLES: "Looking for burned-in subtitles",
          Stage.FRAMES: "Sampling frames", Stage.EMBED: "Embedding frames",
          Stage.OCR: "Reading burned-in subtitles", Stage.DIALOG: "Indexing the dialogue",
          Stage.SAVE: "Saving"}
STAGES_DONE = {Stage.PROBE: "Looked at the source", Stage.DOWNLOAD: "Got the video",
               Stage.CAPTIONS: "Read the captions", Stage.SPEECH: "Transcribed the speech",
               Stage.SUBTITLES: "Looked for burned-in subtitles",
               Stage.FRAMES: "Sampled the frames", Stage.EMBED: "Embedded the frames",
               Stage.OCR: "Read the burned-in subtitles", Stage.DIALOG: "Indexed the dialogue",
               Stage.SAVE: "Saved"}
WHILE_DECODING = {Stage.FRAMES, Stage.EMBED, Stage.OCR}
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
        elif stage in (Stage.EMBED, Stage.OCR) and Stage.FRAMES in counts:
            continue  # told inside the frames bar
        elif stage == Stage.FRAMES:
            extra = [f"{counts[Stage.EMBED][0]:,} embedded" if Stage.EMBED in counts else "",
                     f"{counts[Stage.OCR][0]:,} subtitle lines" if Stage.OCR in counts else ""]
            text = f"{STAGES[stage]}: {timestamp(done)} of {timestamp(total)}" if total else \
                f"{STAGES[stage]}: {timestamp(done)}"
            under_way.append((min(done / total, 1.0) if total else 0.0,
                              " · ".join([text, *filter(None, extra)])))
        elif stage == Stage.SPEECH:
            under_way.append((min(done / total, 1.0) if total else 0.0,
                              f"{STAGES[stage]}: {timestamp(done)} of {timestamp(total)}"))
        elif stage == Stage.DOWNLOAD and total > 1:
            under_way.append((min(done / total, 1.0),
                              f"{STAGES[stage]}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"))
        else:
            label = STAGES.get(stage, stage.capitalize())
            under_way.append((min(done / total, 1.0) if total else 0.0,
                              f"{label}: {done:,} of {total:,}" if total > 1 else f"{label}"))
    return finished, under_way


def current_stage(latest: Stage | None) -> str:
    """The status line's words for the stage reported last."""
    if latest in WHILE_DECODING:
        return STAGES[Stage.FRAMES]
    return STAGES.get(latest or "", "Starting")
