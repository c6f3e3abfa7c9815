"""The picture model's engines side by side: speed and agreement with float32.

Usage: .venv/bin/python bench/engines.py [--frames 192]
ViT-B/32's architecture (random weights: the real cost) embeds real frames of ../shared/data
(one a second of the film-like video, else generated ones) in batches of 32 and encodes new
text queries one at a time, run by each engine oneframe can choose: torch float32, torch
bfloat16 (fast only where the CPU has AVX-512 BF16 or AMX), torch's dynamic int8, and ONNX
Runtime int8 (weights int8 with VNNI, int7 without: ``oneframe.encoders.precision.quantisation``).
"agreement" is the lowest cosine of an engine's vector to float32's for the same frame.
For the AVX2 case on a newer CPU: ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2
FBGEMM_ENABLE_INSTRUCTIONS=AVX2 caps torch's kernels; ONNX Runtime's can't be capped so.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import (
    cpu_summary,
    film_like_video,
    generated_video,
    one_a_second,
    table,
    vit_b32_model,
)

from oneframe.encoders.dual import Encoder, TorchDual, load_encoder
from oneframe.encoders.models import quiet_transformers
from oneframe.encoders.onnx_models import OnnxDual, export_folder, ready
from oneframe.encoders.precision import quantisation

QUERIES = [f"a person walking through {place} at {hour}" for place in
           ("a market", "the rain", "a corridor", "the snow") for hour in ("dawn", "night")]


def sample(count: int) -> list[np.ndarray]:
    return one_a_second(film_like_video() or generated_video(2), count)[1]


def engines(model_dir: str) -> dict[str, Encoder]:
    import torch
    from transformers import AutoModel, AutoProcessor

    quiet_transformers()

    def torch_model(dtype):
        return AutoModel.from_pretrained(model_dir, dtype=dtype).eval()

    processor = AutoProcessor.from_pretrained(model_dir)
    out = {"torch float32": Encoder(model_dir, TorchDual(torch_model(torch.float32), processor,
                                                         "float32")),
           "torch bfloat16": Encoder(model_dir, TorchDual(torch_model(torch.bfloat16), processor,
                                                          "bfloat16")),
           "torch int8 (dynamic)": Encoder(model_dir, TorchDual(torch_model(torch.float32),
                                                                processor, "int8"))}
    load_encoder(model_dir)  # makes the ONNX export for this CPU, once
    folder = export_folder("dual", model_dir, quantisation())
    if ready(folder):
        out[f"ONNX Runtime, weights {quantisation()}"] = Encoder(model_dir, OnnxDual(folder))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=192)
    args = parser.parse_args()
    model = str(vit_b32_model())
    print(cpu_summary(load_encoder(model)))
    images = sample(args.frames)
    rows, reference = [], None
    for name, encoder in engines(model).items():
        encoder.embed_images(images[:32])  # warm-up
        started = time.perf_counter()
        vectors = encoder.embed_images(images)
        rate = len(images) / (time.perf_counter() - started)
        reference = vectors if reference is None else reference
        spent = []
        for query in QUERIES:
            started = time.perf_counter()
            encoder.embed_texts([query])
            spent.append((time.perf_counter() - started) * 1000)
        rows.append([name, rate, statistics.median(spent),
                     f"{(vectors * reference).sum(1).min():.4f}"])
    print(f"{len(images)} real frames, {len(QUERIES)} queries")
    print(table(["engine", "frames/s", "text query ms (p50)", "agreement with float32"], rows))


if __name__ == "__main__":
    main()
