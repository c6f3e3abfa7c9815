"""Products of the library's float16 vector matrices with query vectors."""

from __future__ import annotations

import numpy as np

NUMPY_ROWS = 16_384
"""Up to this many rows numpy multiplies (a film or two: no torch to import for a first
search); above it torch, whose float16 product needs no float32 copy of the rows."""
_CHUNK = 8192


def products(matrix: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """``matrix @ vectors`` in float32 for a float16 ``matrix`` (rows x d) and float32
    ``vectors`` (d x k)."""
    if len(matrix) > NUMPY_ROWS:
        import torch

        left = torch.from_numpy(matrix)
        columns = torch.from_numpy(np.ascontiguousarray(vectors.T, np.float16))
        # one matrix-vector product per column: torch's float16 one is 4x its matrix product
        return torch.stack([(left @ c).float() for c in columns], dim=1).numpy()
    vectors = np.ascontiguousarray(vectors, np.float32)
    out = np.empty((len(matrix), vectors.shape[1]), np.float32)
    buffer = np.empty((min(_CHUNK, len(matrix)), matrix.shape[1]), np.float32)
    for lo in range(0, len(matrix), _CHUNK):
        part = buffer[:len(matrix[lo:lo + _CHUNK])]
        part[...] = matrix[lo:lo + _CHUNK]
        np.matmul(part, vectors, out=out[lo:lo + len(part)])
    return out
