"""Products of the library's float16 vector matrices with query vectors."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

NUMPY_ROWS = 16_384
"""Up to this many rows numpy multiplies (a film or two: no torch to import for a first
search); above it torch, where installed (the export extra), whose float16 product needs no
float32 copy of the rows; without it numpy goes on, a chunk of rows at a time."""
_CHUNK = 8192


def products(matrix: np.ndarray | Sequence[np.ndarray], vectors: np.ndarray) -> np.ndarray:
    """``matrix @ vectors`` in float32 for a float16 ``matrix`` (rows x d), or the parts of one
    read in turn (several videos' memory-mapped vectors, never copied into one), and float32
    ``vectors`` (d x k)."""
    parts = [matrix] if isinstance(matrix, np.ndarray) else list(matrix)
    rows = sum(len(part) for part in parts)
    if not rows:
        return np.zeros((0, vectors.shape[1]), np.float32)
    if rows > NUMPY_ROWS and (torch := _torch()) is not None:
        columns = torch.from_numpy(np.ascontiguousarray(vectors.T, np.float16))
        with warnings.catch_warnings():  # read-only memory maps: torch only reads them
            warnings.simplefilter("ignore", UserWarning)
            lefts = [torch.from_numpy(np.asarray(part)) for part in parts]
        # one matrix-vector product per column: torch's float16 one is 4x its matrix product
        return torch.cat([torch.stack([(left @ c).float() for c in columns], dim=1)
                          for left in lefts]).numpy()
    vectors = np.ascontiguousarray(vectors, np.float32)
    out = np.empty((rows, vectors.shape[1]), np.float32)
    buffer = np.empty((min(_CHUNK, max(len(p) for p in parts)), vectors.shape[0]), np.float32)
    at = 0
    for part in parts:
        for lo in range(0, len(part), _CHUNK):
            chunk = buffer[:len(part[lo:lo + _CHUNK])]
            chunk[...] = part[lo:lo + _CHUNK]
            np.matmul(chunk, vectors, out=out[at:at + len(chunk)])
            at += len(chunk)
    return out


def _torch() -> Any:
    """torch, or None where the app runs without the export extra."""
    try:
        import torch
    except ImportError:
        return None
    return torch
