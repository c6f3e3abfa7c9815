"""``oneframe model export SOURCE DIR``: a checkpoint made into an ONNX model folder, which
ONNX Runtime runs without torch or transformers (``ONEFRAME_MODEL``, ``ONEFRAME_DIALOG_MODEL``
or ``--model`` may name it)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from oneframe.core.errors import ModelError, OneframeError


def add_parser(sub: Any) -> None:
    """The ``model`` command and its ``export``."""
    p = sub.add_parser("model", help="make model folders that run without torch")
    kinds = p.add_subparsers(dest="action", required=True)
    k = kinds.add_parser("export", help="export a checkpoint (a hub id or a folder) to an ONNX "
                         "model folder (needs the export extra: torch, transformers, onnx)")
    k.add_argument("source", metavar="SOURCE", help="a hub id or a checkpoint folder")
    k.add_argument("folder", metavar="DIR", help="a new folder to write it to")
    k.add_argument("--kind", choices=("picture", "dialogue"),
                   help="picture (an image-text model such as CLIP or SigLIP) or dialogue (a "
                   "sentence model); default: what the checkpoint is")
    k.set_defaults(func=export_model)


def export_model(args: argparse.Namespace) -> int:
    folder = Path(args.folder).expanduser()
    if folder.exists() and any(folder.iterdir()):
        raise OneframeError(f"{folder} already exists and is not empty: name a new folder.")
    if folder.exists():
        folder.rmdir()
    try:
        from oneframe.encoders.onnx_export import export_model as export
    except ImportError as exc:  # torch or onnx not installed
        raise ModelError(_needs_extra()) from exc
    from oneframe.encoders.onnx_export import SAY

    kind = {"picture": "dual", "dialogue": "sentences", None: None}[args.kind]
    started = time.perf_counter()

    def say(step: str) -> None:  # what it is doing, for the half minute it takes
        print(f"{time.perf_counter() - started:5.1f} s  {step}", file=sys.stderr, flush=True)

    SAY.set(say)
    try:
        made = export(args.source, folder, kind)
    except ImportError as exc:
        raise ModelError(_needs_extra()) from exc
    except Exception as exc:
        raise ModelError(f"Could not export '{args.source}': {str(exc).strip().splitlines()[0]}"
                         if str(exc).strip() else f"Could not export '{args.source}'.") from exc
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    say(f"done: {size / 1e6:,.0f} MB written")
    print(f"{folder}\t{'picture' if made == 'dual' else 'dialogue'} model, ONNX")
    return 0


def _needs_extra() -> str:
    return ("Exporting needs torch, transformers and onnx (the export extra): `pip install -e "
            "'.[export]'` in the project's venv, or `make test`, which installs them.")
