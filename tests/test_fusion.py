"""Calibration, blending and distinct-moment selection on plain arrays."""

from __future__ import annotations

import numpy as np

from oneframe.search.fusion import (
    blend,
    calibrate_dialog,
    distinct_moments,
    neutral_background,
    picture_match,
    rescale_relative,
)


def test_image_query_rescale_keeps_order_above_the_median() -> None:
    cosines = np.array([0.18, 0.21, 0.19, 0.31, 0.25, 0.20])
    v = rescale_relative(cosines)
    assert v.max() == 1.0 and v.min() == 0.0
    top = np.argsort(-cosines)[:3]
    assert list(np.argsort(-v, kind="stable")[:3]) == list(top)


def test_text_query_picture_scores_are_absolute() -> None:
    """A query that beats the neutral captions clearly scores near 1, one that only equals
    them near 0; whatever the best frame of this query is, it is not rescaled to 1."""
    neutral = np.array([[0.22, 0.21, 0.20], [0.24, 0.23, 0.22], [0.20, 0.20, 0.19]])
    background = neutral_background(neutral, 100.0)
    assert background[1] > background[0] > background[2]
    strong = picture_match(np.array([0.30, 0.27, 0.26]), background, 100.0)
    assert (strong > 0.9).all()
    weak = picture_match(np.array([0.20, 0.22, 0.18]), background, 100.0)
    assert (weak < 0.2).all() and weak.max() < 0.2  # the best of a poor query stays poor
    # per frame: the same cosine means less on a frame every caption describes a little (a hub)
    same = picture_match(np.array([0.25, 0.25, 0.25]), background, 100.0)
    assert same[2] > same[0] > same[1]


def test_dialogue_noise_floor_and_a_video_with_one_line() -> None:
    scores = np.array([0.1, 0.12, 0.9, 0.11])
    d = calibrate_dialog(scores, baseline=0.11)
    assert d[2] > 0.85 and d[0] == 0.0
    assert calibrate_dialog(np.array([0.8]), baseline=0.8)[0] > 0.7  # not zeroed by itself


def test_blend_weights_mean_what_they_say() -> None:
    visual, dialog = np.array([1.0, 0.0, 0.5]), np.array([0.0, 1.0, 0.5])
    assert list(blend(visual, dialog, 1.0).round(3)) == [1.0, 0.0, 0.5]
    assert list(blend(visual, dialog, 0.0).round(3)) == [0.0, 1.0, 0.5]
    assert len(set(blend(visual, dialog, 0.5).round(3))) == 1  # an equal say
    assert list(blend(visual, None, 0.0)) == list(visual)  # no dialogue: the picture ranks


def test_distinct_moments_per_video() -> None:
    scores = np.array([0.9, 0.95, 0.92, 0.5, 0.94])
    times = np.array([10.0, 10.5, 11.0, 30.0, 10.5])
    groups = np.array([0, 0, 0, 0, 1])
    assert distinct_moments(scores, times, groups, 3, 2.0) == [1, 4, 3]
    assert distinct_moments(scores, times, groups, 2, 0.0) == [1, 4]
    assert distinct_moments(scores, times, groups, 0, 2.0) == []


def test_one_line_is_one_moment_whatever_the_gap() -> None:
    scores = np.array([0.9, 0.89, 0.88, 0.7])
    times = np.array([10.0, 13.0, 16.0, 40.0])
    groups = np.zeros(4, int)
    lines = np.array([5, 5, 5, -1])
    assert distinct_moments(scores, times, groups, 3, 2.0) == [0, 1, 2]
    assert distinct_moments(scores, times, groups, 3, 2.0, lines) == [0, 3]
