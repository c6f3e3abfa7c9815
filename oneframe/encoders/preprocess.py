"""What a dual encoder's inputs must look like, taken from the checkpoint's own processor.

Every detail comes from the saved processor configuration (resize mode, crop, resampling,
rescale factor, mean/std; the tokenizer's padding side and length), except what a family's
configuration doesn't carry: those rules are in ``TEXT_RULES``, each with its model card as the
source. Images go through a cv2 transform where it reproduces the processor (about 4x faster
than the PIL image processor); a processor it can't reproduce (SigLIP 2's NaFlex patches, or
anything unknown) is used as it is.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

MAX_LENGTH = 128
"""The most tokens a dialogue line is read to (the sentence models' own limit is 128-512)."""

TEXT_RULES: dict[str, dict[str, Any]] = {
    # google/siglip-base-patch16-224 model card: "important: we pass `padding=max_length` since
    # the model was trained with this"; the text tower pools the last token.
    "siglip": {"padding": "max_length", "max_length": 64},
    # google/siglip2-base-patch16-256 model card: the same, and the text was lowercased in
    # training ("the model was trained with lowercased text"). Its fixed-resolution checkpoints
    # are SiglipModel with a Gemma tokenizer, so they are told apart by the tokenizer.
    "siglip2": {"padding": "max_length", "max_length": 64, "lowercase": True},
}
"""Text rules per family that processor configurations don't carry."""


def family(model: Any, tokenizer: Any) -> str:
    """The key of ``TEXT_RULES`` for a model: its ``model_type``, except that SigLIP 2's
    fixed-resolution checkpoints (SigLIP architecture, Gemma tokenizer) are ``siglip2``."""
    kind = getattr(model.config, "model_type", "")
    gemma = "gemma" in type(tokenizer).__name__.lower() or len(tokenizer) >= 256000
    return "siglip2" if kind == "siglip" and gemma else kind
FAST_IMAGE_PROCESSORS = ("CLIPImageProcessor", "SiglipImageProcessor", "ChineseCLIPImageProcessor",
                         "BitImageProcessor")
"""Image processors the cv2 transform reproduces (resize or shortest-edge + crop, rescale,
normalise); the ``Pil`` and ``Fast`` variants alike."""
_INTER = {0: cv2.INTER_NEAREST, 1: cv2.INTER_LANCZOS4, 2: cv2.INTER_LINEAR, 3: cv2.INTER_CUBIC,
          4: cv2.INTER_AREA, 5: cv2.INTER_CUBIC}  # PIL resample codes


@dataclass(frozen=True)
class TextPrep:
    """How texts are tokenised for one model."""

    padding: bool | str
    max_length: int
    lowercase: bool
    accepted: frozenset[str]

    @classmethod
    def of(cls, model: Any, tokenizer: Any) -> TextPrep:
        rule = TEXT_RULES.get(family(model, tokenizer), {})
        positions = getattr(getattr(model.config, "text_config", None), "max_position_embeddings",
                            None) or 77
        length = min(int(getattr(tokenizer, "model_max_length", positions) or positions),
                     int(positions))
        accepted = frozenset(inspect.signature(model.get_text_features).parameters)
        # the model card's length, where it names one, but never past the checkpoint's own
        # positions (a small SigLIP with 16 crashed at the card's 64)
        return cls(rule.get("padding", True), min(int(rule.get("max_length", length)),
                                                  int(positions)),
                   bool(rule.get("lowercase", False)), accepted)

    def inputs(self, tokenizer: Any, texts: Sequence[str]) -> dict[str, Any]:
        texts = [t.lower() for t in texts] if self.lowercase else list(texts)
        encoded = tokenizer(texts, padding=self.padding, truncation=True,
                            max_length=self.max_length, return_tensors="pt")
        return {k: v for k, v in encoded.items() if k in self.accepted}


@dataclass(frozen=True)
class ImagePrep:
    """The cv2 transform that reproduces an image processor, or None where none does."""

    shortest_edge: int | None
    box: tuple[int, int]
    interpolation: int
    rescale: float
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def of(cls, image_processor: Any) -> ImagePrep | None:
        kind = type(image_processor).__name__.removesuffix("Pil").removesuffix("Fast")
        if kind not in FAST_IMAGE_PROCESSORS or not getattr(image_processor, "do_resize", True):
            return None

        def get(d: Any, k: str) -> Any:
            return d.get(k) if isinstance(d, dict) else getattr(d, k, None)

        size = getattr(image_processor, "size", None) or {}
        crop = getattr(image_processor, "crop_size", None) or {}
        short = get(size, "shortest_edge")
        if short and getattr(image_processor, "do_center_crop", False) and get(crop, "height"):
            box = (int(get(crop, "height")), int(get(crop, "width")))
        elif short:
            return None  # shortest edge without a crop: the output size varies per image
        elif get(size, "height") and get(size, "width"):
            box = (int(get(size, "height")), int(get(size, "width")))
        else:
            return None
        resample = getattr(image_processor, "resample", 3)
        resample = int(getattr(resample, "value", resample) or 3)
        do_rescale = getattr(image_processor, "do_rescale", True)
        rescale = float(getattr(image_processor, "rescale_factor", 1 / 255)) if do_rescale else 1.0
        normalise = getattr(image_processor, "do_normalize", True)
        mean = getattr(image_processor, "image_mean", None) if normalise else None
        std = getattr(image_processor, "image_std", None) if normalise else None
        return cls(int(short) if short else None, box, _INTER.get(resample, cv2.INTER_CUBIC),
                   rescale, np.asarray(mean if mean is not None else [0.0] * 3, np.float32),
                   np.asarray(std if std is not None else [1.0] * 3, np.float32))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ImagePrep | None:
        """The transform a saved ``preprocessor_config.json`` describes (read without
        transformers), or None where it is not one this transform reproduces."""
        kind = str(config.get("image_processor_type") or config.get("feature_extractor_type")
                   or "").replace("FeatureExtractor", "ImageProcessor")
        config = dict(config)
        if isinstance(config.get("size"), int):  # older configurations: an int, the short edge
            config["size"] = {"shortest_edge": config["size"]}
        if isinstance(config.get("crop_size"), int):
            config["crop_size"] = {"height": config["crop_size"], "width": config["crop_size"]}
        return cls.of(type(kind, (), config)())

    def to_json(self) -> dict[str, Any]:
        return {"shortest_edge": self.shortest_edge, "box": list(self.box),
                "interpolation": self.interpolation, "rescale": self.rescale,
                "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImagePrep:
        return cls(data["shortest_edge"], tuple(data["box"]), int(data["interpolation"]),
                   float(data["rescale"]), np.asarray(data["mean"], np.float32),
                   np.asarray(data["std"], np.float32))

    def __call__(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 frames -> normalised ``(n, 3, h, w)`` float32 pixels."""
        height, width = self.box
        out = np.empty((len(images), 3, height, width), np.float32)
        for i, image in enumerate(images):
            h, w = image.shape[:2]
            if self.shortest_edge:
                scale = self.shortest_edge / min(h, w)
                nh, nw = max(height, round(h * scale)), max(width, round(w * scale))
            else:
                nh, nw = height, width
            # Shrinking, PIL filters over the whole footprint; cv2's INTER_AREA does the same.
            interpolation = cv2.INTER_AREA if nh < h and nw < w else self.interpolation
            resized = cv2.resize(image, (nw, nh), interpolation=interpolation)
            top, left = (nh - height) // 2, (nw - width) // 2
            patch = resized[top:top + height, left:left + width].astype(np.float32) * self.rescale
            out[i] = ((patch - self.mean) / self.std).transpose(2, 0, 1)
        return out
