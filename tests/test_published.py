"""Published ONNX exports (the layout Optimum and transformers.js put on the Hub: ``onnx/``
graphs beside the checkpoint's configuration and tokenizer files), run without torch.

The Hub can't be reached here, so the folders are made the way those exporters make them, from
the tiny CLIP and the packaged all-MiniLM-L6-v2 (real weights), and their vectors are compared
with the checkpoints' own in torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import SENTENCE_MODEL, WITHOUT_TORCH, needs_sentence_model
from published_layout import publish_clip, publish_sentences

pytestmark = pytest.mark.skipif(WITHOUT_TORCH, reason="these tests make the folders with torch")


@pytest.fixture(scope="module")
def published_clip(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny CLIP as transformers.js publishes CLIP: its towers apart, with projections."""
    return publish_clip(tiny_model_dir, tmp_path_factory.mktemp("published-clip"))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def test_a_published_clip_gives_the_checkpoints_vectors(published_clip: Path,
                                                        tiny_model_dir: Path) -> None:
    import torch
    from transformers import AutoProcessor, CLIPModel

    from oneframe.encoders.published import PublishedDual

    ours = PublishedDual(published_clip)
    model = CLIPModel.from_pretrained(tiny_model_dir).eval()
    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (48 + 9 * i, 64, 3), np.uint8) for i in range(3)]
    texts = ["a man in a tuxedo, close-up", "Two People Talking", "the"]
    with torch.no_grad():
        # the same pixels (cv2's transform against the processor's PIL one is tested apart)
        images = model.get_image_features(pixel_values=torch.from_numpy(
            ours.image_prep(frames)))
        words = model.get_text_features(**processor.tokenizer(texts, padding=True,
                                                              return_tensors="pt"))
    images = getattr(images, "pooler_output", images).numpy()
    words = getattr(words, "pooler_output", words).numpy()
    assert cosines(ours.image_features(frames), images).min() > 0.999
    assert cosines(ours.text_features(texts), words).min() > 0.9999
    assert ours.dim == images.shape[1] and ours.precision == "float32"


def test_the_default_model_runs_from_its_published_export_without_the_export_extra(
        published_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default checkpoint, with torch missing: its published export is fetched (here: the
    Hub's download answered by the folder) and embedding starts with no export step."""
    from oneframe.encoders import dual, published

    asked: list[str] = []

    def download(entry: published.Published) -> Path:
        asked.append(entry.repo)
        return published_clip

    monkeypatch.setattr(published, "export_extra_missing", lambda: True)
    monkeypatch.setattr(published, "download", download)
    monkeypatch.setattr(dual, "export_dual", None, raising=False)  # no export may run
    encoder = dual._load("openai/clip-vit-base-patch32")
    assert asked == ["Xenova/clip-vit-base-patch32"]
    assert "published export" in encoder.precision
    assert encoder.embed_images([np.zeros((40, 60, 3), np.uint8)]).shape == (1, encoder.dim)


def test_a_published_export_that_cant_be_downloaded_says_where_to_get_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from oneframe.core.errors import ModelError
    from oneframe.encoders import dual, published

    monkeypatch.setattr(published, "export_extra_missing", lambda: True)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))  # offline, nothing cached
    with pytest.raises(ModelError) as raised:
        dual._load("openai/clip-vit-base-patch32")
    message = str(raised.value)
    assert "Xenova/clip-vit-base-patch32" in message and "hf download" in message
    assert "ONEFRAME_MODEL" in message


def test_a_folder_in_the_published_layout_is_a_model_folder(published_clip: Path) -> None:
    from oneframe.encoders.dual import load_encoder

    encoder = load_encoder(str(published_clip))
    assert "published export" in encoder.precision
    with pytest.raises(Exception, match="not of a sentences one"):
        from oneframe.encoders.sentences import _load

        _load(str(published_clip))


@needs_sentence_model
def test_a_published_sentence_model_gives_its_sentence_vectors(
        tmp_path: Path) -> None:
    """all-MiniLM-L6-v2 as its own repo publishes it (``onnx/model.onnx``: token vectors out;
    pooling and normalisation are its sentence-transformers modules)."""
    from transformers import AutoModel, AutoTokenizer

    from oneframe.encoders.published import PublishedSentences
    from oneframe.encoders.sentences import MAX_LENGTH, TorchSentences

    assert SENTENCE_MODEL is not None
    folder = publish_sentences(SENTENCE_MODEL, tmp_path / "minilm")
    assert not list(folder.glob("*.safetensors"))
    model = AutoModel.from_pretrained(SENTENCE_MODEL).eval()
    tokenizer = AutoTokenizer.from_pretrained(SENTENCE_MODEL)
    texts = ["she calls him an Italian stuntman", "Hello there!", "the cat " * 100]
    ours = PublishedSentences(folder, MAX_LENGTH)(texts)
    theirs = TorchSentences(model, tokenizer, "float32")(texts)
    assert cosines(ours, theirs).min() > 0.9999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
