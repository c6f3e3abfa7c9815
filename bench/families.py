"""Fidelity and speed per CLIP-family model.

Usage: .venv/bin/python bench/families.py [--speed]
Fidelity: for each dual encoder transformers ships, a tiny random checkpoint saved with its
processor, loaded through oneframe; the cosine of oneframe's vectors to the reference pipeline's
(the processor as the model card calls it, then get_*_features): texts (lowest of 4), a text
alone against the same text in a batch, and real frames from ../shared/data (lowest of 3).
Speed (--speed): each preset's architecture at full size with random weights (the real cost):
frames per second (batches of 32) and one new query's text encoding.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, cpu_summary, table

sys.path.insert(0, str(ROOT / "tests"))

from test_families import TEXTS, real_frames, reference
from tiny_model import FAMILIES, build_tiny_family

from oneframe.encoders.dual import load_encoder

ARCHITECTURES = {"openai/clip-vit-base-patch32": "clip",
                 "google/siglip2-base-patch16-256": "siglip2-fixed"}
"""Each preset's architecture, built with random weights (the real cost)."""


def fidelity() -> list[list[object]]:
    rows = []
    frames = real_frames()
    with tempfile.TemporaryDirectory() as tmp:
        for family in FAMILIES:
            path = build_tiny_family(family, Path(tmp) / family)
            text, image = reference(path, family, TEXTS, frames)
            row: list[object] = [family]
            try:
                encoder = load_encoder(str(path))
                ours = encoder.embed_texts(TEXTS)
                alone = np.concatenate([encoder.embed_texts([t]) for t in TEXTS])
                row += [f"{(ours * text).sum(1).min():.4f}", f"{(ours * alone).sum(1).min():.4f}"]
                row.append(f"{(encoder.embed_images(frames) * image).sum(1).min():.4f}")
            except Exception as exc:  # noqa: BLE001 - a family the encoder can't handle
                row += [f"fails: {type(exc).__name__}"] * (4 - len(row))
            rows.append(row)
    return rows


def full_size(kind: str, out: Path) -> Path:
    """A preset's architecture, random weights, saved with a processor like its own."""
    import torch
    import transformers as tf
    from tiny_model import _word_tokenizer, build_tiny_clip

    if kind == "clip":
        return build_tiny_clip(out, full_size=True)
    torch.manual_seed(0)
    tokenizer = _word_tokenizer(["<pad>", "</s>", "<unk>"], "$A </s>", "<pad>", 64)
    config = tf.SiglipConfig(  # SigLIP 2 base/16 at 256 (the fixed-resolution variant)
        text_config={"vocab_size": 256000, "max_position_embeddings": 64},
        vision_config={"image_size": 256, "patch_size": 16})
    tf.SiglipModel(config).save_pretrained(out)
    tf.SiglipProcessor(image_processor=tf.SiglipImageProcessor(size={"height": 256,
                                                                     "width": 256}),
                       tokenizer=tokenizer).save_pretrained(out)
    return out


def speed() -> list[list[object]]:
    rows = []
    frames = [np.random.default_rng(i).integers(0, 255, (360, 640, 3), np.uint8)
              for i in range(64)]
    with tempfile.TemporaryDirectory() as tmp:
        for preset, kind in ARCHITECTURES.items():
            encoder = load_encoder(str(full_size(kind, Path(tmp) / kind)))
            encoder.embed_images(frames[:32])
            started = time.perf_counter()
            encoder.embed_images(frames)
            per_second = len(frames) / (time.perf_counter() - started)
            encoder.embed_texts(["warm up"])
            started = time.perf_counter()
            for i in range(10):
                encoder.embed_texts([f"a man in a tuxedo, close-up {i}"])
            rows.append([preset, round(per_second, 1),
                         round((time.perf_counter() - started) * 100, 1)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true")
    args = parser.parse_args()
    print(cpu_summary())
    print(table(["family", "text cos (min)", "alone vs batch (min)", "real frames cos (min)"],
                fidelity()))
    if args.speed:
        print()
        print(table(["preset (architecture, random weights)", "frames/s", "new query ms"],
                    speed()))


if __name__ == "__main__":
    main()
