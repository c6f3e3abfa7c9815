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


FAMILIES = ("clip", "siglip", "siglip2", "siglip2_fixed", "metaclip_2", "altclip",
            "chinese_clip")
"""The image-text dual encoders transformers ships that AutoModel loads (transformers 5.24)."""
_WORDS = ("a the man woman in on tuxedo close up red blue door is locked green scene dog cat "
          "photo of something image picture two people talking car night").split()


def _word_tokenizer(special: list[str], template: str, pad: str, max_length: int):
    """A small word-level fast tokenizer with a family's special tokens (no vocab download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate([*special, *_WORDS])}
    unk = next(t for t in special if "unk" in t.lower()) if any(
        "unk" in t.lower() for t in special) else special[-1]
    backend = Tokenizer(models.WordLevel(vocab, unk_token=unk))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[(t, vocab[t]) for t in special if t in template])
    named = {"[CLS]": "cls_token", "[SEP]": "sep_token", "<s>": "bos_token", "</s>": "eos_token"}
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token=unk, pad_token=pad,
                                   model_max_length=max_length,
                                   **{named[t]: t for t in special if t in named})


def build_tiny_family(family: str, out: Path, seed: int = 0, positions: int = 64) -> Path:
    """A tiny random checkpoint of ``family`` saved with its processor, as a hub folder is;
    a SigLIP's text tower has ``positions`` positions."""
    import torch
    import transformers as tf

    if family == "clip":
        return build_tiny_clip(out, seed)
    out.mkdir(parents=True, exist_ok=True)
    layers = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
              "num_attention_heads": 4}
    vision = {**layers, "image_size": 32, "patch_size": 8}
    crop = {"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}}
    torch.manual_seed(seed)
    if family == "siglip2_fixed":  # SigLIP 2 at a fixed resolution: SigLIP, Gemma's tokenizer
        letters = [*"abcdefghijklmnopqrstuvwxyz▁"]  # lower case only: "R" is not "r"
        vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>", "<mask>",
                                             *letters])}
        tokenizer = tf.GemmaTokenizer(vocab=vocab, merges=[], model_max_length=64)
        text = {**layers, "vocab_size": len(vocab), "max_position_embeddings": 64,
                "pad_token_id": 0, "eos_token_id": 1}
        model = tf.SiglipModel(tf.SiglipConfig(text_config=text, vision_config=vision))
        processor = tf.SiglipProcessor(
            image_processor=tf.SiglipImageProcessor(size={"height": 32, "width": 32}),
            tokenizer=tokenizer)
    elif family in ("siglip", "siglip2"):
        tokenizer = _word_tokenizer(["<pad>", "</s>", "<unk>"], "$A </s>", "<pad>", 64)
        text = {**layers, "vocab_size": len(tokenizer), "max_position_embeddings": positions,
                "pad_token_id": 0, "eos_token_id": 1}
        if family == "siglip":
            model = tf.SiglipModel(tf.SiglipConfig(text_config=text, vision_config=vision))
            processor = tf.SiglipProcessor(
                image_processor=tf.SiglipImageProcessor(size={"height": 32, "width": 32}),
                tokenizer=tokenizer)
        else:  # NaFlex: patches of the image at its own aspect ratio, at most 256 of 16 px
            model = tf.Siglip2Model(tf.Siglip2Config(text_config=text, vision_config={
                **layers, "patch_size": 16, "num_patches": 256}))
            processor = tf.Siglip2Processor(image_processor=tf.Siglip2ImageProcessor(
                patch_size=16, max_num_patches=256), tokenizer=tokenizer)
    elif family in ("metaclip_2", "altclip"):
        tokenizer = _word_tokenizer(["<s>", "<pad>", "</s>", "<unk>"], "<s> $A </s>", "<pad>",
                                    77)
        ids = {"bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2}
        if family == "metaclip_2":
            model = tf.MetaClip2Model(tf.MetaClip2Config(text_config={
                **layers, "vocab_size": len(tokenizer), "max_position_embeddings": 77, **ids},
                vision_config=vision, projection_dim=16))
        else:
            model = tf.AltCLIPModel(tf.AltCLIPConfig(text_config={
                **layers, "vocab_size": len(tokenizer), "max_position_embeddings": 80,
                "project_dim": 16, **ids}, vision_config=vision, projection_dim=16))
        processor = tf.CLIPProcessor(image_processor=tf.CLIPImageProcessor(**crop),
                                     tokenizer=tokenizer)
    elif family == "chinese_clip":
        tokenizer = _word_tokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]"], "[CLS] $A [SEP]",
                                    "[PAD]", 52)
        model = tf.ChineseCLIPModel(tf.ChineseCLIPConfig(text_config={
            **layers, "vocab_size": len(tokenizer), "max_position_embeddings": 64},
            vision_config=vision, projection_dim=16))
        processor = tf.ChineseCLIPProcessor(
            image_processor=tf.ChineseCLIPImageProcessor(**crop), tokenizer=tokenizer)
    else:
        raise ValueError(f"no tiny {family}")
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
