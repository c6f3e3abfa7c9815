"""Re-embed stored videos with another picture model, from what the library already holds.

The frames a video was indexed with are kept as thumbnails (long side 512 px, larger than any
preset's input), so the new vectors are made from them at the same times: nothing is
downloaded or decoded again, and times, thumbnails and dialogue stay as they were. The entry is
replaced atomically under the new parameters (a cache hit for an ingest with that model).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import cv2
import numpy as np

from oneframe.core.errors import LibraryError, OneframeError
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.encoders.dual import load_encoder, resolve_model
from oneframe.index.store import follow
from oneframe.library.atomic import reported_writes
from oneframe.library.folders import Library, VideoRecord
from oneframe.library.manifest import MANIFEST

BATCH = 32


def reindex(library: Library, vid: str, model: str | None = None,
            progress: Progress = no_progress) -> VideoRecord:
    """The entry of ``vid`` with its frames embedded by ``model``; unchanged if it already is."""
    record = library.get(vid)
    if not record.has_pictures:
        raise OneframeError(f"“{record.title}” ({vid}) is in the library by its dialogue only: "
                            "its picture is not fetched yet, so there are no frames to embed. "
                            f"Fetch its pictures first (`oneframe pictures {vid}`).")
    model_id = resolve_model(model)
    if record.model == model_id:
        return record
    encoder = load_encoder(model_id)
    with reported_writes(f"re-index '{vid}'"), library.staging() as stage:
        _link_tree(record.path, stage, skip={MANIFEST, "embeddings.npy"})
        vectors = []
        for start in range(0, record.frames, BATCH):
            images = [_thumbnail(record, i) for i in range(start, min(start + BATCH,
                                                                      record.frames))]
            vectors.append(encoder.embed_images(images).astype(np.float16))
            progress(Stage.EMBED, min(start + BATCH, record.frames), record.frames)
        np.save(stage / "embeddings.npy", np.concatenate(vectors) if vectors else
                np.zeros((0, encoder.dim), np.float16))
        updated = dataclasses.replace(record, model=model_id, dim=encoder.dim, path=stage)
        progress(Stage.SAVE, 0, 1)
        committed = library.commit(stage, updated)
    follow(library, [committed.id])
    return committed


def _thumbnail(record: VideoRecord, index: int) -> np.ndarray:
    image = cv2.imread(str(record.frame_path(index)))
    if image is None:
        raise LibraryError(f"Frame {index} of '{record.id}' is missing from the library, so it "
                           "can't be re-indexed; add the video again instead.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _link_tree(source: Path, target: Path, skip: set[str]) -> None:
    """Hard links to every file of ``source`` under ``target`` (copies where links fail)."""
    for root, _, files in os.walk(source):
        here = target / Path(root).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            if Path(root) == source and name in skip:
                continue
            try:
                os.link(Path(root) / name, here / name)
            except OSError:
                shutil.copyfile(Path(root) / name, here / name)
