"""Blend the picture and the dialogue, calibrated per query, and pick distinct moments.

The picture channel of a text query is absolute: for each frame, the probability that the
query describes it better than a bank of K neutral captions ("a photo.", "something."...)
does, at the model's own temperature (its ``logit_scale``): ``p = sigmoid(s * cos(query,
frame) - logsumexp(s * cos(neutral, frame)))``, then rescaled so that chance (a query no better
than a neutral caption, p = 1 / (K + 1)) is 0. A nonsense query scores about 0 on every frame,
so it finds nothing instead of a confident best frame, and frames that match every text a
little (hubs) are not favoured. This is zero-shot classification with a
background class, and close to querybank normalisation (Bogolin et al., CVPR 2022).
An image query (search by image, "Similar") has no such reference and is rescaled per query:
the median frame maps to 0 and the best to 1.
Dialogue scores are absolute (1 = the line itself), so only their noise floor, the median
window, is removed. Then ``fused = w * picture + (1 - w) * dialogue``: w = 1 is picture only,
0 dialogue only, 0.5 an equal say. Where no searched video has dialogue, the dialogue channel
is absent and the picture alone ranks. Moments below ``MIN_SCORE`` are not shown.
"""

from __future__ import annotations

import numpy as np

NEUTRAL_CAPTIONS = (
    "a photo.", "an image.", "a picture.", "a photo of something.", "something.", "a thing.",
    "stuff.", "an object.",
)
"""Captions that say nothing about what is shown: the background a query has to beat."""
DEFAULT_LOGIT_SCALE = 100.0  # CLIP's learnt temperature; used where a model has none

TIE_BREAK = 1e-4


def neutral_background(neutral_cosines: np.ndarray, scale: float) -> np.ndarray:
    """Per frame, ``logsumexp(scale * cos)`` over the neutral captions (rows: frames)."""
    logits = scale * neutral_cosines.astype(np.float64)
    top = logits.max(axis=1, keepdims=True)
    return (top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))).astype(np.float32)


def picture_match(cosines: np.ndarray, background: np.ndarray, scale: float) -> np.ndarray:
    """How much better than chance a text query describes each frame than neutral captions do.

    0 where it does no better than a neutral caption, towards 1 as it becomes certain.
    """
    margin = scale * cosines.astype(np.float64) - background
    beats = 1 / (1 + np.exp(-np.clip(margin, -60, 60)))
    chance = 1 / (len(NEUTRAL_CAPTIONS) + 1)
    return np.clip((beats - chance) / (1 - chance), 0, 1).astype(np.float32)


def rescale_relative(cosines: np.ndarray) -> np.ndarray:
    """For image queries: the median frame and below -> 0, the best -> 1.

    Monotone above the median, so the order of the frames that can rank is kept; a picture
    that matches worse than a typical frame adds nothing rather than subtracting.
    """
    if not len(cosines):
        return cosines.astype(np.float32)
    middle, top = float(np.median(cosines)), float(cosines.max())
    return np.clip((cosines - middle) / max(top - middle, 1e-6), 0, 1).astype(np.float32)


NOISE_CAP = 0.3  # a noise floor above this is a video with few lines, all of them matching


def calibrate_dialog(scores: np.ndarray, baseline: float | np.ndarray) -> np.ndarray:
    """Remove the noise floor (one, or one per score): ``baseline`` -> 0, a perfect match -> 1,
    clipped to [0, 1]."""
    baseline = np.clip(baseline, 0.0, NOISE_CAP)
    return np.clip((scores - baseline) / (1 - baseline), 0, 1).astype(np.float32)


NAME_DAMP = 0.75
"""How much less a video's dialogue counts for each of the query's names it never says, where
another searched video says it."""


def name_weights(named: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Per video, how much its dialogue counts by the names the query gives: ``named`` is, per
    video, the share of the query's names its lines say. Among the ``chosen`` videos, one that
    says fewer than the best is scaled by ``1 - NAME_DAMP * (best - named)``: "Emo tells Proog
    to keep his distance" is likelier in the film where Emo and Proog talk. Within one video,
    and where no video says a name, nothing changes."""
    best = float(named[chosen].max()) if len(chosen) else 0.0
    return (1 - NAME_DAMP * np.clip(best - named, 0, 1)).astype(np.float32)


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


def strength(visual: np.ndarray, dialog: np.ndarray | None, weight: float) -> np.ndarray:
    """How well each moment matched by the channel that matched it best, each channel counted
    as much as the slider says: ``max(w * picture, (1 - w) * dialogue) / max(w, 1 - w)``.

    At an equal say it is the better of the two; at 0 the dialogue alone, at 1 the picture
    alone. The floor is set on this rather than on the blend, so a line said word for word is
    shown at the default slider even where the picture has nothing to do with it.
    """
    if dialog is None:
        return visual.copy()
    weight = min(max(weight, 0.0), 1.0)
    best = np.maximum(weight * visual, (1 - weight) * dialog)
    return (best / max(weight, 1 - weight)).astype(np.float32)


def distinct_moments(scores: np.ndarray, times: np.ndarray, groups: np.ndarray, k: int,
                     min_gap: float, lines: np.ndarray | None = None,
                     overlaps: dict[int, set[int]] | None = None) -> list[int]:
    """Indices of the top ``k`` scores, none within ``min_gap`` s of a better one in its group.

    Temporal non-maximum suppression: neighbouring frames of one shot are one moment. Frames
    whose match is one line of dialogue (the same ``lines`` key, -1 for none) are one moment
    too, however far apart, and so are lines that ``overlaps`` says share a line with a better
    one (a line said within an exchange already shown). Equal scores go to the earlier moment
    (the start of a line, the first frame of a shot).
    """
    if k <= 0 or not len(scores):
        return []
    pool = min(len(scores), max(k * 40, 256))
    candidates = np.argpartition(-scores, pool - 1)[:pool]
    while True:
        order = candidates[np.lexsort((times[candidates], -scores[candidates]))]
        picked: list[int] = []
        said: set[int] = set()
        for i in order:
            t, g = times[i], groups[i]
            line = int(lines[i]) if lines is not None else -1
            if line >= 0 and line in said:
                continue
            if all(groups[j] != g or abs(times[j] - t) >= min_gap for j in picked):
                picked.append(int(i))
                if line >= 0:
                    said.add(line)
                    said |= (overlaps or {}).get(line, set())
                if len(picked) == k:
                    return picked
        if pool >= len(scores):
            return picked
        pool = min(len(scores), pool * 4)
        candidates = np.argpartition(-scores, pool - 1)[:pool]
