"""A tiny random CLIP saved like a real checkpoint, loaded through the product's own path.

Character-level vocabulary (no vocab download), 2 layers, hidden size 32: the shape of
transformers' own CLIP tests. Its scores are noise; tests use it for plumbing and for
image-as-query self-retrieval, never for semantic quality.
"""

from __future__ import annotations

import json
from pathlib import Path


def build_tiny_clip(out: Path, seed: int = 0, full_size: bool = False,
                    vocabulary: tuple[Path, Path] | None = None) -> Path:
    """Save a random CLIP to ``out``: tiny, or with ``full_size`` the real ViT-B/32 shape.

    ``vocabulary`` is a ``(vocab.json, merges.txt)`` BPE pair to use instead of characters.
    """
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    out.mkdir(parents=True, exist_ok=True)
    chars = [chr(c) for c in range(33, 127)]
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab))
    (out / "merges.txt").write_text("#version: 0.2\n")
    if vocabulary is not None:
        (out / "vocab.json").write_text(vocabulary[0].read_text())
        (out / "merges.txt").write_text(vocabulary[1].read_text())
        vocab = json.loads(vocabulary[0].read_text())
    tokenizer = CLIPTokenizer(str(out / "vocab.json"), str(out / "merges.txt"))
    side = 224 if full_size else 32
    image_processor = CLIPImageProcessor(size={"shortest_edge": side},
                                         crop_size={"height": side, "width": side})
    eos = vocab["<|endoftext|>"]
    tiny = CLIPConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37,
                         num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                         bos_token_id=vocab["<|startoftext|>"], eos_token_id=eos,
                         pad_token_id=eos),
        vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=37,
                           num_hidden_layers=2, num_attention_heads=4),
        projection_dim=16,
        logit_scale_init_value=4.6052,  # ln 100: the temperature trained CLIP models reach
    )
    # CLIPConfig() is ViT-B/32's architecture
    config = CLIPConfig(logit_scale_init_value=4.6052) if full_size else tiny
    if full_size:  # keep the real 49,408-token embedding table: the same memory cost
        for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
            setattr(config.text_config, key, getattr(tiny.text_config, key))
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(out)
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(out)
    (out / "vocab.json").unlink()
    (out / "merges.txt").unlink()
    return out
