"""A CLIP checkpoint written as transformers.js publishes one on the Hub (its towers apart, with
their projections, as ``onnx/vision_model.onnx`` and ``onnx/text_model.onnx`` beside the
configuration and tokenizer files), by torch: for the tests and the benchmarks, which can't
reach the Hub."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def export(module: Any, inputs: dict[str, Any], outputs: list[str], path: Path) -> None:
    """``module`` traced to ONNX at ``path``, batch and token counts left free."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    axes = {name: {0: "batch"} if name == "pixel_values" else {0: "batch", 1: "tokens"}
            for name in inputs}
    torch.onnx.export(module, tuple(inputs.values()), str(path), input_names=list(inputs),
                      output_names=outputs, dynamic_axes=axes, opset_version=17, dynamo=False)


def publish_clip(checkpoint: Path, folder: Path) -> Path:
    """Write ``checkpoint`` (a CLIP) into ``folder`` in the published layout."""
    import torch
    from transformers import AutoProcessor, CLIPModel

    folder.mkdir(parents=True, exist_ok=True)
    processor = AutoProcessor.from_pretrained(checkpoint)
    processor.save_pretrained(folder)
    shutil.copy(checkpoint / "config.json", folder / "config.json")
    model = CLIPModel.from_pretrained(checkpoint).eval()
    side = int(model.config.vision_config.image_size)

    class Tower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = model  # its weights are the graph's parameters

    class Vision(Tower):  # CLIPVisionModelWithProjection's outputs
        def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
            out = self.clip.vision_model(pixel_values=pixel_values)
            return self.clip.visual_projection(out.pooler_output), out.last_hidden_state

    class Text(Tower):  # CLIPTextModelWithProjection's
        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    ) -> tuple[torch.Tensor, ...]:
            out = self.clip.text_model(input_ids=input_ids, attention_mask=attention_mask)
            return self.clip.text_projection(out.pooler_output), out.last_hidden_state

    tokens = processor.tokenizer(["a cat", "two people talking"], padding=True,
                                 return_tensors="pt")
    with torch.no_grad():
        export(Vision().eval(), {"pixel_values": torch.zeros(2, 3, side, side)},
               ["image_embeds", "last_hidden_state"], folder / "onnx" / "vision_model.onnx")
        export(Text().eval(), {"input_ids": tokens["input_ids"],
                               "attention_mask": tokens["attention_mask"]},
               ["text_embeds", "last_hidden_state"], folder / "onnx" / "text_model.onnx")
    return folder


def publish_sentences(checkpoint: Path, folder: Path) -> Path:
    """Write a sentence-transformers ``checkpoint`` into ``folder`` as its Hub repo publishes
    it: ``onnx/model.onnx`` giving the token vectors, beside the checkpoint's other files."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    shutil.copytree(checkpoint, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    model = AutoModel.from_pretrained(checkpoint).eval()
    tokens = AutoTokenizer.from_pretrained(checkpoint)(["a", "two words"], padding=True,
                                                       return_tensors="pt")

    class Bert(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    with torch.no_grad():
        export(Bert().eval(), {k: tokens[k] for k in ("input_ids", "attention_mask",
                                                      "token_type_ids")},
               ["last_hidden_state"], folder / "onnx" / "model.onnx")
    return folder
