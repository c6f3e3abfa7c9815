"""Export a loaded torch checkpoint to int8 ONNX graphs for ONNX Runtime, checked before use.

Each tower is traced to ONNX (float32), its MatMul weights quantised to int8 (ONNX Runtime's
dynamic quantisation: activations are scaled per batch as it runs), and the result compared
with torch in float32 on sample inputs; an export that doesn't agree (cosine < 0.99) or a
tokenizer that can't be reproduced without transformers is refused, and the caller keeps torch.
The folder is written beside its final place and renamed into it, so a half-made export is
never used and two processes exporting at once both end up with a whole one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np

from oneframe.encoders.onnx_models import META, Tokens, Tower
from oneframe.encoders.preprocess import MAX_LENGTH, ImagePrep, TextPrep

OPSET = 17
AGREEMENT = 0.99
"""Least cosine between an export's vectors and torch's float32 ones on the sample inputs."""
SAMPLE_TEXTS = ["a man in a tuxedo, close-up", "Two People Talking In A Car At Night",
                "the", "she calls him an Italian stuntman " * 12]


SAY: ContextVar[Callable[[str], None]] = ContextVar("oneframe_export_say", default=lambda _: None)
"""Told each step of an export as it starts (``oneframe model export`` prints them)."""


class ExportError(RuntimeError):
    """This checkpoint can't run from an ONNX export; torch runs it."""


def export_dual(model: Any, processor: Any, folder: Path, reduce_range: bool) -> None:
    """Write ``image.onnx``, ``text.onnx``, the tokenizer and ``meta.json`` of a dual encoder."""
    import torch

    if next(model.parameters()).dtype != torch.float32:
        raise ExportError("it was loaded in another precision than float32")
    image_prep = ImagePrep.of(processor.image_processor)
    if image_prep is None:
        raise ExportError("its image processor has no fixed-size equivalent")
    text_prep = TextPrep.of(model, processor.tokenizer)
    spec = _text_spec(processor.tokenizer, text_prep.padding, text_prep.max_length,
                      text_prep.lowercase, sorted(text_prep.inputs(processor.tokenizer, ["a"])))
    frames = [np.full((40 + 7 * i, 64, 3), 40 * i, np.uint8) for i in range(3)]
    pixels = torch.from_numpy(image_prep(frames))
    texts = text_prep.inputs(processor.tokenizer, SAMPLE_TEXTS)
    short = text_prep.inputs(processor.tokenizer, SAMPLE_TEXTS[:1])

    def image(pixel_values: Any) -> Any:
        return _tensor(model.get_image_features(pixel_values=pixel_values))

    def text(*tensors: Any) -> Any:
        return _tensor(model.get_text_features(**dict(zip(spec["inputs"], tensors, strict=True))))

    scale = getattr(model, "logit_scale", None)
    meta = {"image": image_prep.to_json(), "text": spec,
            "logit_scale": float(scale.detach().float().exp()) if scale is not None else 100.0}
    with _staging(folder) as stage:
        _write_tokenizer(processor.tokenizer, stage, spec, SAMPLE_TEXTS, texts)
        _, meta["image_precision"] = _export(
            model, image, [{"pixel_values": pixels}, {"pixel_values": pixels[:1]}],
            stage / "image.onnx", reduce_range)
        meta["dim"], meta["text_precision"] = _export(
            model, text, [{k: t[k] for k in spec["inputs"]} for t in (texts, short)],
            stage / "text.onnx", reduce_range)
        (stage / META).write_text(json.dumps(meta), encoding="utf-8")


def export_sentences(model: Any, tokenizer: Any, folder: Path, reduce_range: bool,
                     max_length: int) -> None:
    """Write ``text.onnx`` (mean-pooled, normalised), the tokenizer and ``meta.json`` of a
    sentence encoder."""
    import torch

    accepted = ("input_ids", "attention_mask", "token_type_ids")
    sample = tokenizer(["a"], return_tensors="pt")
    spec = _text_spec(tokenizer, True, max_length, False,
                      [k for k in accepted if k in sample])
    if "attention_mask" not in spec["inputs"]:
        raise ExportError("its tokenizer gives no attention mask")
    texts, short = (tokenizer(sample, padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
                    for sample in (SAMPLE_TEXTS, SAMPLE_TEXTS[:1]))

    def sentences(*tensors: Any) -> Any:
        inputs = dict(zip(spec["inputs"], tensors, strict=True))
        hidden = model(**inputs).last_hidden_state
        mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)

    with _staging(folder) as stage:
        _write_tokenizer(tokenizer, stage, spec, SAMPLE_TEXTS, texts)
        dim, precision = _export(
            model, sentences, [{k: t[k] for k in spec["inputs"]} for t in (texts, short)],
            stage / "text.onnx", reduce_range)
        (stage / META).write_text(json.dumps({"dim": dim, "text": spec,
                                              "text_precision": precision}), encoding="utf-8")


def _text_spec(tokenizer: Any, padding: bool | str, max_length: int, lowercase: bool,
               inputs: Sequence[str]) -> dict[str, Any]:
    if getattr(tokenizer, "backend_tokenizer", None) is None:
        raise ExportError("its tokenizer is not a fast (tokenizers) one")
    if tokenizer.pad_token_id is None:
        raise ExportError("its tokenizer has no padding token")
    if unknown := set(inputs) - {"input_ids", "attention_mask", "token_type_ids"}:
        raise ExportError(f"its text tower takes {sorted(unknown)}")
    return {"padding": "max_length" if padding == "max_length" else "longest",
            "max_length": int(max_length), "lowercase": bool(lowercase),
            "pad_id": int(tokenizer.pad_token_id), "pad_token": str(tokenizer.pad_token),
            "padding_side": str(getattr(tokenizer, "padding_side", "right")),
            "inputs": list(inputs)}


def _write_tokenizer(tokenizer: Any, stage: Path, spec: dict[str, Any], texts: list[str],
                     expected: Any) -> None:
    """Save the fast tokenizer and check it gives exactly the ids transformers gives."""
    (stage / "tokenizer.json").write_text(tokenizer.backend_tokenizer.to_str(), encoding="utf-8")
    ours = Tokens(stage, spec)(texts)
    for name in spec["inputs"]:
        if not np.array_equal(ours[name], expected[name].numpy()):
            raise ExportError(f"its tokenizer's {name} differ without transformers")


def _export(owner: Any, forward: Callable[..., Any], samples: list[dict[str, Any]], path: Path,
            reduce_range: bool) -> tuple[int, str]:
    """Trace ``forward`` on the first sample, quantise it to int8 at ``path``, check it on
    every sample (other batch sizes and lengths); the output width and the precision kept.

    Where int8 weights move the vectors too far (cosine < ``AGREEMENT`` to torch in float32),
    they are tried per output channel, then the graph is kept in float32."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Wrapped(torch.nn.Module):  # type: ignore[misc]  # torch is read as Any (pyproject)
        def __init__(self) -> None:
            super().__init__()
            self.owner = owner  # its weights are parameters of the graph, not constants

        def forward(self, *tensors: Any) -> Any:
            return forward(*tensors)

    inputs = samples[0]
    names = list(inputs)
    SAY.get()(f"{path.stem}: tracing the graph")
    axes = {n: {0: "batch"} if n == "pixel_values" else {0: "batch", 1: "tokens"} for n in names}
    raw = path.with_suffix(".float32.onnx")
    with warnings.catch_warnings(), torch.no_grad(), _quiet_root_logger():
        warnings.simplefilter("ignore")
        # In eval mode: the exporter puts the module back in its mode after, with its weights.
        torch.onnx.export(Wrapped().eval(), tuple(inputs.values()), str(raw), input_names=names,
                          output_names=["vectors"], dynamic_axes={**axes, "vectors": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)
    expected = []
    for sample in samples:
        with torch.inference_mode():
            expected.append(_unit(forward(*sample.values()).float().numpy()))
    agreements = []
    for per_channel in (False, True, None):  # int8, int8 per output channel, else float32
        if per_channel is None:
            SAY.get()(f"{path.stem}: int8 moved its vectors too far; keeping float32")
            os.replace(raw, path)
        else:
            SAY.get()(f"{path.stem}: quantising its weights to int8"
                      + (" per output channel" if per_channel else ""))
            with warnings.catch_warnings(), _quiet_root_logger():
                warnings.simplefilter("ignore")
                quantize_dynamic(str(raw), str(path), weight_type=QuantType.QInt8,
                                 per_channel=per_channel, reduce_range=reduce_range)
        tower = Tower(path)
        agreement = min(_agreement(tower({k: v.numpy() for k, v in sample.items()}), want)
                        for sample, want in zip(samples, expected, strict=True))
        if agreement >= AGREEMENT:
            raw.unlink(missing_ok=True)
            return int(expected[0].shape[1]), "float32" if per_channel is None else "int8"
        agreements.append(f"{agreement:.3f}")
    raise ExportError(f"its ONNX export agrees with torch only to cosine {', '.join(agreements)}")


def _agreement(got: np.ndarray, expected: np.ndarray) -> float:
    got = _unit(got)
    return float((got * expected).sum(axis=1).min()) if got.shape == expected.shape else 0.0



class _QuantiserAdvice(logging.Filter):
    """Drops what ONNX Runtime's quantiser logs below an error (its advice goes through the
    root logger), and nothing else: the rest of the process logs as it would."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or "onnxruntime" not in record.pathname


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """The quantiser's advice kept off the root logger while an export runs (the core never
    prints); the root logger's level is left alone."""
    root, advice = logging.getLogger(), _QuantiserAdvice()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)


class _staging:
    """A folder beside ``folder`` that becomes it on success and is deleted otherwise."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> Path:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}-", dir=self.folder.parent))
        return self.stage

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:  # meta.json last lists every file's size, to tell a torn export
            meta_path = self.stage / META
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta["files"] = {p.name: p.stat().st_size for p in self.stage.iterdir()
                             if p.is_file() and p.name != META}
            meta_path.write_text(json.dumps(meta), encoding="utf-8")
            try:
                os.rename(self.stage, self.folder)
            except OSError:  # another process finished the same export first
                if not (self.folder / META).is_file():
                    raise
        shutil.rmtree(self.stage, ignore_errors=True)


def _tensor(output: Any) -> Any:
    return output if hasattr(output, "float") else output.pooler_output


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def export_model(source: str, folder: Path, kind: str | None = None) -> str:
    """Make ``folder`` an ONNX model folder of checkpoint ``source`` (a hub id or a folder):
    ``"dual"`` for an image-text encoder (CLIP, SigLIP...), ``"sentences"`` for a sentence
    model; by what the checkpoint is where ``kind`` is None. The int8/int7 choice of this CPU
    (``precision.quantisation``) and the agreement gate of every export apply. Needs torch and
    transformers (the export extra). Returns the kind made."""
    from transformers import AutoModel, AutoProcessor, AutoTokenizer

    from oneframe.encoders.models import pretrained, quiet_transformers
    from oneframe.encoders.precision import quantisation

    quiet_transformers()
    SAY.get()(f"loading the checkpoint {source}")
    model = pretrained(AutoModel.from_pretrained, source).float().eval()
    dual = hasattr(model, "get_image_features") and hasattr(model, "get_text_features")
    made = kind or ("dual" if dual else "sentences")
    if made == "dual":
        if not dual:
            raise ExportError("it is not an image-text dual encoder (CLIP, SigLIP...)")
        export_dual(model, pretrained(AutoProcessor.from_pretrained, source), folder,
                    reduce_range=quantisation() == "int7")
    else:
        export_sentences(model, pretrained(AutoTokenizer.from_pretrained, source), folder,
                         quantisation() == "int7", MAX_LENGTH)
    return made
