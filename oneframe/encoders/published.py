"""Published ONNX exports of the default models, run without torch or an export step.

Where the export extra (torch, transformers) is not installed, the default checkpoints are not
exported here but taken ready-made from the Hub, in the layout the usual exporters (Optimum,
transformers.js) publish: ``onnx/*.onnx`` graphs beside the checkpoint's ``config.json``,
``preprocessor_config.json``, ``tokenizer.json`` and ``tokenizer_config.json``. Everything the
graphs need is read from those files; the graphs' inputs and outputs from the graphs. A folder
in that layout (``hf download REPO --local-dir DIR``) may also be named by ``ONEFRAME_MODEL`` or
``ONEFRAME_DIALOG_MODEL``.

The float32 graphs are taken: they hold the checkpoint's own weights, so their vectors are
torch's to float rounding (``bench/published.py`` checks a download against the checkpoint
where both can be had).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.encoders.onnx_models import Tokens, Tower
from oneframe.encoders.preprocess import ImagePrep


@dataclass(frozen=True)
class Published:
    """Where a checkpoint's ONNX export is published, and what the graphs don't say."""

    repo: str
    kind: str
    """``"dual"`` (image and text towers) or ``"sentences"``."""
    logit_scale: float = 100.0
    """CLIP's trained temperature (its ``logit_scale`` parameter, exp 4.6052 = 100, clamped
    there in training); the towers' graphs don't carry it."""


PUBLISHED = {
    "openai/clip-vit-base-patch32": Published("Xenova/clip-vit-base-patch32", "dual"),
    "sentence-transformers/all-MiniLM-L6-v2": Published(
        "sentence-transformers/all-MiniLM-L6-v2", "sentences"),
    "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2": Published(
        "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", "sentences"),
}
"""Default checkpoints and their published exports (transformers.js's CLIP, which carries the
two towers apart; the sentence models' own ``onnx/`` folders). The SigLIP 2 preset is not
here: its text needs padding to 64 that a published export's files don't say; it is exported
here with the export extra."""
GRAPHS = {"image": "onnx/vision_model.onnx", "text": "onnx/text_model.onnx",
          "sentences": "onnx/model.onnx"}
FILES = ["config.json", "preprocessor_config.json", "processor_config.json", "tokenizer.json",
         "tokenizer_config.json", "special_tokens_map.json", "modules.json"]
TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def layout_kind(folder: Path) -> str | None:
    """``"dual"`` or ``"sentences"`` where ``folder`` holds a published export; else None."""
    if not (folder / "tokenizer.json").is_file():
        return None
    if (folder / GRAPHS["image"]).is_file() and (folder / GRAPHS["text"]).is_file():
        return "dual"
    return "sentences" if (folder / GRAPHS["sentences"]).is_file() else None


def download(published: Published) -> Path:
    """The published export's files (float32 graphs), from the Hugging Face cache or the Hub."""
    from huggingface_hub import snapshot_download

    graphs = [GRAPHS["image"], GRAPHS["text"]] if published.kind == "dual" else [
        GRAPHS["sentences"]]
    return Path(snapshot_download(published.repo, allow_patterns=[*FILES, *graphs]))


class PublishedDual:
    """An image-text dual encoder's towers from a published export folder."""

    engine = "ONNX Runtime (published export)"
    precision = "float32"

    def __init__(self, folder: Path, logit_scale: float = 100.0) -> None:
        self.folder = folder
        self.logit_scale = logit_scale
        prep = ImagePrep.from_config(image_config(folder))
        if prep is None:
            raise ValueError("its preprocessor_config.json is not a resize-crop-normalise one")
        self.image_prep = prep
        self._images = Tower(folder / GRAPHS["image"], output="image_embeds")
        self._texts = Tower(folder / GRAPHS["text"], output="text_embeds")
        config = _json(folder / "config.json")
        self._positions = int(config.get("text_config", config).get("max_position_embeddings",
                                                                    77))
        self._tokens: Tokens | None = None  # read with the text tower, when a text comes
        self.dim = int(config.get("projection_dim") or 0) or None
        """The vectors' width where the configuration says it (an ingest then never loads the
        text tower); the Encoder asks a text otherwise."""

    def image_features(self, images: Any) -> np.ndarray:
        return self._images({"pixel_values": self.image_prep(images)})

    def text_features(self, texts: Any) -> np.ndarray:
        if self._tokens is None:
            self._tokens = Tokens(self.folder, text_spec(self.folder, self._texts,
                                                         self._positions))
        return self._texts(self._tokens(texts))


class PublishedSentences:
    """A sentence encoder from a published export: token vectors mean-pooled over the attention
    mask and normalised, as its sentence-transformers modules do (the graph gives the tokens')."""

    engine = "ONNX Runtime (published export)"
    precision = "float32"

    def __init__(self, folder: Path, max_length: int) -> None:
        modules = _json(folder / "modules.json") if (folder / "modules.json").is_file() else []
        kinds = [str(m.get("type", "")) for m in modules if isinstance(m, dict)]
        if kinds and not any(k.endswith("Pooling") for k in kinds):
            raise ValueError("its sentence-transformers modules have no pooling")
        self._normalise = not kinds or any(k.endswith("Normalize") for k in kinds)
        self._tower = Tower(folder / GRAPHS["sentences"])
        self._tokens = Tokens(folder, text_spec(folder, self._tower, max_length))
        self.dim = int(self(["a"]).shape[1])

    def __call__(self, texts: Any) -> np.ndarray:
        feeds = self._tokens(texts)
        hidden = self._tower(feeds)
        if hidden.ndim == 3:  # token vectors: the mean over the real tokens
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            hidden = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
        if self._normalise:
            hidden = hidden / np.maximum(np.linalg.norm(hidden, axis=1, keepdims=True), 1e-12)
        return hidden.astype(np.float32)


def text_spec(folder: Path, tower: Tower, max_length: int) -> dict[str, Any]:
    """How texts are tokenised for ``tower``, from the folder's tokenizer files: the inputs the
    graph takes, the tokenizer's padding token and side, its length within ``max_length``."""
    from tokenizers import Tokenizer

    config = _json(folder / "tokenizer_config.json") if (
        folder / "tokenizer_config.json").is_file() else {}
    special = _json(folder / "special_tokens_map.json") if (
        folder / "special_tokens_map.json").is_file() else {}
    pad = config.get("pad_token") or special.get("pad_token")
    pad = pad.get("content") if isinstance(pad, dict) else pad
    pad_id = Tokenizer.from_file(str(folder / "tokenizer.json")).token_to_id(str(pad)) \
        if pad else None
    if pad_id is None:
        raise ValueError("its tokenizer has no padding token")
    inputs = [name for name in tower.inputs() if name in TEXT_INPUTS]
    if unknown := set(tower.inputs()) - set(TEXT_INPUTS):
        raise ValueError(f"its text graph takes {sorted(unknown)}")
    length = int(config.get("model_max_length") or max_length)
    return {"padding": "longest", "max_length": min(length, max_length), "lowercase": False,
            "pad_id": int(pad_id), "pad_token": str(pad),
            "padding_side": str(config.get("padding_side", "right")), "inputs": inputs}


def image_config(folder: Path) -> dict[str, Any]:
    """The image processor's configuration: ``preprocessor_config.json``, or the part of
    ``processor_config.json`` that transformers 5 saves it in."""
    if (folder / "preprocessor_config.json").is_file():
        return dict(_json(folder / "preprocessor_config.json"))
    return dict(_json(folder / "processor_config.json")["image_processor"])


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def export_extra_missing() -> bool:
    """Whether torch or transformers can't be imported here (the app's core install)."""
    import importlib.util

    try:
        return any(importlib.util.find_spec(name) is None for name in ("torch", "transformers"))
    except (ImportError, ValueError):
        return True


def published_dual(model_id: str) -> PublishedDual | None:
    """The dual encoder of ``model_id`` from a published export, or None (see ``_folder``)."""
    found = _folder(model_id, "dual")
    if found is None:
        return None
    folder, published = found
    return PublishedDual(folder, published.logit_scale if published else 100.0)


def published_sentences(model_id: str, max_length: int) -> PublishedSentences | None:
    """The sentence encoder of ``model_id`` from a published export, or None."""
    found = _folder(model_id, "sentences")
    return PublishedSentences(found[0], max_length) if found else None


def _folder(model_id: str, kind: str) -> tuple[Path, Published | None] | None:
    """The published export folder of ``model_id``: where it is a folder in that layout, or a
    default checkpoint and the export extra is missing (downloaded once); None otherwise.
    ValueError for a folder of another kind, or a download that fails."""
    folder = Path(model_id).expanduser()
    found = layout_kind(folder) if folder.is_dir() else None
    published = PUBLISHED.get(model_id)
    if found is None:
        if published is None or published.kind != kind or not export_extra_missing():
            return None
        try:
            folder = download(published)
        except Exception as exc:  # offline, no such files: say where it was looked for
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            error = ValueError(f"its published ONNX export ({published.repo} on the Hugging "
                               f"Face Hub) could not be downloaded ({why})")
            error.download_id = published.repo  # type: ignore[attr-defined]
            raise error from exc
        found = layout_kind(folder)
    if found != kind:
        raise ValueError(f"it is a published ONNX export of a {found} model, not of a {kind} one")
    return folder, published
