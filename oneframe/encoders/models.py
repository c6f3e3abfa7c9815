"""What the picture and dialogue encoders share: choosing a model, loading it once, quietly."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from oneframe.core import settings
from oneframe.core.errors import ModelError
from oneframe.core.extras import how_to_install

T = TypeVar("T")
_LOCK = threading.Lock()  # guards the tables below only, never a load
_LOADS = threading.Lock()
"""Held while any model loads: ``from_pretrained`` with a dtype changes torch's process-wide
default dtype for a moment, so two loads at once can build one model in the other's dtype."""
_LOADING: dict[tuple[str, str], threading.Lock] = {}
_FAILED: dict[tuple[str, str], tuple[float, BaseException]] = {}
RETRY_AFTER = 30.0
"""Seconds a model that failed to load is not tried again (each try can cost seconds)."""
INFERENCE = threading.Lock()
"""Held while a model runs on the CPU. Image embedding (torch) and OCR (onnxruntime) each use
every core; run at once they thrash and both get slower than taking turns."""
_LOADED: dict[tuple[str, str], object] = {}


def resolve(model: str | None, env: str, default: str) -> str:
    """The argument, else ``$env``, else ``default``; a local folder as an absolute path."""
    return settings.model(env, model, default)


def forget(kind: str, model_id: str) -> None:
    """Let go of a loaded model (found damaged): the next :func:`load_once` loads it anew."""
    with _LOCK:
        _LOADED.pop((kind, model_id), None)
        _FAILED.pop((kind, model_id), None)


def load_once(kind: str, model_id: str, load: Callable[[str], T]) -> T:
    """``load(model_id)`` the first time this process asks for it; the same object after.

    A query that needs a loaded model never waits for another one to load; loads take turns
    (see ``_LOADS``). A model that failed raises the same error for ``RETRY_AFTER`` s.
    """
    key = (kind, model_id)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]  # type: ignore[return-value]
        lock = _LOADING.setdefault(key, threading.Lock())
    with lock:
        with _LOCK:
            if key in _LOADED:
                return _LOADED[key]  # type: ignore[return-value]
            failed = _FAILED.get(key)
        if failed and time.monotonic() - failed[0] < RETRY_AFTER:
            raise failed[1].with_traceback(None)
        try:
            with _LOADS:
                loaded = load(model_id)
        except Exception as exc:
            with _LOCK:
                _FAILED[key] = (time.monotonic(), exc)
            raise
        with _LOCK:
            _LOADED[key] = loaded
            _FAILED.pop(key, None)
        return loaded


def check_folder(model_id: str) -> None:
    """OSError at once where ``model_id`` is a path (``/``, ``~``, ``.`` or more than one ``/``:
    a hub id is ``org/name``) to no folder, rather than the Hub client's "Repo id must be in
    the form" after torch and transformers have taken seconds to import."""
    looks_like_path = model_id.startswith(("/", "~", ".", "\\")) or model_id.count("/") > 1
    if looks_like_path and not Path(model_id).expanduser().is_dir():
        raise OSError(f"there is no folder {model_id} (a model folder holds config.json and "
                      "the weights)")


def load_failure(model_id: str) -> BaseException | None:
    """Why ``model_id`` last failed to load in this process, if it did (and hasn't loaded)."""
    with _LOCK:
        found = [(at, exc) for (_, model), (at, exc) in _FAILED.items() if model == model_id
                 and not any(m == model_id for _, m in _LOADED)]
    return max(found, key=lambda f: f[0])[1] if found else None


def load_error(kind: str, model_id: str, env: str, exc: BaseException, more: str = "",
               flag: str | None = None) -> ModelError:
    """The error for a model that could not be loaded: which, why, and how to point at a local
    copy (for the operator); a visitor of the web app is told which and why, without server
    paths or settings."""
    why = first_line(exc)
    setting = f"{env} (or {flag})" if flag else env
    local = Path(model_id).expanduser().is_dir() or model_id.startswith(("/", "~", "."))
    if local:
        advice = ("Check the folder: a local copy holds a checkpoint saved with save_pretrained "
                  f"(config.json and the weights); or set {setting} to another local "
                  "copy's folder or a hub id.")
    else:  # what to download: the published export where that is what failed
        copy = getattr(exc, "download_id", None) or model_id
        advice = (f"It is downloaded from the Hugging Face Hub on first use, which needs the "
                  f"internet; to use a local copy, set {setting} to a folder made with "
                  f"`hf download {copy} --local-dir DIR` where the Hub can be reached.")
    shown = "/".join(Path(model_id).parts[-2:]) if local else model_id
    visitor = f"Could not load the {kind} '{shown}': {why.replace(model_id, shown)}."
    return ModelError(" ".join(filter(None, [f"Could not load the {kind} '{model_id}': {why}.",
                                             advice, more])),
                      visitor=" ".join(filter(None, [visitor, more, "If it keeps failing, tell "
                                                      "whoever runs this server."])))


NEEDS_EXPORT = ("it needs torch and transformers to be made into an ONNX export once: "
                f"{how_to_install('export')}; or point at a model folder made by `oneframe "
                "model export SOURCE DIR` elsewhere")
"""What to do where a checkpoint must be exported and torch is not installed."""


def missing_export_extra(exc: BaseException) -> bool:
    """Whether ``exc`` is torch, transformers or onnx not being installed."""
    return isinstance(exc, ImportError) and (exc.name or "").split(".")[0] in (
        "torch", "transformers", "onnx")


def quiet_transformers() -> None:
    """No progress bars, warnings or retry notices from transformers and the Hub client: the
    core never prints."""
    import huggingface_hub
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    huggingface_hub.utils.logging.set_verbosity_error()


def pretrained(load: Callable[..., T], model_id: str, **kwargs: object) -> T:
    """``load(model_id, **kwargs)`` (a ``from_pretrained``), from the local cache when it is there.

    The cache comes first: no network round trips, nothing changes under an indexed library,
    and an offline laptop loads at once. A model that isn't cached is downloaded; if the Hub
    can't be reached, that is said at once rather than after huggingface_hub's half-minute of
    retries.
    """
    if Path(model_id).is_dir():
        return load(model_id, **kwargs)
    check_folder(model_id)
    try:
        return load(model_id, local_files_only=True, **kwargs)
    except OSError:  # transformers' "not in the cache"
        pass
    if problem := hub_unreachable():
        raise OSError(f"it is not in the local cache and the Hugging Face Hub can't be reached "
                      f"({problem})")
    return load(model_id, **kwargs)


def hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the Hub's host can't be reached (no name, no route, refused), or None if it can.

    Behind a proxy, or with the Hub switched off, there is nothing to check here.
    """
    import socket
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    proxies = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
    if constants.HF_HUB_OFFLINE or any(os.environ.get(name) for name in proxies):
        return None
    url = urlsplit(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout).close()
    except OSError as exc:
        return f"{url.hostname}: {first_line(exc)}"
    return None


def device() -> str:
    """``cuda`` where torch has a GPU, else ``cpu``; without importing torch where there can't
    be one (no NVIDIA or AMD GPU device, a ``+cpu`` wheel, macOS), so a search with an exported
    model never does."""
    import platform
    import sys
    from importlib.metadata import PackageNotFoundError, version

    if "torch" not in sys.modules:
        if platform.system() == "Linux" and not any(
                Path(p).exists() for p in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd")):
            return "cpu"
        try:
            if version("torch").endswith("+cpu") or platform.system() == "Darwin":
                return "cpu"
        except PackageNotFoundError:
            return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def use_bf16(where: str) -> bool:
    """Whether torch runs in bfloat16: where the precision chosen for this machine is bfloat16
    (see :mod:`oneframe.precision`: a GPU, or a CPU whose kernels do it natively)."""
    from oneframe.encoders.precision import choose

    return choose(where) == "bfloat16"


def first_line(exc: BaseException) -> str:
    """The gist of an exception, for a message written for the user."""
    text = str(exc).strip()
    return text.splitlines()[0][:300].rstrip(". ") if text else type(exc).__name__
