"""The encoder, loaded through the real from_pretrained path from a saved tiny CLIP."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from oneframe.core.errors import ModelError
from oneframe.encoders import models
from oneframe.encoders.dual import DEFAULT_MODEL, load_encoder, resolve_model


def test_model_resolution(monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path) -> None:
    assert resolve_model() == str(tiny_model_dir.resolve())
    assert resolve_model("org/other") == "org/other"
    monkeypatch.delenv("ONEFRAME_MODEL")
    assert resolve_model() == DEFAULT_MODEL


def test_vectors_are_normalised_and_batched() -> None:
    encoder = load_encoder()
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (90 + i, 160, 3), dtype=np.uint8) for i in range(5)]
    vectors = encoder.embed_images(images, batch=2)
    assert vectors.shape == (5, encoder.dim) == (5, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    one = encoder.embed_images(images[3:4])
    assert float(one[0] @ vectors[3]) > 0.999
    texts = encoder.embed_texts(["a red car", "two people talking"])
    assert texts.shape == (2, 16) and np.allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)
    assert encoder.embed_images([]).shape == (0, 16)


@pytest.mark.parametrize(("precision", "engine", "runs_in"), [
    ("float32", "auto", "float32 (torch)"), ("int8", "auto", "int8 (ONNX Runtime)"),
    ("int8", "torch", "int8 (torch; not exported to ONNX: ONEFRAME_ENGINE=torch)")])
def test_fast_preprocessing_matches_the_checkpoint_processor(
    monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path, precision: str, engine: str,
    runs_in: str,
) -> None:
    from transformers import AutoModel, AutoProcessor

    monkeypatch.setenv("ONEFRAME_PRECISION", precision)
    monkeypatch.setenv("ONEFRAME_ENGINE", engine)
    monkeypatch.setattr(models, "_LOADED", {})
    encoder = load_encoder()
    assert encoder.precision == runs_in
    image = np.random.default_rng(1).integers(0, 255, (120, 200, 3), dtype=np.uint8)
    model = AutoModel.from_pretrained(tiny_model_dir).eval()
    reference = AutoProcessor.from_pretrained(tiny_model_dir)(images=[image],
                                                               return_tensors="pt")
    with torch.inference_mode():
        expected = model.get_image_features(pixel_values=reference["pixel_values"])
    expected = getattr(expected, "pooler_output", expected)[0].float().numpy()
    expected /= np.linalg.norm(expected)
    assert float(encoder.embed_images([image])[0] @ expected) > 0.98


def test_an_unknown_engine_or_precision_is_a_clear_cli_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        scene_video: Path) -> None:
    from oneframe.cli.main import main
    from oneframe.core.settings import SettingError

    monkeypatch.setenv("ONEFRAME_ENGINE", "openvino")
    with pytest.raises(SettingError, match="ONEFRAME_ENGINE must be one of auto, onnxruntime"):
        load_encoder()
    monkeypatch.delenv("ONEFRAME_ENGINE")
    monkeypatch.setenv("ONEFRAME_PRECISION", "fp8")
    assert main(["ingest", str(scene_video)]) != 0
    err = capsys.readouterr().err
    assert "ONEFRAME_PRECISION must be one of" in err and "Traceback" not in err


def test_loaded_once_per_process_even_from_threads() -> None:
    found: list[object] = []
    threads = [threading.Thread(target=lambda: found.append(load_encoder())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and all(e is found[0] for e in found)


def test_unloadable_model_names_model_reason_and_remedy(tmp_path: Path) -> None:
    broken = tmp_path / "not-a-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(ModelError) as info:
        load_encoder(str(broken))
    message = str(info.value)
    assert str(broken) in message and "ONEFRAME_MODEL" in message and "local" in message


def test_hub_id_without_network_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="no-such-org/no-such-model"):
        load_encoder("no-such-org/no-such-model")


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_uncached_hub_model_with_the_hub_unreachable_fails_at_once(monkeypatch) -> None:
    import time

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    start = time.monotonic()
    with pytest.raises(ModelError) as info:
        load_encoder("no-such-org/uncached-model")
    assert "not in the local cache" in str(info.value) and "can't be reached" in str(info.value)
    assert "no-such-org/uncached-model" in str(info.value)
    assert time.monotonic() - start < 20, "it went through the Hub client's retries"


@pytest.mark.slow
def test_a_cached_hub_model_loads_without_touching_the_network(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    """A hub id found in the Hugging Face cache loads without asking the Hub for it."""
    import http.server
    import os
    import shutil
    import subprocess
    import sys

    from conftest import ROOT

    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--tiny-org--tiny-clip"
    shutil.copytree(tiny_model_dir, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)

    requests: list[str] = []

    class Hub(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_error(500)

        do_HEAD = do_GET

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "ONEFRAME_MODEL")}
    env.update(HF_HUB_CACHE=str(tmp_path / "hub"), HF_ENDPOINT=f"http://127.0.0.1:"
               f"{server.server_address[1]}")
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from oneframe.encoders.dual import load_encoder; "
             "print(load_encoder('tiny-org/tiny-clip').dim)"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    # huggingface_hub may fetch its own agent registry (/api/agent-harnesses) for its user
    # agent; what matters is that nothing of the model was asked for.
    assert done.stdout.strip() == "16" and [r for r in requests if "tiny-org" in r] == []


def fresh_load(model: str):
    """``load_encoder`` as a new process would: nothing loaded or remembered yet."""
    from oneframe.encoders import models

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models, "_LOADED", {})
        patch.setattr(models, "_FAILED", {})
        return load_encoder(model)


@pytest.mark.parametrize("torn", ["meta.json", "text.onnx", "image.onnx"])
def test_a_torn_export_is_made_again(tmp_path: Path, monkeypatch, torn: str) -> None:
    """A torn meta.json or graph once failed every search and ingest for good."""
    from tiny_model import build_tiny_clip

    from oneframe.encoders.onnx_models import export_folder
    from oneframe.encoders.precision import quantisation

    monkeypatch.setenv("ONEFRAME_CACHE", str(tmp_path / "cache"))
    model = str(build_tiny_clip(tmp_path / "clip", seed=3))
    first = fresh_load(model)
    folder = export_folder("dual", model, quantisation())
    assert "ONNX Runtime" in first.precision and (folder / torn).is_file()
    expected = first.embed_texts(["a red door"])
    data = (folder / torn).read_bytes()
    (folder / torn).write_bytes(data[:len(data) // 2])
    again = fresh_load(model)
    assert "ONNX Runtime" in again.precision
    assert np.allclose(again.embed_texts(["a red door"]), expected, atol=1e-5)
    assert (folder / torn).read_bytes() == data  # exported again, whole


def test_weights_swapped_under_the_same_names_sizes_and_times_are_exported_again(
        tmp_path: Path, monkeypatch) -> None:
    import os
    import shutil

    from tiny_model import build_tiny_clip

    from oneframe.encoders.onnx_models import export_folder
    from oneframe.encoders.precision import quantisation

    monkeypatch.setenv("ONEFRAME_CACHE", str(tmp_path / "cache"))
    model = build_tiny_clip(tmp_path / "clip", seed=4)
    other = build_tiny_clip(tmp_path / "other", seed=5)
    before = fresh_load(str(model)).embed_texts(["a red door"])
    old_folder = export_folder("dual", str(model), quantisation())
    weights = model / "model.safetensors"
    stamp = weights.stat()
    shutil.copyfile(other / "model.safetensors", weights)
    os.utime(weights, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # the same time, too
    assert weights.stat().st_size == stamp.st_size
    assert export_folder("dual", str(model), quantisation()) != old_folder
    after = fresh_load(str(model)).embed_texts(["a red door"])
    reference = fresh_load(str(other)).embed_texts(["a red door"])
    assert np.allclose(after, reference, atol=1e-4) and not np.allclose(after, before, atol=1e-2)
