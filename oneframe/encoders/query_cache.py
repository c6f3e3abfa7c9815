"""Query vectors kept on disk, so a query asked before needs no model loaded to search.

A vector is filed under what made it: the kind of encoder, the checkpoint's files (folder,
sizes, times), the precision and quantisation chosen here, and the text. A checkpoint that
changes, or a precision set otherwise, files its vectors apart. Only where the checkpoint's
files are on this machine (a folder, or the Hugging Face cache); otherwise nothing is kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from oneframe.encoders.models import device
from oneframe.encoders.onnx_models import cache_root, checkpoint_identity
from oneframe.encoders.precision import setting

VERSION = 1
MAX_FILES = 20_000
"""About 40 MB of 512-wide vectors; past it the oldest go (checked now and then on writes)."""
PRUNE_EVERY = 200


def folder() -> Path:
    return cache_root() / "queries"


def cached_vector(kind: str, model_id: str, text: str,
                  compute: Callable[[], np.ndarray]) -> np.ndarray:
    """The vector ``compute()`` makes for ``text``, from disk when it was made before."""
    path = _path(kind, model_id, text)
    if path is None:
        return compute()
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):  # not cached yet, or a torn or foreign file: made again
        pass
    vector = np.asarray(compute(), np.float32)
    _store(path, vector)
    return vector


def _path(kind: str, model_id: str, text: str) -> Path | None:
    identity = checkpoint_identity(model_id)
    if identity is None:
        return None
    made_from = [VERSION, kind, identity, setting(device()), text]
    key = hashlib.sha256(json.dumps(made_from).encode()).hexdigest()
    return folder() / key[:2] / f"{key}.npy"


def _store(path: Path, vector: np.ndarray) -> None:
    """Written whole or not at all; a cache that can't be written is only slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            np.save(out, vector, allow_pickle=False)
        os.replace(temporary, path)
    except OSError:
        return
    if random.randrange(PRUNE_EVERY) == 0:
        prune()


def prune(keep: int = MAX_FILES) -> int:
    """Removes all but the ``keep`` most recently written vectors; how many went."""
    try:
        files = [(p.stat().st_mtime_ns, p) for p in folder().glob("*/*.npy")]
    except OSError:
        return 0
    files.sort(reverse=True)
    removed = 0
    for _, path in files[keep:]:
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed
