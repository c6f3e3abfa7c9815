"""Query vectors on disk: reused only for the same checkpoint, precision and text."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from oneframe.encoders import query_cache


@pytest.fixture()
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("ONEFRAME_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "queries"


def counting(value: float) -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.full(4, value, np.float32)

    return calls, compute


def test_a_vector_is_made_once_and_then_read(cache: Path, tiny_model_dir: Path) -> None:
    calls, compute = counting(0.5)
    first = query_cache.cached_vector("picture-text", str(tiny_model_dir), "a dog", compute)
    again = query_cache.cached_vector("picture-text", str(tiny_model_dir), "a dog", compute)
    assert calls == [1] and np.array_equal(first, again) and again.dtype == np.float32
    assert len(list(cache.glob("*/*.npy"))) == 1
    query_cache.cached_vector("picture-text", str(tiny_model_dir), "a cat", compute)
    query_cache.cached_vector("sentence", str(tiny_model_dir), "a dog", compute)
    assert len(calls) == 3  # another text, another encoder: made anew


def test_another_precision_or_changed_weights_are_filed_apart(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights")
    calls, compute = counting(1.0)
    query_cache.cached_vector("picture-text", str(model), "q", compute)
    monkeypatch.setenv("ONEFRAME_PRECISION", "float32")
    query_cache.cached_vector("picture-text", str(model), "q", compute)
    assert len(calls) == 2
    (model / "model.safetensors").write_bytes(b"new weights")
    query_cache.cached_vector("picture-text", str(model), "q", compute)
    assert len(calls) == 3


def test_no_cache_for_a_model_not_on_this_machine(cache: Path) -> None:
    calls, compute = counting(2.0)
    for _ in range(2):
        query_cache.cached_vector("picture-text", "nobody/no-such-model-here", "q", compute)
    assert len(calls) == 2 and not cache.exists()


def test_a_torn_file_is_made_again_and_an_unwritable_cache_only_slows(
        cache: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls, compute = counting(3.0)
    query_cache.cached_vector("picture-text", str(tiny_model_dir), "q", compute)
    [stored] = cache.glob("*/*.npy")
    stored.write_bytes(stored.read_bytes()[:20])
    assert query_cache.cached_vector("picture-text", str(tiny_model_dir), "q", compute)[0] == 3.0
    assert len(calls) == 2
    blocker = cache.parent.parent / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ONEFRAME_CACHE", str(blocker))  # the cache can't be made there
    vector = query_cache.cached_vector("picture-text", str(tiny_model_dir), "q", compute)
    assert vector[0] == 3.0 and len(calls) == 3


def test_prune_keeps_the_newest(cache: Path, tiny_model_dir: Path) -> None:
    for i in range(5):
        query_cache.cached_vector("picture-text", str(tiny_model_dir), f"q{i}",
                                  counting(float(i))[1])
    files = sorted(cache.glob("*/*.npy"), key=lambda p: p.stat().st_mtime_ns)
    for age, path in enumerate(files):
        os.utime(path, ns=(age * 10**9, age * 10**9))
    assert query_cache.prune(keep=2) == 3
    assert sorted(cache.glob("*/*.npy")) == sorted(files[-2:])
