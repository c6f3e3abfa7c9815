"""Fidelity of a published ONNX export against its checkpoint: the check to run before trusting
one (oneframe runs the default models from them where torch is not installed).

Usage: .venv/bin/python bench/published.py [--offline]
Needs the export extra (torch, transformers) and the Hub: each default model in
``oneframe.encoders.published.PUBLISHED`` is downloaded twice, as the checkpoint and as its
published export, and both embed the same frames (real clips from ../shared/data, else generated
ones) and texts (caption lines). Printed per model: the least and mean cosine between the two
vectors of each input, and how often a text's best frame (and top 5) is the same by both.
``--offline`` checks the same way exports made here in the published layout (from ViT-B/32's
architecture with random weights and the packaged all-MiniLM-L6-v2): what runs where the Hub
can't be reached, a check of the reader, not of the published files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import OUT, ROOT, cpu_summary, dialog_model, table, vit_b32_model

TEXTS = ["a man in a tuxedo, close-up", "two people talking in a car at night", "a robot",
         "an explosion in a city street", "she calls him an Italian stuntman", "a green field",
         "Hello there!", "a close-up of a face", "soldiers running", "the ocean at sunset"]


def frames() -> list[np.ndarray]:
    """About 40 RGB frames of real footage where ../shared is present, else generated ones."""
    from common import one_a_second

    clip = ROOT.parent / "shared/data/clips/tears-of-steel-battle-clip-medium.webm"
    if clip.is_file():
        return one_a_second(clip, limit=40)[1]
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (360, 640, 3), np.uint8) for _ in range(40)]


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def compare(name: str, ours: tuple[np.ndarray, ...], theirs: tuple[np.ndarray, ...],
            ) -> list[object]:
    cosines = np.concatenate([(unit(a) * unit(b)).sum(1) for a, b in zip(ours, theirs,
                                                                          strict=True)])
    row: list[object] = [name, float(cosines.min()), float(cosines.mean())]
    if len(ours) == 2:  # texts against frames: the same best frame, the same top 5
        rank = [np.argsort(-(unit(t) @ unit(i).T), axis=1) for i, t in (ours, theirs)]
        row += [float((rank[0][:, 0] == rank[1][:, 0]).mean()),
                float(np.mean([len(set(a[:5]) & set(b[:5])) / 5 for a, b in zip(*rank,
                                                                                 strict=True)]))]
    else:
        row += ["", ""]
    return row


def picture(checkpoint: str, folder: Path, images: list[np.ndarray]) -> list[object]:
    import torch
    from transformers import AutoModel

    from oneframe.encoders.published import PublishedDual

    published = PublishedDual(folder)
    model = AutoModel.from_pretrained(checkpoint).float().eval()
    with torch.no_grad():
        pixels = torch.from_numpy(published.image_prep(images))
        image = model.get_image_features(pixel_values=pixels)
        from transformers import AutoTokenizer

        tokens = AutoTokenizer.from_pretrained(checkpoint)(TEXTS, padding=True,
                                                          return_tensors="pt")
        text = model.get_text_features(**tokens)
    image = getattr(image, "pooler_output", image).numpy()
    text = getattr(text, "pooler_output", text).numpy()
    return compare(checkpoint, (published.image_features(images), published.text_features(TEXTS)),
                   (image, text))


def sentences(checkpoint: str, folder: Path, lines: list[str]) -> list[object]:
    from transformers import AutoModel, AutoTokenizer

    from oneframe.encoders.published import PublishedSentences
    from oneframe.encoders.sentences import MAX_LENGTH, TorchSentences

    torch_side = TorchSentences(AutoModel.from_pretrained(checkpoint).eval(),
                                AutoTokenizer.from_pretrained(checkpoint), "float32")
    return compare(checkpoint, (PublishedSentences(folder, MAX_LENGTH)(lines),),
                   (torch_side(lines),))


def caption_lines() -> list[str]:
    path = ROOT.parent / "shared/data/clips/friday.vtt"
    if path.is_file():
        from oneframe.dialogue.captions import read_captions

        return [c.text for c in read_captions(path)][:200]
    return TEXTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true")
    args = parser.parse_args()
    print(cpu_summary())
    images, lines, rows = frames(), caption_lines(), []
    if args.offline:
        from published_layout import publish_clip, publish_sentences

        clip = vit_b32_model()
        folder = OUT / "vit-b-32-random-published"
        if not (folder / "onnx" / "text_model.onnx").is_file():
            publish_clip(clip, folder)
        rows.append(picture(str(clip), folder, images))
        minilm = dialog_model()
        if minilm is not None:
            folder = OUT / "minilm-published"
            if not (folder / "onnx" / "model.onnx").is_file():
                publish_sentences(minilm, folder)
            rows.append(sentences(str(minilm), folder, lines))
    else:
        from oneframe.encoders.published import PUBLISHED, download

        for checkpoint, published in PUBLISHED.items():
            folder = download(published)
            rows.append(picture(checkpoint, folder, images) if published.kind == "dual"
                        else sentences(checkpoint, folder, lines))
    print(f"{len(images)} frames, {len(TEXTS)} queries, {len(lines)} caption lines; float32 "
          "published graphs against the checkpoint in torch float32")
    print(table(["model", "least cosine", "mean cosine", "same best frame", "top-5 overlap"],
                rows))


if __name__ == "__main__":
    main()
