"""The int8 export on a CPU with AVX2 only, the CPU most users have: ONNX Runtime's kernels
can't be capped by an environment variable, so its towers run on an emulated Haswell
(qemu-user, which ``make test`` installs) and must agree with float32 on this machine."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from oneframe.media.frames import sample_frames

TEXTS = ["a red square on a blue wall", "two people talking in a kitchen at night"]
CHILD = """
import sys
import numpy as np
from pathlib import Path
from numpy._core._multiarray_umath import __cpu_features__ as cpu  # read by CPUID
from oneframe.encoders.onnx_models import OnnxDual

assert cpu["AVX2"] and not cpu["AVX512F"] and not cpu["AVX512_ICL"], "not an AVX2-only CPU"
given = np.load(sys.argv[2])
dual = OnnxDual(Path(sys.argv[1]))
images = dual.image_features(list(given["frames"]))
texts = np.concatenate([dual.text_features([t]) for t in given["texts"]])
np.savez(sys.argv[3], images=images, texts=texts)
"""


@pytest.mark.skipif(shutil.which("qemu-x86_64") is None or platform.machine() != "x86_64",
                    reason="qemu-user (qemu-x86_64) is absent, or this is not an x86-64 machine")
def test_int8_export_on_avx2_kernels_agrees_with_float32(
        monkeypatch: pytest.MonkeyPatch, scene_video: Path, tmp_path: Path,
        tiny_model_dir: Path) -> None:
    from oneframe.encoders.dual import load_encoder
    from oneframe.encoders.onnx_models import export_folder, ready
    from oneframe.encoders.precision import quantisation

    frames = [f.image for f in sample_frames(scene_video)][:6]
    monkeypatch.setenv("ONEFRAME_PRECISION", "float32")
    reference = load_encoder()
    want_images, want_texts = reference.embed_images(frames), reference.embed_texts(TEXTS)

    monkeypatch.setenv("ONEFRAME_PRECISION", "int8")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # as oneframe chooses on an AVX2 CPU
    assert quantisation() == "int7"
    assert load_encoder().precision == "int8 (ONNX Runtime)"
    folder = export_folder("dual", str(tiny_model_dir), "int7")
    assert ready(folder)

    np.savez(tmp_path / "given.npz", frames=np.stack(frames), texts=np.array(TEXTS))
    run = subprocess.run(
        ["qemu-x86_64", "-cpu", "Haswell-v4", sys.executable, "-c", CHILD, str(folder),
         str(tmp_path / "given.npz"), str(tmp_path / "got.npz")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=_uncapped())
    assert run.returncode == 0, run.stderr[-2000:]
    got = np.load(tmp_path / "got.npz")
    assert (got["images"] * want_images).sum(1).min() >= 0.995
    assert (got["texts"] * want_texts).sum(1).min() >= 0.995


def _uncapped() -> dict[str, str]:
    """This environment without the kernel caps: the emulated CPU alone limits the kernels."""
    import os

    return {k: v for k, v in os.environ.items()
            if k not in ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")}
