"""What the picture and dialogue encoders share: choosing a model, loading it once, quietly."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_LOCK = threading.Lock()
INFERENCE = threading.Lock()
"""Held while a model runs on the CPU. Image embedding (torch) and OCR (onnxruntime) each use
every core; run at once they thrash and both get slower than taking turns."""
_LOADED: dict[tuple[str, str], object] = {}


def resolve(model: str | None, env: str, default: str) -> str:
    """The argument, else ``$env``, else ``default``; a local folder as an absolute path."""
    chosen = model or os.environ.get(env) or default
    path = Path(chosen).expanduser()
    return str(path.resolve()) if path.is_dir() else chosen


def load_once(kind: str, model_id: str, load: Callable[[str], T]) -> T:
    """``load(model_id)`` the first time this process asks for it; the same object after."""
    with _LOCK:
        if (kind, model_id) not in _LOADED:
            _LOADED[kind, model_id] = load(model_id)
        return _LOADED[kind, model_id]  # type: ignore[return-value]


def quiet_transformers() -> None:
    """No progress bars or warnings from transformers: the core never prints."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def use_bf16(where: str) -> bool:
    """bfloat16 autocast helps on a GPU and on CPUs with AVX-512 BF16 / AMX, not elsewhere."""
    import torch

    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return where == "cuda" or bool(check and check())


def first_line(exc: BaseException) -> str:
    """The gist of an exception, for a message written for the user."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
