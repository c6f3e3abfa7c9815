"""Blend the picture and the dialogue, calibrated per query, and pick distinct moments.

CLIP cosines sit in a narrow band (about 0.15-0.35) whose level says little across queries,
so the visual channel is rescaled per query: the median frame maps to 0 and the best to 1
(frames below the median stay at 0).
Dialogue scores are absolute (1 = the line itself), so only their noise floor, the median
window, is removed. Then ``fused = w * visual + (1 - w) * dialogue``: w = 1 is picture only,
0 dialogue only, 0.5 an equal say. Where no searched video has dialogue, the dialogue channel
is absent and the picture alone ranks.
"""

from __future__ import annotations

import numpy as np

TIE_BREAK = 1e-4


def calibrate_visual(cosines: np.ndarray) -> np.ndarray:
    """Per-query rescale to [0, 1]: the median frame and below -> 0, the best -> 1.

    Monotone above the median, so the order of the frames that can rank is kept; a picture
    that matches worse than a typical frame adds nothing rather than subtracting.
    """
    if not len(cosines):
        return cosines.astype(np.float32)
    middle, top = float(np.median(cosines)), float(cosines.max())
    return np.clip((cosines - middle) / max(top - middle, 1e-6), 0, 1).astype(np.float32)


NOISE_CAP = 0.3  # a noise floor above this is a video with few lines, all of them matching


def calibrate_dialog(scores: np.ndarray, baseline: float) -> np.ndarray:
    """Remove the noise floor: ``baseline`` -> 0, a perfect match -> 1, clipped to [0, 1]."""
    baseline = min(max(baseline, 0.0), NOISE_CAP)
    return np.clip((scores - baseline) / (1 - baseline), 0, 1).astype(np.float32)


def blend(visual: np.ndarray, dialog: np.ndarray | None, weight: float) -> np.ndarray:
    """Fused scores; ``dialog`` None means no searched video has dialogue."""
    if dialog is None:
        return visual.copy()
    weight = min(max(weight, 0.0), 1.0)
    fused = weight * visual + (1 - weight) * dialog
    if weight == 0:
        fused = fused + TIE_BREAK * visual * (dialog == 0)  # no dialogue: the picture decides
    elif weight == 1:
        fused = fused + TIE_BREAK * dialog
    return fused.astype(np.float32)


def distinct_moments(scores: np.ndarray, times: np.ndarray, groups: np.ndarray, k: int,
                     min_gap: float) -> list[int]:
    """Indices of the top ``k`` scores, none within ``min_gap`` s of a better one in its group.

    Temporal non-maximum suppression: neighbouring frames of one shot are one moment.
    Equal scores go to the earlier moment (the start of a line, the first frame of a shot).
    """
    if k <= 0 or not len(scores):
        return []
    pool = min(len(scores), max(k * 40, 256))
    candidates = np.argpartition(-scores, pool - 1)[:pool]
    while True:
        order = candidates[np.lexsort((times[candidates], -scores[candidates]))]
        picked: list[int] = []
        for i in order:
            t, g = times[i], groups[i]
            if all(groups[j] != g or abs(times[j] - t) >= min_gap for j in picked):
                picked.append(int(i))
                if len(picked) == k:
                    return picked
        if pool >= len(scores):
            return picked
        pool = min(len(scores), pool * 4)
        candidates = np.argpartition(-scores, pool - 1)[:pool]
