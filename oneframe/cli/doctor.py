"""``oneframe doctor``: what this installation can do, and why not where it can't.

Each check says what it found, where from, and what to do; the pages' messages for operators
point here. It loads the models it names (a few seconds): a model that can't load says why,
with the setting that names it. Exit status 1 where something essential fails (the library
can't be read, the picture model can't load)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from oneframe.core.errors import OneframeError

OK, BAD, NOTE = "ok", "bad", "note"


@dataclass
class Check:
    """One thing looked at: its section, what it is, how it stands, what was found."""

    section: str
    name: str
    state: str
    says: str
    essential: bool = False


def add_parser(sub: Any) -> None:
    p = sub.add_parser("doctor", help="say what this installation can do, and why not",
                       description="Check the installation: the extras installed, the "
                       "models (loaded to be sure), the CPU and the precision chosen, "
                       "PyAV's codecs, the library and its store, and every ONEFRAME_* "
                       "setting in force with where it came from.")
    p.add_argument("--json", action="store_true", help="one JSON object per check")
    p.add_argument("--quick", action="store_true", help="don't load the models")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    checks: list[Check] = []
    for look in (_install, _cpu, _media, _library, _settings):
        checks += look()
    if not args.quick:
        checks += _models()
    if args.json:
        for check in checks:
            print(json.dumps(asdict(check), ensure_ascii=False))
    else:
        mark = {OK: "ok ", BAD: "NO ", NOTE: " · "}
        section = ""
        for check in checks:
            if check.section != section:
                section = check.section
                print(f"\n{section}")
            print(f"  {mark[check.state]} {check.name}: {check.says}")
    return 1 if any(c.state == BAD and c.essential for c in checks) else 0


def _install() -> list[Check]:
    from oneframe.core.extras import EXTRAS, how_to_install

    needs = {"speech": ["faster_whisper"], "large": ["lancedb"], "cluster": ["ray"],
             "export": ["torch", "transformers", "onnx"]}
    does = {"speech": "transcribes videos without captions",
            "large": "searches a library of more than 24 videos through its store",
            "cluster": "ingest-many --ray",
            "export": "oneframe model export, checkpoints without a published ONNX export"}
    out = [Check("Installation", "oneframe", OK, f"Python {platform.python_version()} on "
                 f"{platform.system()} {platform.machine()} ({sys.executable})")]
    for extra in EXTRAS:
        found = all(importlib.util.find_spec(name) for name in needs[extra])
        out.append(Check("Installation", f"the {extra} extra", OK if found else NOTE,
                         does[extra] if found else f"not installed; it {does[extra]}: "
                         f"{how_to_install(extra)}"))
    return out


def _cpu() -> list[Check]:
    from oneframe.encoders.precision import choose, cpu_kernels, quantisation

    chosen = choose("cpu")
    return [Check("CPU", "kernels", OK, f"{os.cpu_count()} cores; may use "
                  f"{cpu_kernels().describe()}"),
            Check("CPU", "precision", OK, chosen + (f" (ONNX Runtime weights "
                                                     f"{quantisation()})"
                                                     if chosen.startswith("int8") else ""))]


def _media() -> list[Check]:
    import av

    versions = ", ".join(f"{name} {'.'.join(map(str, v))}"
                         for name, v in sorted(av.library_versions.items())[:3])
    out = [Check("Media", "PyAV", OK, f"{av.__version__} ({versions}…)")]
    for codec, writes, use in (("h264", False, "decoding H.264 videos"),
                               ("libx264", True, "encoding clips and supercuts"),
                               ("aac", True, "the sound of clips"),
                               ("mov_text", True, "subtitles in MP4 and MOV clips"),
                               ("ass", True, "subtitles in Matroska clips")):
        try:
            av.codec.Codec(codec, "w" if writes else "r")
            out.append(Check("Media", codec, OK, use))
        except Exception as exc:  # noqa: BLE001 - a build without it says so
            out.append(Check("Media", codec, BAD, f"missing ({type(exc).__name__}): no {use}",
                             essential=codec == "h264"))
    return out


def _library() -> list[Check]:
    from oneframe.index.store import has_store, store_uri
    from oneframe.library.folders import Library

    try:
        library = Library()
        scan = library.scan()
    except OneframeError as exc:
        return [Check("Library", "folder", BAD, str(exc), essential=True)]
    where = next((p for p in (library.root, *library.root.parents) if p.exists()), None)
    free = shutil.disk_usage(where).free / 1e9 if where else 0.0
    out = [Check("Library", "folder", OK, f"{library.root}"
                 + ("" if library.root.exists() else " (not made yet)")
                 + f": {len(scan.records)} videos, {free:,.1f} GB free")]
    for damaged in [*scan.damaged, *scan.newer]:
        out.append(Check("Library", "entry", BAD, str(damaged)))
    if not has_store(library):
        out.append(Check("Library", "store", NOTE, "none yet (made at the first search of a "
                         "library of more than 24 videos)"))
        return out
    try:
        from oneframe.index.store import stores_of

        stores = stores_of(library)
        ready = [v for store in stores for v in store.ready()]
        behind = len(scan.records) - len(ready)
        split = f" in {len(stores)} shards" if len(stores) > 1 else ""
        out.append(Check("Library", "store", OK if not behind else NOTE,
                         f"{store_uri(library)}: {len(ready)} videos ready{split}" + (
                             f", {behind} not yet (synced at the next search, or `oneframe "
                             "store sync`)" if behind else "")))
    except ImportError:
        out.append(Check("Library", "store", NOTE, f"{store_uri(library)} is there, but "
                         "LanceDB is not installed to read it"))
    except Exception as exc:  # noqa: BLE001 - a damaged store is a finding, not a crash
        out.append(Check("Library", "store", BAD, f"{store_uri(library)} can't be read "
                         f"({type(exc).__name__}: {str(exc)[:200]}); `oneframe store rebuild` "
                         "makes it again from the folders"))
    return out


def _settings() -> list[Check]:
    from oneframe.core.settings import SETTINGS

    return [Check("Settings", name, NOTE, f"{os.environ[name]!r} (from the environment)"
                  if os.environ.get(name, "").strip() else f"default: {about}")
            for name, about in SETTINGS.items()]


def _models() -> list[Check]:
    from oneframe.core import settings
    from oneframe.dialogue.speech import load_transcriber, resolve_speech_model
    from oneframe.encoders.dual import load_encoder, resolve_model
    from oneframe.encoders.sentences import (
        load_sentence_encoder,
        multilingual_dialog_model,
        resolve_dialog_model,
    )

    def where(env: str) -> str:
        return f"set by {env}" if settings.text(env) else f"the default; {env} overrides it"

    tried: list[tuple[str, str, str, Callable[[], Any], bool]] = [
        ("picture model", resolve_model(), settings.MODEL, load_encoder, True),
        ("dialogue model", resolve_dialog_model(), settings.DIALOG_MODEL,
         load_sentence_encoder, False),
        ("dialogue model, other languages", multilingual_dialog_model(),
         settings.DIALOG_MODEL_MULTILINGUAL,
         lambda: load_sentence_encoder(multilingual_dialog_model()), False)]
    if importlib.util.find_spec("faster_whisper"):
        tried.append(("speech model", resolve_speech_model(), settings.SPEECH_MODEL,
                      load_transcriber, False))
    out = []
    for name, model, env, load, essential in tried:
        started = time.perf_counter()
        try:
            loaded = load()
        except OneframeError as exc:
            out.append(Check("Models", name, BAD, f"{model} ({where(env)}): {exc}", essential))
            continue
        precision = getattr(loaded, "precision", "")
        out.append(Check("Models", name, OK, f"{model} ({where(env)}), loaded in "
                         f"{time.perf_counter() - started:.1f} s"
                         + (f", {precision}" if precision else "")))
    return out
