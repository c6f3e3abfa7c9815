"""The dual encoder: any CLIP or SigLIP checkpoint through transformers' AutoModel.

Loaded lazily, once per process and model id, under a lock (Streamlit shares it between
sessions). Images are preprocessed with OpenCV (resize, centre crop, normalise as the
checkpoint's processor config says), which is ~4x faster than the PIL image processor.
Vectors come back L2-normalised as float32; the library stores them as float16.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oneframe.errors import ModelError
from oneframe.models import (
    INFERENCE,
    device,
    first_line,
    load_once,
    pretrained,
    quiet_transformers,
    resolve,
    use_bf16,
)
from oneframe.preprocess import ImagePrep, TextPrep

DEFAULT_MODEL = "openai/clip-vit-base-patch32"
PRESETS = {  # published figures: zero-shot ImageNet top-1; COCO 5k retrieval recall@1
    "openai/clip-vit-base-patch32": (
        "CLIP ViT-B/32: fast; English queries. ImageNet zero-shot 63.2% (CLIP paper)."),
    "google/siglip2-base-patch16-256": (
        "SigLIP 2 B/16 at 256 px: stronger, reads text in the picture better, queries in many "
        "languages; 3-6x slower to add a video. ImageNet zero-shot 79.1%, COCO "
        "text-to-image R@1 53.2 (SigLIP 2 paper)."),
}
"""Picture models offered by name on the Add video page, with what each is good at."""
MODEL_ENV = "ONEFRAME_MODEL"
IMAGE_BATCH = 32


def resolve_model(model: str | None = None) -> str:
    """The model to use: the argument, else ``$ONEFRAME_MODEL``, else the default."""
    return resolve(model, MODEL_ENV, DEFAULT_MODEL)


class Encoder:
    """Embeds images and texts into one normalised space."""

    def __init__(self, model_id: str, model: Any, processor: Any) -> None:
        self.model_id = model_id
        self.model = model
        self.processor = processor
        self.device = device()
        self.model.to(self.device)
        self._bf16 = use_bf16(self.device)
        self._image = ImagePrep.of(processor.image_processor)
        self._text = TextPrep.of(model, processor.tokenizer)
        self.logit_scale = _logit_scale(model)
        """The model's own temperature: how far apart its cosines are meant to be read."""
        self.dim = int(self.embed_texts(["a"]).shape[1])

    def preprocess(self, images: Sequence[np.ndarray]) -> dict[str, Any]:
        """RGB uint8 frames -> the image tower's inputs: by the cv2 transform where it
        reproduces the processor, else by the processor itself."""
        import torch

        if self._image is not None:
            return {"pixel_values": torch.from_numpy(self._image(images))}
        return dict(self.processor.image_processor(images=list(images), return_tensors="pt"))

    def embed_images(self, images: Sequence[np.ndarray], batch: int = IMAGE_BATCH) -> np.ndarray:
        """Normalised image vectors, ``(n, dim)`` float32."""
        if not len(images):
            return np.zeros((0, self.dim), np.float32)
        chunks = [self._features(self.preprocess(images[i:i + batch]))
                  for i in range(0, len(images), batch)]
        return np.concatenate(chunks)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised text vectors, ``(n, dim)`` float32: the same for a text alone or in a
        batch (padding is masked, or fixed as the family was trained)."""
        import torch

        inputs = {k: v.to(self.device)
                  for k, v in self._text.inputs(self.processor.tokenizer, texts).items()}
        with torch.inference_mode():
            out = self.model.get_text_features(**inputs)
        return _normalise(_tensor(out))

    def _features(self, inputs: dict[str, Any]) -> np.ndarray:
        import torch

        inputs = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}
        with INFERENCE, torch.inference_mode(), torch.autocast(
            self.device, dtype=torch.bfloat16, enabled=self._bf16
        ):
            out = self.model.get_image_features(**inputs)
        return _normalise(_tensor(out))


def _logit_scale(model: Any) -> float:
    """``exp(logit_scale)`` of a CLIP-family model (100 for trained CLIP), else CLIP's 100."""
    scale = getattr(model, "logit_scale", None)
    try:
        value = float(scale.detach().float().exp().item())
    except (AttributeError, TypeError, RuntimeError):
        return 100.0
    return value if 1.0 <= value <= 1000.0 else 100.0


def _tensor(output: Any) -> np.ndarray:
    """transformers 5 returns an output object where 4.x returned the tensor."""
    tensor = output if hasattr(output, "float") else output.pooler_output
    return tensor.float().cpu().numpy()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _load(model_id: str) -> Encoder:
    try:
        import torch
        from transformers import AutoModel, AutoProcessor

        quiet_transformers()
        # Where bfloat16 is fast the weights are loaded in it: half the memory, faster text and
        # images, vectors within cosine 0.9999 of float32.
        dtype = torch.bfloat16 if use_bf16(device()) else None
        model = pretrained(AutoModel.from_pretrained, model_id, dtype=dtype).eval()
        processor = pretrained(AutoProcessor.from_pretrained, model_id)
        if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
            raise ValueError("it is not an image-text dual encoder (CLIP, SigLIP...)")
        return Encoder(model_id, model, processor)
    except ModelError:
        raise
    except Exception as exc:  # network, missing files, wrong architecture: all one message
        raise ModelError(
            f"Could not load the model '{model_id}': {first_line(exc)}. oneframe downloads it "
            "from the Hugging Face Hub on first use, which needs the internet. To use a local "
            f"copy, set {MODEL_ENV} (or --model) to its folder, made with "
            f"`hf download {DEFAULT_MODEL} --local-dir DIR` or `save_pretrained`."
        ) from exc


def load_encoder(model: str | None = None) -> Encoder:
    """The encoder for ``model`` (see :func:`resolve_model`), loaded once per process."""
    return load_once("picture", resolve_model(model), _load)
