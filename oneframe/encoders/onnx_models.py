"""Encoders run by ONNX Runtime from a cached int8 export: no torch, no transformers.

A checkpoint is exported once per machine (``onnx_export``), into a folder of the cache named
by what it was made from (the checkpoint's files, the export format, the quantisation); after
that a process that searches imports neither torch nor transformers, and its text tower is
ready in a fraction of a second. Tokenisation is the checkpoint's own fast tokenizer (the
``tokenizers`` library), set up as the checkpoint's tokenizer is called.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

import numpy as np

from oneframe.core import settings
from oneframe.core.errors import ModelError
from oneframe.encoders.preprocess import ImagePrep

CACHE_ENV = settings.CACHE
LOG = logging.getLogger("oneframe")
T = TypeVar("T")
EXPORT_VERSION = 2
"""Raise when what an export holds changes: older exports are then made again. 2: meta.json
lists its files' sizes."""
META = "meta.json"


def cache_root() -> Path:
    """``$ONEFRAME_CACHE``, else ``$XDG_CACHE_HOME/oneframe``, else ``~/.cache/oneframe``."""
    return settings.cache_root()


def checkpoint_folder(model_id: str) -> Path | None:
    """The folder a checkpoint's files are in: the model's own, or its snapshot in the Hugging
    Face cache; None where it has not been downloaded."""
    if Path(model_id).is_dir():
        return Path(model_id)
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model_id, "config.json")
    except Exception:  # noqa: BLE001 - not a valid repo id, no cache: nothing to reuse
        return None
    return Path(found).parent if isinstance(found, str) else None


def export_folder(kind: str, model_id: str, variant: str) -> Path | None:
    """Where the export of ``model_id`` for ``kind`` and ``variant`` lives (whether or not it
    exists yet); None if the checkpoint's files can't be found to name it by."""
    identity = checkpoint_identity(model_id)
    if identity is None:
        return None
    from importlib.metadata import version

    made_from = [EXPORT_VERSION, kind, variant, version("onnxruntime"), identity]
    key = hashlib.sha256(json.dumps(made_from).encode()).hexdigest()[:24]
    return cache_root() / "onnx" / f"{kind}-{key}"


def checkpoint_identity(model_id: str) -> list[Any] | None:
    """What names a checkpoint's weights here: its folder and its files' contents (hashes);
    None if its files can't be found. Weights swapped under the same names, sizes and times
    are another checkpoint (they once kept using the old export)."""
    folder = checkpoint_folder(model_id)
    if folder is None:
        return None
    files = sorted((p.name, content_id(p)) for p in folder.iterdir() if p.is_file())
    return [str(folder), files]


HASHES = "checkpoint-hashes.json"
_HASHED: dict[str, str] = {}
_HASHING = threading.Lock()


def content_id(path: Path) -> str:
    """A file's content hash, computed once: a Hugging Face cache blob is named by its own
    (its name), any other file's is kept in the cache folder under what its stat says (size,
    times, inode: ``ctime`` changes on every write, whatever ``mtime`` is set back to)."""
    real = path.resolve()
    if real.parent.name == "blobs" and len(real.name) >= 40:
        return real.name
    info = real.stat()
    key = f"{real}|{info.st_size}|{info.st_mtime_ns}|{info.st_ctime_ns}|{info.st_ino}"
    with _HASHING:
        if key not in _HASHED:
            store = cache_root() / HASHES
            try:
                known = json.loads(store.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                known = {}
            if not isinstance(known, dict) or not isinstance(known.get(key), str):
                known = known if isinstance(known, dict) else {}
                digest = hashlib.sha256()
                with real.open("rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
                known[key] = digest.hexdigest()
                _write_json(store, known)
            _HASHED[key] = known[key]
        return _HASHED[key]


def _write_json(path: Path, data: object) -> None:
    """Whole or not at all; a cache that can't be written only costs a hash next time."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, path)
    except OSError:
        pass


def ready(folder: Path | None) -> TypeGuard[Path]:
    """Whether ``folder`` holds a whole export: its meta.json reads and every file it lists
    has the size it had when made. A torn one is removed, to be exported again."""
    if folder is None or not folder.is_dir():
        return False
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        whole = isinstance(meta, dict) and isinstance(meta.get("files"), dict) and all(
            (folder / name).stat().st_size == size for name, size in meta["files"].items())
    except (OSError, ValueError, TypeError):
        whole = False
    if not whole:
        discard(folder)
    return whole


def from_export(folder: Path | None, model_id: str, make: Callable[[Path], T]) -> T | None:
    """``make(folder)`` where ``folder`` holds a whole export; None where it doesn't, or where
    the export fails to load (it is then removed, to be exported again, and logged)."""
    if not ready(folder):
        return None
    try:
        return make(folder)
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, it is made again
        LOG.warning("oneframe: the export of %s can't be used (%s); exporting it again",
                    model_id, str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
        discard(folder)
        return None


def onnx_model_kind(model_id: str) -> str | None:
    """``"dual"`` or ``"sentences"`` where ``model_id`` is a folder holding an ONNX export
    (made by ``oneframe model export``: meta.json, the towers, the tokenizer); else None."""
    meta = Path(model_id).expanduser() / META
    if not meta.is_file():
        return None
    try:
        found = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "damaged"
    return "dual" if isinstance(found, dict) and "image" in found else "sentences"


def from_model_folder(model_id: str, kind: str, make: Callable[[Path], T]) -> T | None:
    """``make(folder)`` where ``model_id`` is an ONNX model folder of ``kind`` (ONNX Runtime
    alone runs it); None where it is no such folder; ValueError where it is one of another
    kind (a user's folder is never removed, unlike the cache's torn exports)."""
    found = onnx_model_kind(model_id)
    if found is None:
        return None
    if found != kind:
        raise ValueError(f"it is an ONNX export of a {found} model, not of a {kind} one")
    return make(Path(model_id).expanduser())


def discard(folder: Path) -> None:
    """Remove an export that can't be used (torn, or failing to load)."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def threads() -> int:
    """The cores this process may use (what torch would take)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Tower:
    """One ONNX graph, its session made on first use (a search never builds the image one)."""

    def __init__(self, path: Path, output: str | None = None) -> None:
        self.path = path
        self.output = output
        """The output returned by name (a published graph has several); else the first."""
        self._session: Any = None
        self._lock = threading.Lock()

    def __call__(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session().run([self.output] if self.output else None, feeds)[0]

    def inputs(self) -> list[str]:
        """The names of the graph's inputs."""
        return [i.name for i in self.session().get_inputs()]

    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads()
                options.inter_op_num_threads = 1
                # Idle threads that spin would take the core the video decoder runs on.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                try:
                    self._session = ort.InferenceSession(
                        str(self.path), options, providers=["CPUExecutionProvider"])
                except Exception as exc:  # a graph overwritten, truncated, not ONNX
                    raise DamagedGraph(self.path, exc) from exc
            return self._session


class DamagedGraph(ModelError):
    """An ONNX graph that ONNX Runtime can't read: where it is a cached export (made or
    downloaded by oneframe), it is made again once (:func:`repaired`)."""

    def __init__(self, path: Path, exc: BaseException) -> None:
        self.path = path
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        super().__init__(f"The model graph {path} can't be read ({why[:200]}). Where it is a "
                         "file of your own, make it again; oneframe's own cached copies are "
                         "made again by themselves.",
                         visitor="A model file of this server is damaged; whoever runs it "
                         "can see which in its log or with `oneframe doctor`.")

    @property
    def cached(self) -> bool:
        """Whether the graph is one of oneframe's cached exports (never a user's folder)."""
        return self.path.resolve().is_relative_to(cache_root().resolve())


def repaired(exc: DamagedGraph, kind: str, model_id: str, reload: Callable[[], T]) -> T:
    """The model loaded again after its cached export ``exc`` names was found damaged: the
    export removed, the process's copy forgotten, ``reload`` run (it exports or downloads it
    again); ``exc`` raised again where the graph is not a cached one."""
    from oneframe.encoders.models import forget

    if not exc.cached:
        raise exc
    LOG.warning("oneframe: %s; removing it and making it again", exc)
    discard(exc.path.parent)
    forget(kind, model_id)
    return reload()


class Tokens:
    """Texts -> token arrays, as the checkpoint's tokenizer makes them for its text tower."""

    def __init__(self, folder: Path, spec: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        self.spec = spec
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=spec["max_length"])
        pad = {"direction": spec["padding_side"], "pad_id": spec["pad_id"],
               "pad_token": spec["pad_token"]}
        if spec["padding"] == "max_length":
            pad["length"] = spec["max_length"]
        self.tokenizer.enable_padding(**pad)

    def __call__(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if self.spec["lowercase"]:
            texts = [t.lower() for t in texts]
        encoded = self.tokenizer.encode_batch(list(texts))
        arrays = {"input_ids": [e.ids for e in encoded],
                  "attention_mask": [e.attention_mask for e in encoded],
                  "token_type_ids": [e.type_ids for e in encoded]}
        return {name: np.asarray(arrays[name], np.int64) for name in self.spec["inputs"]}


LIMITS = {"dim": (1, 8192), "max_length": (1, 4096), "shortest_edge": (0, 4096), "box": (1, 4096)}
"""What an export's settings may be: a folder saying otherwise is refused when opened."""


def settings_of(folder: Path) -> dict[str, Any]:
    """An export folder's meta.json, checked: its sizes within ``LIMITS``, its temperature a
    finite positive number, its graphs inside the folder; ModelError naming what is wrong."""
    meta = json.loads((folder / META).read_text(encoding="utf-8"))

    def bad(what: str) -> ModelError:
        return ModelError(f"The model folder {folder} is not one oneframe can use: its "
                          f"meta.json says {what}. Make it again with `oneframe model "
                          "export`.", visitor="A model folder of this server is not usable; "
                          "whoever runs it can see why in its log or with `oneframe doctor`.")

    def within(name: str, value: Any) -> None:
        low, high = LIMITS[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise bad(f"{name} is {str(value)[:40]} (it must be a whole number from {low} to "
                      f"{high})")

    if not isinstance(meta, dict):
        raise bad("nothing usable")
    within("dim", meta.get("dim"))
    within("max_length", (meta.get("text") or {}).get("max_length"))
    if "image" in meta:
        image = meta["image"] or {}
        within("shortest_edge", image.get("shortest_edge") or 0)
        for side in image.get("box") or [None]:
            within("box", side)
    if "logit_scale" in meta:
        scale = meta["logit_scale"]
        if not isinstance(scale, int | float) or not math.isfinite(scale) or not 0 < scale <= 1e4:
            raise bad(f"logit_scale is {str(scale)[:40]} (a finite number above 0)")
    for graph in folder.glob("*.onnx"):
        _outside_data(graph, folder, bad)
    return meta


def _outside_data(graph: Path, folder: Path, bad: Callable[[str], ModelError]) -> None:
    """``bad`` where ``graph`` names external data (tensors in other files) outside
    ``folder``: ONNX Runtime would read whatever file it names. The names are the values of
    the graph's ``location`` entries (protobuf: key, then a length-prefixed value)."""
    data = graph.read_bytes()
    key = b"\x0a\x08location\x12"
    at = data.find(key)
    while at >= 0:
        start, size, shift = at + len(key), 0, 0
        while start < len(data) and shift < 35:  # the value's length, a varint
            size |= (data[start] & 0x7F) << shift
            start, shift = start + 1, shift + 7
            if not data[start - 1] & 0x80:
                break
        name = data[start:start + size].decode("utf-8", "replace")
        if not (folder / name).resolve().is_relative_to(folder.resolve()):
            raise bad(f"{graph.name} reads tensors from {name[:200]}, outside the folder")
        at = data.find(key, start + size)


class OnnxDual:
    """A dual encoder's two towers from an export folder (see ``onnx_export.export_dual``)."""

    engine = "ONNX Runtime"

    def __init__(self, folder: Path) -> None:
        meta = settings_of(folder)
        self.folder = folder
        images, texts = meta["image_precision"], meta["text_precision"]
        self.precision = images if images == texts else f"{images} images, {texts} text"
        self._text_int8 = texts == "int8"
        self.dim = int(meta["dim"])
        self.logit_scale = float(meta["logit_scale"])
        self.image_prep = ImagePrep.from_json(meta["image"])
        self._tokens = Tokens(folder, meta["text"])
        self._images = Tower(folder / "image.onnx")
        self._texts = Tower(folder / "text.onnx")

    def image_features(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return self._images({"pixel_values": self.image_prep(images)})

    def text_features(self, texts: Sequence[str]) -> np.ndarray:
        return _each(self._texts, self._tokens, texts, self._text_int8)


class OnnxSentences:
    """A sentence encoder (mean pooling and normalisation inside the graph) from an export
    folder (see ``onnx_export.export_sentences``)."""

    engine = "ONNX Runtime"

    def __init__(self, folder: Path) -> None:
        meta = settings_of(folder)
        self.precision = meta["text_precision"]
        self._int8 = self.precision == "int8"
        self.dim = int(meta["dim"])
        self._tokens = Tokens(folder, meta["text"])
        self._tower = Tower(folder / "text.onnx")

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return _each(self._tower, self._tokens, texts, self._int8)


def _each(tower: Tower, tokens: Tokens, texts: Sequence[str], alone: bool) -> np.ndarray:
    """Text vectors, each text run ``alone`` where the graph is int8: its activations are
    scaled per run, so a text's vector would otherwise depend on the texts beside it."""
    if not alone or len(texts) <= 1:
        return tower(tokens(texts))
    return np.concatenate([tower(tokens([text])) for text in texts])
