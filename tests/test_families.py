"""Every CLIP-family checkpoint gives the vectors its authors intended.

For each image-text dual encoder transformers ships, a tiny random checkpoint is saved with its
processor and loaded through oneframe's own path; its vectors are compared with the reference
pipeline: the processor called as the family's model card says, then ``get_*_features``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import DATA
from tiny_model import FAMILIES, build_tiny_family

TEXTS = ["a man in a tuxedo close up", "Red door", "Two people talking in a car at night",
         "the cat"]
MODEL_CARD_TEXT = {  # how each family's model card calls the processor for text
    "siglip": {"padding": "max_length"},
    "siglip2": {"padding": "max_length", "max_length": 64, "lowercase": True},
    "siglip2_fixed": {"padding": "max_length", "max_length": 64, "lowercase": True},
}


def reference(path: Path, family: str, texts: list[str], images: list[np.ndarray]):
    """Text and image vectors as the model card's own pipeline makes them (float32)."""
    import torch
    from transformers import AutoModel, AutoProcessor

    model = AutoModel.from_pretrained(path).eval()
    processor = AutoProcessor.from_pretrained(path)
    rule = dict(MODEL_CARD_TEXT.get(family, {"padding": True}))
    if rule.pop("lowercase", False):
        texts = [t.lower() for t in texts]
    with torch.inference_mode():
        text_inputs = processor(text=texts, return_tensors="pt", **rule)
        text = model.get_text_features(**text_inputs)
        image = model.get_image_features(**processor(images=images, return_tensors="pt"))

    def unit(out) -> np.ndarray:
        vectors = getattr(out, "pooler_output", out).float().numpy()
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    return unit(text), unit(image)


def real_frames() -> list[np.ndarray]:
    """A few frames of the shared clips (faces, text, landscapes at their own aspect ratios)."""
    import cv2

    frames = []
    for name, at in (("clips/friday.mp4", 2.0), ("clips/tears-of-steel-battle-clip-medium.webm",
                                                 20.0), ("clips/big_buck_bunny_0_30.webm", 12.0)):
        cap = cv2.VideoCapture(str(DATA / name))
        cap.set(cv2.CAP_PROP_POS_MSEC, at * 1000)
        ok, bgr = cap.read()
        cap.release()
        if ok:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return frames


@pytest.fixture(scope="module", params=FAMILIES)
def family(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return request.param, build_tiny_family(request.param, tmp_path_factory.mktemp(request.param))


def test_text_vectors_are_the_reference_pipelines(family: tuple[str, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from oneframe.encoders.dual import load_encoder

    monkeypatch.setenv("ONEFRAME_PRECISION", "float32")  # the pipeline, not the number format
    name, path = family
    encoder = load_encoder(str(path))
    expected, _ = reference(path, name, TEXTS, [np.zeros((32, 32, 3), np.uint8)])
    ours = encoder.embed_texts(TEXTS)
    assert (ours * expected).sum(axis=1).min() >= 0.999, name
    alone = np.concatenate([encoder.embed_texts([t]) for t in TEXTS])
    assert (ours * alone).sum(axis=1).min() >= 0.9999, f"{name}: padding leaks into batches"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data (real frames) is absent")
def test_image_vectors_are_the_reference_pipelines_on_real_frames(
        family: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from oneframe.encoders.dual import load_encoder

    monkeypatch.setenv("ONEFRAME_PRECISION", "float32")
    name, path = family
    frames = real_frames()
    assert len(frames) == 3
    _, expected = reference(path, name, ["a"], frames)
    ours = load_encoder(str(path)).embed_images(frames)
    assert (ours * expected).sum(axis=1).min() >= 0.99, name


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data (real frames) is absent")
def test_int8_vectors_stay_within_0995_of_float32(family: tuple[str, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """What most CPUs run (int8, by ONNX Runtime where the export is accepted, else torch's
    dynamic quantisation) against float32, on real frames and on texts alone and batched."""
    from oneframe.encoders.dual import load_encoder

    name, path = family
    frames = real_frames()
    monkeypatch.setenv("ONEFRAME_PRECISION", "float32")
    exact = load_encoder(str(path))
    monkeypatch.setenv("ONEFRAME_PRECISION", "int8")
    fast = load_encoder(str(path))
    if name == "siglip2":  # NaFlex patches have no fixed-size graph, nor int8 Linear layers
        assert "not exported to ONNX: its image processor" in fast.precision, fast.precision
    else:
        assert fast.precision.startswith("int8"), fast.precision
        assert fast.precision.endswith("(ONNX Runtime)"), fast.precision
    pictures = (fast.embed_images(frames) * exact.embed_images(frames)).sum(axis=1)
    texts = (fast.embed_texts(TEXTS) * exact.embed_texts(TEXTS)).sum(axis=1)
    assert pictures.min() >= 0.995 and texts.min() >= 0.995, (name, pictures, texts)
    alone = np.concatenate([fast.embed_texts([t]) for t in TEXTS])
    assert (fast.embed_texts(TEXTS) * alone).sum(axis=1).min() >= 0.9999, name


@pytest.mark.slow
def test_reindex_re_embeds_stored_frames_atomically_and_search_spans_models(
        tmp_path: Path, scene_video: Path) -> None:
    """A video indexed with CLIP is re-embedded with SigLIP from its own thumbnails; a library
    holding both kinds searches both, each by its own model."""
    import subprocess
    import sys

    from conftest import ROOT

    from oneframe.ingest.pipeline import ingest
    from oneframe.library.folders import Library
    from oneframe.search.index import SearchIndex

    siglip = build_tiny_family("siglip", tmp_path / "siglip")
    first = ingest(str(scene_video))
    before = Library().load(first.id)
    run = subprocess.run([sys.executable, "-m", "oneframe", "reindex", first.id, "--model",
                          str(siglip)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    after = Library().load(first.id)
    assert after.record.model == str(siglip.resolve()) and after.record.dim == 32
    assert np.array_equal(after.times, before.times) and after.cues == before.cues
    assert after.embeddings.shape == (len(before.times), 32)
    assert not [p for p in Library().root.iterdir() if p.name.startswith(".tmp")]
    other = tmp_path / "other.mp4"
    other.write_bytes(scene_video.read_bytes()[:-1] + b"\0")  # another file, still a video
    ingest(str(other))  # indexed with the default (tiny CLIP)
    index = SearchIndex(Library())
    assert {r.model for r in index.records} == {str(siglip.resolve()), first.model}
    hits = index.search("a red scene", visual_weight=1.0, min_score=0.0, top_k=50).hits
    assert {h.video for h in hits} == {r.id for r in index.records}


def test_a_siglip_with_fewer_positions_than_its_card_pads_to_its_own(tmp_path: Path) -> None:
    """SigLIP's card pads texts to 64 tokens; a checkpoint with 16 positions gets 16."""
    from oneframe.encoders.dual import load_encoder

    short = build_tiny_family("siglip", tmp_path / "siglip-16", positions=16)
    encoder = load_encoder(str(short))
    long = "a man in a dark suit walks slowly across a wide and empty street at night " * 4
    assert encoder.embed_texts([long, "a dog"]).shape == (2, encoder.dim)
