"""Which frames ingest keeps: how many a minute, and whether what was dropped is still found.

Usage: .venv/bin/python bench/frames.py [--before COMMIT]
For the film-like 10-minute video (bench/common.py: film_like_video, whose shot list is known)
and the real clips in ../shared/data, the frames kept by this checkout's sampler and by the one
at COMMIT (default b586a32, before issue 13) are compared with a reference: one sample a second.
- shots seen: of the film-like video's shots of 1 s or longer, the share with a kept frame;
- 1-s samples dropped (no kept frame within 0.05 s) and, of those, the share with a kept frame
  that looks the same (mean grey difference of 32x18 thumbnails under 20 of 255, ingest's own
  "same shot" test), and the share within cosine 0.95 by ViT-B/32's architecture. Its weights
  are random (real CLIP weights can't be had here), so that cosine is a weak proxy: the median
  cosine of two samples 10 s or more apart is printed beside it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from common import (
    DATA,
    OUT,
    ROOT,
    cpu_summary,
    film_like_video,
    one_a_second,
    shots_file,
    table,
    vit_b32_model,
)

from oneframe.encoders.dual import load_encoder
from oneframe.media import frames as current

CLIPS = ("clips/tears-of-steel-battle-clip-medium.webm", "clips/big_buck_bunny_0_30.webm",
         "clips/friday.mp4")
SAME_LOOK = 20.0


def before(commit: str):
    """oneframe/frames.py as it was at ``commit``, imported beside today's."""
    path = OUT / f"frames_{commit}.py"
    if not path.is_file():
        source = subprocess.run(["git", "show", f"{commit}:oneframe/frames.py"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
        path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"frames_{commit}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def signature(rgb: np.ndarray) -> np.ndarray:
    return current._signature(np.ascontiguousarray(rgb[:, :, ::-1]))


def measure(video: Path, sampler, encoder, ref: tuple, ref_vectors: np.ndarray,
            shots: list[list[float]] | None) -> list[object]:
    kept = list(sampler.sample_frames(video))
    times = np.array([f.time for f in kept])
    minutes = (ref[0][-1] + 1) / 60
    kept_signs = np.stack([signature(f.image) for f in kept])
    ref_signs = np.stack([signature(im) for im in ref[1]])
    dropped = np.abs(np.asarray(ref[0])[:, None] - times[None]).min(axis=1) > 0.05
    nearest = np.abs(ref_signs[dropped, None] - kept_signs[None]).mean(axis=(2, 3)).min(axis=1)
    kept_vectors = encoder.embed_images([f.image for f in kept])
    cosine = (ref_vectors[dropped] @ kept_vectors.T).max(axis=1)
    seen = "-"
    if shots:
        long = [(a, b) for a, b in shots if b - a >= 1.0]
        seen = np.mean([bool(((times >= a) & (times < b)).any()) for a, b in long])
    if not dropped.any():
        return [len(kept), len(kept) / minutes, seen, 0, "-", "-", "-", "-"]
    return [len(kept), len(kept) / minutes, seen, int(dropped.sum()),
            np.mean(nearest < SAME_LOOK), np.median(nearest), np.mean(cosine >= 0.95),
            np.median(cosine)]


def unrelated_cosine(vectors: np.ndarray, times: list[float],
                     shots: list[list[float]] | None) -> float:
    """Median cosine of reference samples at least 10 s apart (different shots, mostly)."""
    t = np.asarray(times)
    far = np.abs(t[:, None] - t[None]) >= 10
    return float(np.median((vectors @ vectors.T)[far]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="b586a32")
    args = parser.parse_args()
    encoder = load_encoder(str(vit_b32_model()))
    print(cpu_summary(encoder))
    samplers = {"this checkout": current, f"at {args.before}": before(args.before)}
    videos = [film_like_video()] + [DATA / c for c in CLIPS]
    rows, proxies = [], []
    for video in videos:
        if video is None or not video.is_file():
            continue
        shots = (json.loads(shots_file(video).read_text()) if shots_file(video).is_file()
                 else None)
        ref = one_a_second(video)
        ref_vectors = encoder.embed_images(ref[1])
        proxies.append([video.name, unrelated_cosine(ref_vectors, ref[0], shots)])
        for label, sampler in samplers.items():
            rows.append([video.name, label, *measure(video, sampler, encoder, ref, ref_vectors,
                                                     shots)])
    print(table(["video", "sampler", "kept", "kept per min", "shots >= 1 s seen",
                 "1-s samples dropped", "of those, with a kept look-alike",
                 "median grey diff to nearest kept", "within cos 0.95", "median nearest cos"],
                rows))
    print()
    print(table(["video", "median cos of samples >= 10 s apart (the proxy's floor)"], proxies))


if __name__ == "__main__":
    main()
