"""Every ONEFRAME_* setting, read when used and checked here: a bad value is one clear error
naming the variable and what it may be (a ``SettingError``), never an exception at import.

Each accessor below is the only reader of its variable; ``SETTINGS`` lists them all, for the
README and for ``ingest-many`` to hand to Ray workers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from oneframe.core.errors import OneframeError

LIBRARY = "ONEFRAME_LIBRARY"
STORE = "ONEFRAME_STORE"
STORE_OPTIONS = "ONEFRAME_STORE_OPTIONS"
STORE_CACHE_MB = "ONEFRAME_STORE_CACHE_MB"
STORE_LEAN = "ONEFRAME_STORE_LEAN"
CACHE = "ONEFRAME_CACHE"
MODEL = "ONEFRAME_MODEL"
DIALOG_MODEL = "ONEFRAME_DIALOG_MODEL"
DIALOG_MODEL_MULTILINGUAL = "ONEFRAME_DIALOG_MODEL_MULTILINGUAL"
SPEECH_MODEL = "ONEFRAME_SPEECH_MODEL"
PRECISION = "ONEFRAME_PRECISION"
ENGINE = "ONEFRAME_ENGINE"
MEDIA_DIRS = "ONEFRAME_MEDIA_DIRS"
ALLOW_NETWORKS = "ONEFRAME_ALLOW_NETWORKS"
TRUST_PROXY = "ONEFRAME_TRUST_PROXY"
ALLOW_ANY_MODEL = "ONEFRAME_ALLOW_ANY_MODEL"
EXTRACTOR_ARGS = "ONEFRAME_EXTRACTOR_ARGS"
MAX_DURATION = "ONEFRAME_MAX_DURATION"
MAX_DOWNLOAD_MB = "ONEFRAME_MAX_DOWNLOAD_MB"
MAX_UPLOAD_MB = "ONEFRAME_MAX_UPLOAD_MB"
MAX_CAPTION_MB = "ONEFRAME_MAX_CAPTION_MB"
MAX_CUES = "ONEFRAME_MAX_CUES"
MAX_CUES_PER_MINUTE = "ONEFRAME_MAX_CUES_PER_MINUTE"
MAX_IMAGE_MEGAPIXELS = "ONEFRAME_MAX_IMAGE_MEGAPIXELS"
MAX_LIST = "ONEFRAME_MAX_LIST"
LIST_PACE = "ONEFRAME_LIST_PACE"
LIST_WORKERS = "ONEFRAME_LIST_WORKERS"
RAY_ADDRESS = "ONEFRAME_RAY_ADDRESS"
SHARD_DEADLINE = "ONEFRAME_SHARD_DEADLINE"
SHARD_CPUS = "ONEFRAME_SHARD_CPUS"

SETTINGS = {
    LIBRARY: "the library's folder (default $XDG_DATA_HOME/oneframe, else ~/.local/share/oneframe)",
    STORE: "where the store lives: a folder or s3://... (default <library>/.store)",
    STORE_OPTIONS: "LanceDB storage options of the store, a JSON object of strings (endpoint, "
    "timeouts, retries...; the AWS_* variables are read too)",
    STORE_CACHE_MB: "index kept in memory by LanceDB, MB (default: room for the store's "
    "indexes, at least 768)",
    STORE_LEAN: "1: new ANN indexes keep 1-bit codes, about half the memory, queries slower and "
    "a little less exact; 0: never; auto: where full codes would fill half the index cache",
    CACHE: "ONNX exports and query vectors (default $XDG_CACHE_HOME/oneframe)",
    MODEL: "the picture model: a hub id or a folder (openai/clip-vit-base-patch32)",
    DIALOG_MODEL: "the dialogue model (sentence-transformers/all-MiniLM-L6-v2)",
    DIALOG_MODEL_MULTILINGUAL: "the dialogue model of videos not in English "
    "(sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2)",
    SPEECH_MODEL: "the speech model (Whisper base, base.en for English)",
    PRECISION: "auto, int8, bfloat16 or float32",
    ENGINE: "auto, onnxruntime or torch",
    MEDIA_DIRS: "folders whose files the web app may add by path",
    ALLOW_NETWORKS: "address ranges inside the network links may reach, or all",
    TRUST_PROXY: "1: fetch links through the proxy set (HTTPS_PROXY...)",
    ALLOW_ANY_MODEL: "1: visitors may name any hub model",
    EXTRACTOR_ARGS: "yt-dlp's --extractor-args, several separated by |",
    MAX_DURATION: "longest video from a link, seconds (21600)",
    MAX_DOWNLOAD_MB: "largest video from a link, MB (4000)",
    MAX_UPLOAD_MB: "largest uploaded video, MB (4000)",
    MAX_CAPTION_MB: "largest caption file, MB (10)",
    MAX_CUES: "most captions in one file or track (20000)",
    MAX_CUES_PER_MINUTE: "most caption lines a minute of video (200)",
    MAX_IMAGE_MEGAPIXELS: "largest image query, megapixels (40)",
    MAX_LIST: "most videos a channel, playlist or feed may add (5000)",
    LIST_PACE: "seconds between two caption requests of a collection to one site (1; 0 on "
    "this machine's own addresses)",
    LIST_WORKERS: "captions of a collection fetched at once (4)",
    RAY_ADDRESS: "search a split store through a Ray actor per shard: local (a Ray instance "
    "started here), auto (this node's cluster) or ray://HEAD:10001 (unset: in this process)",
    SHARD_DEADLINE: "seconds a search waits for each shard before answering without it (2)",
    SHARD_CPUS: "CPUs Ray reserves for each shard's actor (1)",
}
"""Every setting and what it is (its default in brackets)."""


class SettingError(OneframeError):
    """An ONEFRAME_* variable holds a value oneframe can't use."""


def text(name: str) -> str | None:
    """``$name`` stripped, or None where it is unset or empty."""
    return os.environ.get(name, "").strip() or None


def number(name: str, default: float, *, minimum: float = 0.0, integer: bool = False,
           above: bool = True) -> float:
    """``$name`` as a number (``default`` where unset or empty), which must be more than
    ``minimum`` (or at least it, with ``above`` False); SettingError otherwise."""
    raw = text(name)
    if raw is None:
        return default
    kind = "a whole number" if integer else "a number"
    bound = f"{'more than' if above else 'at least'} {minimum:g}"
    try:
        value = float(raw) if not integer else float(int(raw))
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not {kind}: set it to {kind} {bound}, or unset "
                           f"it for the default ({default:g}).") from None
    if not math.isfinite(value) or value < minimum or (above and value == minimum):
        raise SettingError(f"{name}={raw!r} is out of range: set it to {kind} {bound}, or unset "
                           f"it for the default ({default:g}).")
    return int(value) if integer else value


def string_map(name: str) -> dict[str, str]:
    """``$name`` as a JSON object of strings ({} where unset); SettingError otherwise."""
    import json

    raw = text(name)
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        found = None
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise SettingError(f"{name} must be a JSON object of strings, such as "
                           '{"timeout": "30s", "client_max_retries": "3"}, or unset.')
    return found


def choice(name: str, allowed: Sequence[str], default: str = "auto") -> str:
    """``$name`` lower-cased, one of ``allowed`` (``default`` where unset); SettingError
    naming the allowed values otherwise."""
    raw = (text(name) or default).lower()
    if raw not in allowed:
        raise SettingError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}: set it "
                           f"to one of those, or unset it for the default ({default}).")
    return raw


def flag(name: str) -> bool:
    """``$name`` as yes (1, true, yes, on) or no (unset, 0, false, no, off)."""
    raw = (text(name) or "0").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"{name}={raw!r} is neither yes nor no: set it to 1 or 0, or unset it.")


def folder(name: str, default: Path) -> Path:
    """``$name`` as a folder (``~`` expanded), else ``default``."""
    raw = text(name)
    return Path(raw).expanduser() if raw else default


def folders(name: str) -> list[Path]:
    """``$name`` as folders separated by ``os.pathsep``, resolved; none where unset."""
    return [Path(part).expanduser().resolve() for part in (text(name) or "").split(os.pathsep)
            if part.strip()]


def library_root() -> Path:
    """``$ONEFRAME_LIBRARY``, else ``$XDG_DATA_HOME/oneframe``, else
    ``~/.local/share/oneframe``."""
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return folder(LIBRARY, Path(data_home) / "oneframe")


def cache_root() -> Path:
    """``$ONEFRAME_CACHE``, else ``$XDG_CACHE_HOME/oneframe``, else ``~/.cache/oneframe``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return folder(CACHE, Path(base) / "oneframe")


def model(name: str, given: str | None, default: str) -> str:
    """A model: ``given`` (an argument), else ``$name``, else ``default``; a local folder as
    an absolute path."""
    chosen = given or text(name) or default
    path = Path(chosen).expanduser()
    return str(path.resolve()) if path.is_dir() else chosen
