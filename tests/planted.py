"""Library entries with planted frame vectors and captions, for exact ranking tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oneframe.captions import Cue
from oneframe.ingest import index_dialog
from oneframe.library import Library, VideoRecord
from oneframe.sentences import resolve_dialog_model


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def plant(library: Library, vid: str, times: list[float], vectors: np.ndarray,
          cues: list[Cue], model: str, url: str | None = None) -> VideoRecord:
    """Commit a video whose frame vectors and cues are given, through the library's own path."""
    notes: list[str] = []
    with library.staging() as stage:
        (stage / "frames").mkdir()
        for i in range(len(times)):
            (stage / "frames" / f"{i:06d}.jpg").write_bytes(b"")
        np.save(stage / "times.npy", np.asarray(times, np.float64))
        np.save(stage / "embeddings.npy", unit(vectors).astype(np.float16))
        dialog_model = index_dialog(cues, stage, resolve_dialog_model(), notes)
        record = VideoRecord(
            id=vid, title=vid, source=f"/planted/{vid}.mp4", url=url,
            duration=float(times[-1]) + 1, model=model, interval=1.0, caption_key="lang:en",
            caption_kind="file" if cues else None, caption_lang="en" if cues else None,
            frames=len(times), cues=len(cues), video_file=None, created="2026-01-01T00:00:00",
            notes=notes, dialog_key=resolve_dialog_model(), dialog_model=dialog_model)
        return library.commit(stage, record)


def write_json(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
