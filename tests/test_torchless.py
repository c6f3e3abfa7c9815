"""The app without torch: ONNX model folders made by `oneframe model export`, run by ONNX
Runtime alone, with every extra blocked from import (torch, transformers, onnx, faster-whisper,
LanceDB, Ray), as in a venv made from the app's lock, which has none of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SENTENCE_MODEL, WITHOUT_TORCH, needs_sentence_model
from media import SCENES, write_video

pytestmark = pytest.mark.skipif(WITHOUT_TORCH, reason="this test makes the exports with torch")
BLOCKED = """
import importlib.abc, sys
class WithoutTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named '{name}'", name=name)
BLOCKED = ("torch", "transformers", "onnx", "faster_whisper", "ctranslate2", "lancedb", "ray")
sys.meta_path.insert(0, WithoutTorch())
from oneframe.cli.main import main
code = main(sys.argv[1:])
assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
sys.exit(code)
"""


def oneframe(*argv: str, env: dict[str, str], blocked: bool = False,
             ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", BLOCKED, *argv] if blocked else \
        [sys.executable, "-m", "oneframe", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=env)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> dict[str, Path]:
    """The tiny CLIP and the packaged sentence model, each made an ONNX model folder by the
    command a user runs."""
    folder = tmp_path_factory.mktemp("models")
    env = os.environ | {"ONEFRAME_CACHE": str(folder / "cache")}
    made = {"picture": folder / "picture", "dialogue": folder / "dialogue"}
    run = oneframe("model", "export", str(tiny_model_dir), str(made["picture"]), env=env)
    assert run.returncode == 0 and "picture model, ONNX" in run.stdout, run.stderr
    # tried as a user: it ran half a minute in silence; each step is said as it starts
    assert "loading the checkpoint" in run.stderr and "image: tracing the graph" in run.stderr
    assert "MB written" in run.stderr
    if SENTENCE_MODEL is not None:
        run = oneframe("model", "export", str(SENTENCE_MODEL), str(made["dialogue"]),
                       "--kind", "dialogue", env=env)
        assert run.returncode == 0 and "dialogue model, ONNX" in run.stdout, run.stderr
    return made


@pytest.mark.slow
@needs_sentence_model
def test_ingest_and_search_run_from_onnx_model_folders_without_torch(
        exported: dict[str, Path], tmp_path: Path) -> None:
    assert {p.name for p in exported["picture"].iterdir()} >= {"meta.json", "image.onnx",
                                                              "text.onnx"}
    video = write_video(tmp_path / "Colours.mp4", SCENES)
    (tmp_path / "Colours.vtt").write_text("WEBVTT\n\n00:00:06.200 --> 00:00:08.500\n"
                                          "The blue door is locked from the inside.\n")
    env = os.environ | {"ONEFRAME_MODEL": str(exported["picture"]),
                        "ONEFRAME_DIALOG_MODEL": str(exported["dialogue"]),
                        "ONEFRAME_LIBRARY": str(tmp_path / "library"),
                        "ONEFRAME_CACHE": str(tmp_path / "empty-cache")}
    run = oneframe("ingest", str(video), "--ocr", "off", "--json", env=env, blocked=True)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["cues"] == 1 and record["frames"] >= 3
    run = oneframe("search", "the blue door was locked", "--visual-weight", "0", "--json",
                   env=env, blocked=True)
    assert run.returncode == 0, run.stderr
    [found] = [json.loads(line) for line in run.stdout.splitlines()]
    assert found["hits"][0]["start"] == 6.2
    run = oneframe("search", "a red scene", "--visual-weight", "1", env=env, blocked=True)
    assert run.returncode == 0, run.stderr  # the picture tower answers too
    # a checkpoint that would need exporting says what to install, not a traceback
    env["ONEFRAME_MODEL"] = str(SENTENCE_MODEL.parent)  # a folder, not an export
    run = oneframe("ingest", str(video), "--ocr", "off", env=env, blocked=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "export extra" in run.stderr or "config.json" in run.stderr, run.stderr


def test_an_export_into_a_folder_in_use_or_of_the_wrong_kind_is_refused(
        exported: dict[str, Path], tmp_path: Path) -> None:
    from oneframe.core.errors import ModelError
    from oneframe.encoders.dual import _load

    env = os.environ | {"ONEFRAME_CACHE": str(tmp_path / "cache")}
    run = oneframe("model", "export", "x/y", str(exported["picture"]), env=env)
    assert run.returncode == 1 and "not empty" in run.stderr
    if SENTENCE_MODEL is not None:
        with pytest.raises(ModelError, match="export of a sentences model"):
            _load(str(exported["dialogue"]))


PAGE_TESTS_THAT_RUN_MODELS = (
    "test_ingest_page_adds_an_uploaded_video_with_captions",
    "test_search_page_ranks_highlights_plays_and_exports",
    "test_search_by_a_frame_scores_no_dialogue",
    "test_a_nonsense_query_says_nothing_matched",
    "test_compare_page_marks_shared_hits",
    "test_burned_in_subtitles_through_the_pages",
    "test_moving_the_slider_encodes_nothing_again",
    "test_the_server_warms_models_and_index_before_the_first_search",
    "test_a_caption_language_other_than_english_points_to_siglip_2",
)
"""The page tests in which the picture and sentence models embed (adding, searching by text
and by a frame, comparing, reading burned-in text, warming): the rest of the pages' tests run
no model, so they are the same with or without torch and run once, in the main suite."""


@pytest.mark.slow
@needs_sentence_model
def test_the_pages_pass_their_tests_without_torch(exported: dict[str, Path]) -> None:
    env = os.environ | {"ONEFRAME_TEST_WITHOUT_TORCH": "1",
                        "ONEFRAME_TEST_PICTURE_MODEL": str(exported["picture"]),
                        "ONEFRAME_TEST_DIALOG_MODEL": str(exported["dialogue"])}
    tests = [f"tests/test_pages.py::{name}" for name in PAGE_TESTS_THAT_RUN_MODELS]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          *tests], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert f"{len(tests)} passed" in run.stdout.splitlines()[-1], run.stdout[-1000:]


@pytest.mark.parametrize("extra, missing", [("speech", "faster_whisper"), ("cluster", "ray")])
def test_a_missing_extra_says_which_and_how_to_install_it(
        extra: str, missing: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from oneframe.core.errors import OneframeError

    monkeypatch.setitem(sys.modules, missing, None)  # `import` of it raises ImportError
    with pytest.raises(OneframeError) as raised:
        if extra == "speech":
            from oneframe.dialogue.speech import _load

            _load(str(tmp_path))
        else:
            from oneframe.ingest.many import ingest_many
            from oneframe.library.folders import Library

            ingest_many([str(tmp_path / "a.mp4")], Library(tmp_path / "lib"), ray_address="local")
    assert f"install the {extra} extra" in str(raised.value)
    assert f"EXTRAS=\"speech large{'' if extra == 'speech' else ' ' + extra}\" make run" in str(
        raised.value)
