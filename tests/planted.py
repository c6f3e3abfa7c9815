"""Library entries with planted frame vectors and captions, for exact ranking tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oneframe.dialogue.cues import Cue
from oneframe.encoders.dual import load_encoder, resolve_model
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


NOUNS = ["gondola", "stuntman", "lighthouse", "violin", "submarine", "orchard", "telescope",
         "carnival", "glacier", "typewriter", "zeppelin", "saxophone", "volcano", "aquarium",
         "monastery", "harpoon", "windmill", "pyramid", "trombone", "igloo"]
PLACES = ["harbour", "station", "bakery", "cathedral", "stadium", "library", "market",
          "airport", "museum", "theatre"]
PICTURES = ["a red bicycle leaning on a lamp post", "a snowy mountain under a green sky",
            "two dogs asleep on a sofa", "a yellow taxi in the rain",
            "fireworks over a dark river"]


def film_library(library: Library, count: int, frames: int = 20) -> list[tuple[str, float]]:
    """``count`` films of planted lines and frames: film n mentions two nouns (each noun in a
    few films, at a place) and shows one of ``PICTURES`` in one frame (every fifth film
    another). Queries ``(text, picture weight)`` that find moments in a few films each:
    picture, dialogue, mixed and with ``-word``."""
    model = resolve_model()
    texts = load_encoder().embed_texts(PICTURES)
    for n in range(count):
        a, b = NOUNS[n % len(NOUNS)], NOUNS[(3 * n + 7) % len(NOUNS)]
        place = PLACES[n % len(PLACES)]
        cues = [Cue(1.0, 3.0, f"Meet me by the {a} near the {place}."),
                Cue(6.0, 8.0, f"Nobody believed the {b} story."),
                Cue(11.0, 13.0, f"The {place} closes at {n % 12 + 1} tonight."),
                Cue(15.0, 17.0, "Did you bring the tickets?")]
        vectors = image_like(frames, PICTURES + PLACES, seed=n)
        shown = n % (len(PICTURES) * 4)
        if shown < len(PICTURES):
            at = (5 + n) % frames
            vectors[at] = showing(vectors[at], texts[shown])
        plant(library, f"film-{n:03d}", [float(t) for t in range(frames)], vectors, cues, model)
    queries: list[tuple[str, float]] = [(p, 1.0) for p in PICTURES]
    queries += [(f"the {noun}", 0.0) for noun in NOUNS]
    queries += [(f"meet me by the {noun}", 0.3) for noun in NOUNS[:10]]
    queries += [(f"{PICTURES[i % len(PICTURES)]} {NOUNS[i]}", 0.5) for i in range(8)]
    queries += [(f"{NOUNS[i]} -{PLACES[(i + 3) % len(PLACES)]}", 0.0) for i in range(7)]
    return queries[:50]
