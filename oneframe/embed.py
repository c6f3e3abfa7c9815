"""The dual encoder: any CLIP or SigLIP checkpoint through transformers' AutoModel.

Loaded lazily, once per process and model id, under a lock (Streamlit shares it between
sessions). Images are preprocessed with OpenCV (resize, centre crop, normalise as the
checkpoint's processor config says), which is ~4x faster than the PIL image processor.
Vectors come back L2-normalised as float32; the library stores them as float16.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
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

DEFAULT_MODEL = "openai/clip-vit-base-patch32"
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
        self._prep = _image_geometry(processor)
        self.logit_scale = _logit_scale(model)
        """The model's own temperature: how far apart its cosines are meant to be read."""
        self.dim = int(self.embed_texts(["a"]).shape[1])

    def preprocess(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 frames -> normalised ``(n, 3, size, size)`` float32 pixels."""
        resize_short, crop, mean, std = self._prep
        out = np.empty((len(images), 3, crop[0], crop[1]), np.float32)
        for i, image in enumerate(images):
            h, w = image.shape[:2]
            if resize_short:
                scale = resize_short / min(h, w)
                nh, nw = max(crop[0], round(h * scale)), max(crop[1], round(w * scale))
            else:
                nh, nw = crop
            interp = cv2.INTER_AREA if nh < h else cv2.INTER_CUBIC
            resized = cv2.resize(image, (nw, nh), interpolation=interp)
            top, left = (nh - crop[0]) // 2, (nw - crop[1]) // 2
            patch = resized[top:top + crop[0], left:left + crop[1]].astype(np.float32) / 255.0
            out[i] = ((patch - mean) / std).transpose(2, 0, 1)
        return out

    def embed_images(self, images: Sequence[np.ndarray], batch: int = IMAGE_BATCH) -> np.ndarray:
        """Normalised image vectors, ``(n, dim)`` float32."""
        if not len(images):
            return np.zeros((0, self.dim), np.float32)
        chunks = [self._features(self.preprocess(images[i:i + batch]))
                  for i in range(0, len(images), batch)]
        return np.concatenate(chunks)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised text vectors, ``(n, dim)`` float32."""
        import torch

        inputs = self.processor.tokenizer(
            list(texts), padding=True, truncation=True, return_tensors="pt",
            max_length=getattr(self.model.config.text_config, "max_position_embeddings", 77),
        )
        inputs = {k: v.to(self.device) for k, v in inputs.items()
                  if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            out = self.model.get_text_features(**inputs)
        return _normalise(_tensor(out))

    def _features(self, pixels: np.ndarray) -> np.ndarray:
        import torch

        tensor = torch.from_numpy(pixels).to(self.device)
        with INFERENCE, torch.inference_mode(), torch.autocast(
            self.device, dtype=torch.bfloat16, enabled=self._bf16
        ):
            out = self.model.get_image_features(pixel_values=tensor)
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


def _image_geometry(processor: Any) -> tuple[int | None, tuple[int, int], np.ndarray, np.ndarray]:
    """``(shortest-edge resize or None, crop (h, w), mean, std)`` from the processor config."""
    ip = processor.image_processor
    size, crop = getattr(ip, "size", None) or {}, getattr(ip, "crop_size", None) or {}

    def get(d: Any, k: str) -> Any:
        return d.get(k) if isinstance(d, dict) else getattr(d, k, None)

    short = get(size, "shortest_edge")
    if short and getattr(ip, "do_center_crop", True) and crop and get(crop, "height"):
        box = (int(get(crop, "height")), int(get(crop, "width")))
    elif short:
        box = (int(short), int(short))
    else:
        box = (int(get(size, "height")), int(get(size, "width")))
    mean = np.asarray(getattr(ip, "image_mean", None) or [0.5] * 3, np.float32)
    std = np.asarray(getattr(ip, "image_std", None) or [0.5] * 3, np.float32)
    return (int(short) if short else None), box, mean, std


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
