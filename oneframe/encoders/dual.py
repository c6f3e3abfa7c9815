"""The dual encoder: any CLIP or SigLIP checkpoint through transformers' AutoModel.

Loaded lazily, once per process and model id, under a lock (Streamlit shares it between
sessions), in the precision fastest on this machine (:mod:`oneframe.precision`): int8 by ONNX
Runtime from an export made once and cached, or torch (bfloat16 where the CPU does it
natively, a GPU; float32 if asked). Images are preprocessed with OpenCV (resize, centre crop,
normalise as the checkpoint's processor config says), ~4x faster than the PIL image processor.
Vectors come back L2-normalised as float32; the library stores them as float16.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from oneframe.core import settings
from oneframe.encoders.models import (
    INFERENCE,
    NEEDS_EXPORT,
    check_folder,
    device,
    first_line,
    load_error,
    load_once,
    missing_export_extra,
    pretrained,
    quiet_transformers,
    resolve,
)
from oneframe.encoders.onnx_models import (
    DamagedGraph,
    OnnxDual,
    export_folder,
    from_export,
    from_model_folder,
    repaired,
)
from oneframe.encoders.precision import ENGINE_ENV, choose, onnx_allowed, quantisation, setting
from oneframe.encoders.preprocess import ImagePrep, TextPrep
from oneframe.encoders.published import PublishedDual, published_dual

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
MODEL_ENV = settings.MODEL
LOG = logging.getLogger("oneframe")
IMAGE_BATCH = 32


def resolve_model(model: str | None = None) -> str:
    """The model to use: the argument, else ``$ONEFRAME_MODEL``, else the default."""
    return resolve(model, MODEL_ENV, DEFAULT_MODEL)


class Encoder:
    """Embeds images and texts into one normalised space, by whichever engine runs the model
    fastest on this machine (``backend``: :class:`TorchDual` or ``onnx_models.OnnxDual``)."""

    def __init__(self, model_id: str, backend: TorchDual | OnnxDual | PublishedDual) -> None:
        self.model_id = model_id
        self.backend = backend
        self.logit_scale = backend.logit_scale
        """The model's own temperature: how far apart its cosines are meant to be read."""
        self.precision = f"{backend.precision} ({backend.engine})"
        """What the model runs in, and by what: ``int8 (ONNX Runtime)``, ``bfloat16 (torch)``."""
        known = getattr(backend, "dim", None)  # an ingest then never loads the text tower
        self.dim = int(known) if known else int(self.embed_texts(["a"]).shape[1])

    def embed_images(self, images: Sequence[np.ndarray], batch: int = IMAGE_BATCH) -> np.ndarray:
        """Normalised image vectors, ``(n, dim)`` float32."""
        if not len(images):
            return np.zeros((0, self.dim), np.float32)
        chunks = []
        for i in range(0, len(images), batch):
            with INFERENCE:
                chunks.append(_normalise(self._run(functools.partial(
                    self._images, images[i:i + batch]))))
        return np.concatenate(chunks)

    def _images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return np.asarray(self.backend.image_features(images))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised text vectors, ``(n, dim)`` float32: the same for a text alone or in a
        batch (padding is masked, or fixed as the family was trained)."""
        return _normalise(self._run(lambda: self.backend.text_features(texts)))

    def _run(self, work: Callable[[], np.ndarray]) -> np.ndarray:
        """``work()``; where a cached graph turns out damaged, once more after it is made
        again (a log line says so)."""
        try:
            return work()
        except DamagedGraph as exc:
            fresh = repaired(exc, f"picture:{setting(device())}", self.model_id,
                             lambda: load_encoder(self.model_id))
            self.backend = fresh.backend
            return work()


class TorchDual:
    """A dual encoder run by torch: float32, bfloat16 where the kernels do it natively, or
    int8 (torch's dynamic quantisation) where an ONNX export was refused."""

    engine = "torch"

    def __init__(self, model: Any, processor: Any, precision: str) -> None:
        self.processor = processor
        self.device = device()
        self.precision = precision
        self.model = model.to(self.device)
        self._bf16 = precision == "bfloat16"
        self._image = ImagePrep.of(processor.image_processor)
        self._text = TextPrep.of(model, processor.tokenizer)
        self.logit_scale = _logit_scale(model)
        if precision == "int8":
            self.model = _quantised(model)

    def preprocess(self, images: Sequence[np.ndarray]) -> dict[str, Any]:
        """RGB uint8 frames -> the image tower's inputs: by the cv2 transform where it
        reproduces the processor, else by the processor itself."""
        import torch

        if self._image is not None:
            return {"pixel_values": torch.from_numpy(self._image(images))}
        return dict(self.processor.image_processor(images=list(images), return_tensors="pt"))

    def image_features(self, images: Sequence[np.ndarray]) -> np.ndarray:
        import torch

        inputs = {k: v.to(self.device) if hasattr(v, "to") else v
                  for k, v in self.preprocess(images).items()}
        with torch.inference_mode(), torch.autocast(
            self.device, dtype=torch.bfloat16, enabled=self._bf16
        ):
            return _tensor(self.model.get_image_features(**inputs))

    def text_features(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        inputs = {k: v.to(self.device)
                  for k, v in self._text.inputs(self.processor.tokenizer, texts).items()}
        with torch.inference_mode():
            return _tensor(self.model.get_text_features(**inputs))


def _quantised(model: Any) -> Any:
    """The model with its Linear layers in int8 (torch's dynamic quantisation)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the API is deprecated in favour of torchao's
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _logit_scale(model: Any) -> float:
    """``exp(logit_scale)`` of a CLIP-family model (100 for trained CLIP), else CLIP's 100."""
    scale = getattr(model, "logit_scale", None)
    try:
        value = float(scale.detach().float().exp().item())  # type: ignore[union-attr]
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
        ready_made = from_model_folder(model_id, "dual", lambda f: Encoder(model_id, OnnxDual(f)))
        if ready_made is None and (published := published_dual(model_id)):
            ready_made = Encoder(model_id, published)
        check_folder(model_id)  # before seconds of importing torch and transformers
    except Exception as exc:  # no such folder, or an ONNX one that doesn't load
        raise load_error("picture model", model_id, MODEL_ENV, exc, flag="--model") from exc
    if ready_made is not None:
        return ready_made
    precision = choose(device())
    onnx = precision == "int8" and onnx_allowed()
    folder = export_folder("dual", model_id, quantisation()) if onnx else None
    exported = from_export(folder, model_id, lambda f: Encoder(model_id, OnnxDual(f)))
    if exported is not None:
        return exported
    try:
        import torch
        from transformers import AutoModel, AutoProcessor

        quiet_transformers()
        dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
        model = pretrained(AutoModel.from_pretrained, model_id, dtype=dtype).eval()
        processor = pretrained(AutoProcessor.from_pretrained, model_id)
        if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
            raise ValueError("it is not an image-text dual encoder (CLIP, SigLIP...)")
    except Exception as exc:  # network, missing files, wrong architecture: all one message
        if missing_export_extra(exc):
            exc = ImportError(NEEDS_EXPORT)
        raise load_error("picture model", model_id, MODEL_ENV, exc, flag="--model") from exc
    if precision != "int8":
        return Encoder(model_id, TorchDual(model, processor, precision))
    reason = f"{ENGINE_ENV}=torch"
    if onnx:
        try:
            from oneframe.encoders.onnx_export import ExportError, export_dual

            folder = folder or export_folder("dual", model_id, quantisation())
            if folder is None:
                raise ExportError("its files are not in the Hugging Face cache")
            export_dual(model, processor, folder, reduce_range=quantisation() == "int7")
            return Encoder(model_id, OnnxDual(folder))
        except Exception as exc:  # noqa: BLE001 - whatever stops the export, torch runs it
            reason = first_line(exc)
    try:
        backend = TorchDual(model, processor, "int8")
        backend.engine = f"torch; not exported to ONNX: {reason}"
        encoder = Encoder(model_id, backend)
        encoder.embed_images([np.zeros((32, 32, 3), np.uint8)])
        return encoder
    except Exception:  # noqa: BLE001 - some models' code reads Linear weights torch's int8 hides
        backend = TorchDual(model, processor, "float32")
        backend.engine = f"torch; not exported to ONNX: {reason}; int8 layers not supported"
        return Encoder(model_id, backend)


def load_encoder(model: str | None = None) -> Encoder:
    """The encoder for ``model`` (see :func:`resolve_model`), loaded once per process."""
    return load_once(f"picture:{setting(device())}", resolve_model(model), _load)
