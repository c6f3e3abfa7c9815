"""Library entries with planted frame vectors and captions, for exact ranking tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oneframe.dialogue.cues import Cue
from oneframe.encoders.sentences import resolve_dialog_model
from oneframe.index.store import follow
from oneframe.ingest.pipeline import index_dialog
from oneframe.library.folders import Library, VideoRecord


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def image_like(n: int, texts: list[str], seed: int = 0, spread: float = 0.005) -> np.ndarray:
    """``n`` frame vectors that none of ``texts`` describes better than a neutral caption does.

    Real CLIP frames sit in a cone of their own, about equally far from most texts; here they
    scatter a little around a direction orthogonal to ``texts`` and the neutral captions, so a
    query's picture score is about 0 on them (and exactly what a test plants elsewhere).
    """
    from oneframe.encoders.dual import load_encoder
    from oneframe.search.fusion import NEUTRAL_CAPTIONS

    encoder = load_encoder()
    known = encoder.embed_texts([*texts, *NEUTRAL_CAPTIONS])
    _, _, basis = np.linalg.svd(known)
    centre = basis[-1]  # orthogonal to every text above
    rng = np.random.default_rng(seed)
    return unit(centre + spread * rng.standard_normal((n, encoder.dim)))


def showing(frame: np.ndarray, query: np.ndarray, strength: float = 0.5) -> np.ndarray:
    """``frame`` moved toward a text vector: a frame that shows what the text describes.

    As with real CLIP, its cosine to that text stays far from 1 (about ``strength``) and beats
    the neutral captions' by a few hundredths.
    """
    return unit(frame + strength * query)


def plant(library: Library, vid: str, times: list[float], vectors: np.ndarray,
          cues: list[Cue], model: str, url: str | None = None,
          title: str | None = None) -> VideoRecord:
    """Commit a video whose frame vectors and cues are given, through the library's own path.

    Its thumbnails are small grey JPEGs; it has no video file.
    """
    import cv2

    notes: list[str] = []
    thumbnail = cv2.imencode(".jpg", np.full((18, 32, 3), 128, np.uint8))[1].tobytes()
    with library.staging() as stage:
        (stage / "frames").mkdir()
        for i in range(len(times)):
            (stage / "frames" / f"{i:06d}.jpg").write_bytes(thumbnail)
        np.save(stage / "times.npy", np.asarray(times, np.float64))
        np.save(stage / "embeddings.npy", unit(vectors).astype(np.float16))
        dialog_model = index_dialog(cues, stage, resolve_dialog_model(), notes)
        record = VideoRecord(
            id=vid, title=title or vid, source=f"/planted/{vid}.mp4", url=url,
            duration=float(times[-1]) + 1, model=model, interval=1.0, caption_key="lang:en",
            caption_kind="file" if cues else None, caption_lang="en" if cues else None,
            frames=len(times), cues=len(cues), video_file=None, created="2026-01-01T00:00:00",
            notes=notes, dialog_key=resolve_dialog_model(), dialog_model=dialog_model)
        committed = library.commit(stage, record)
    follow(library)  # as ingest does
    return committed


def write_json(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
