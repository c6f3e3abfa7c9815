"""Which engine and number format run the encoders on this CPU, chosen at load time.

Measured on 2 cores with ViT-B/32 (bench/families.py, README): where the CPU multiplies
bfloat16 in hardware tiles (AMX) torch in bfloat16 is fastest; everywhere else (AVX2 laptops,
AVX-512 servers, ARM) ONNX Runtime with int8 weights is, by 1.6-4x, with vectors within cosine
0.999 of float32. ``ONEFRAME_PRECISION`` overrides the choice; ``ONEFRAME_ENGINE=torch`` runs
int8 by torch's dynamic quantisation instead of ONNX Runtime (slower; kept for comparison, and
for a machine where ONNX Runtime misbehaves).

The CPU's features are read as torch's and oneDNN's kernels will see them:
``ONEDNN_MAX_CPU_ISA`` and ``ATEN_CPU_CAPABILITY`` can hold the kernels to AVX2 on a newer CPU
(how the AVX2 case is measured on one), and then bfloat16 is not native, whatever the flags say.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from functools import cache

from oneframe.core import settings

PRECISION_ENV = settings.PRECISION
PRECISIONS = ("auto", "int8", "bfloat16", "float32")
ENGINE_ENV = settings.ENGINE
ENGINES = ("auto", "onnxruntime", "torch")
_ISA_LEVELS = {"SSE41": -1, "AVX": -1, "AVX2": 0, "AVX2_VNNI": 0, "AVX2_VNNI_2": 0,
               "AVX512_CORE": 1, "AVX512_CORE_VNNI": 2, "AVX512_CORE_BF16": 3,
               "AVX512_CORE_FP16": 4, "AVX10_1_512": 4, "AVX512_CORE_AMX": 5,
               "AVX10_1_512_AMX": 5, "AVX512_CORE_AMX_FP16": 5, "AVX10_1_512_AMX_FP16": 5}
"""oneDNN's documented ``ONEDNN_MAX_CPU_ISA`` values: -1 below AVX2, 0 AVX2, 1 AVX-512,
2 with VNNI, 3 with bfloat16, 4 with fp16, 5 with AMX."""


@dataclass(frozen=True)
class CpuKernels:
    """What the CPU's kernels may use: x86 vector extensions after any cap from the
    environment."""

    avx2: bool
    avx512: bool
    vnni: bool
    bf16: bool
    amx: bool

    def describe(self) -> str:
        names = [n for n, on in (("avx2", self.avx2), ("avx512", self.avx512),
                                  ("vnni", self.vnni), ("bf16", self.bf16), ("amx", self.amx))
                 if on]
        return " ".join(names) or platform.machine() or "unknown"


@cache
def _flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _cap() -> int:
    """How far the environment lets the kernels go (see ``_ISA_LEVELS``; 9: no cap)."""
    cap = _ISA_LEVELS.get(os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper(), 9)
    if os.environ.get("ATEN_CPU_CAPABILITY", "").strip().lower() in ("default", "avx2"):
        cap = min(cap, 0)
    return cap


def cpu_kernels() -> CpuKernels:
    flags, cap = _flags(), _cap()
    avx2_vnni = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper().startswith("AVX2_VNNI")
    avx512 = "avx512f" in flags and cap >= 1
    return CpuKernels(
        avx2="avx2" in flags and cap >= 0,
        avx512=avx512,
        vnni=(avx512 and "avx512_vnni" in flags and cap >= 2)
        or ("avx_vnni" in flags and (cap >= 2 or avx2_vnni)),
        bf16=avx512 and "avx512_bf16" in flags and cap >= 3,
        amx="amx_bf16" in flags and "amx_tile" in flags and cap >= 5,
    )


def choose(device: str = "cpu") -> str:
    """``int8``, ``bfloat16`` or ``float32``: ``$ONEFRAME_PRECISION`` if set, else the
    fastest measured for ``device`` (a GPU and an AMX CPU: bfloat16; any other CPU: int8)."""
    asked = settings.choice(PRECISION_ENV, PRECISIONS)
    if asked != "auto":
        return asked
    if device != "cpu" or cpu_kernels().amx:
        return "bfloat16"
    return "int8"


def onnx_allowed() -> bool:
    """Whether int8 may run by ONNX Runtime (``$ONEFRAME_ENGINE`` is not ``torch``)."""
    return settings.choice(ENGINE_ENV, ENGINES) != "torch"


def setting(device: str = "cpu") -> str:
    """Everything above that changes an encoder's vectors: what a loaded encoder or a cached
    query vector is filed under."""
    return f"{choose(device)}:{quantisation()}:{'onnx' if onnx_allowed() else 'torch'}"


def quantisation() -> str:
    """How ONNX Runtime's int8 weights are made here: ``int8``, or ``int7`` (ONNX Runtime's
    ``reduce_range``) on CPUs without VNNI, whose int8 multiply-add can saturate with full-range
    weights (ONNX Runtime's quantisation guide)."""
    return "int8" if cpu_kernels().vnni or not cpu_kernels().avx2 else "int7"
