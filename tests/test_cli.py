"""The command line's arguments: a usage error says what is wrong at once and exits 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from oneframe.cli import main as cli
from oneframe.library.folders import Library


@pytest.mark.parametrize(("argv", "says"), [
    (["search", "a dog", "--top-k", "0"], "--top-k: must be 1 or more"),
    (["search", "a dog", "--top-k", "-3"], "--top-k: must be 1 or more"),
    (["search", "a dog", "--top-k", "two"], "'two' is not a whole number"),
    (["search", "a dog", "--min-gap", "-5"], "--min-gap: must be 0 seconds or more"),
    (["search", "a dog", "--visual-weight", "2"], "--visual-weight: must be between 0 and 1"),
    (["search", "a dog", "--visual-weight", "nan"], "'nan' is not a finite number"),
    (["search", "a dog", "--min-score", "-0.1"], "--min-score: must be between 0 and 1"),
    (["search", "--image", "no-such.jpg"], "--image: no-such.jpg does not exist"),
    (["ingest", "clip.mp4", "--interval", "nan"], "'nan' is not a finite number"),
    (["ingest", "clip.mp4", "--interval", "0"], "--interval: must be more than 0 seconds"),
    (["ingest", "clip.mp4", "--interval", "inf"], "'inf' is not a finite number"),
    (["ingest", "clip.mp4", "--ocr-band", "0.9:0.2"], "need 0 <= TOP < BOTTOM <= 1"),
])
def test_usage_errors_exit_2_with_the_reason(argv: list[str], says: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2 and says in capsys.readouterr().err


def test_a_caption_folder_is_refused_before_any_work(tmp_path, capsys, monkeypatch) -> None:
    import oneframe.ingest.pipeline

    monkeypatch.setattr(oneframe.ingest.pipeline, "ingest",
                        lambda *a, **k: pytest.fail("ingest ran"))
    with pytest.raises(SystemExit) as exited:
        cli.main(["ingest", "clip.mp4", "--captions", str(tmp_path)])
    assert exited.value.code == 2 and "is a folder; give a file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["ingest", "clip.mp4", "--cookies", str(tmp_path / "cookies.txt")])
    assert "cookies.txt does not exist" in capsys.readouterr().err


def run_cli(*argv: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oneframe", *argv], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, **options)


def test_help_speaks_to_users_and_lists_every_caption_format() -> None:
    out = run_cli("--help").stdout + run_cli("ingest", "--help").stdout
    assert "thin face" not in out and "Find the exact frame" in out
    for name in ("WebVTT", "SRT", "SBV", "ASS/SSA", "TTML/DFXP", "SAMI", "MicroDVD", "MPL2"):
        assert name in out


def test_captions_of_several_files_name_each_and_stop_quietly_in_a_pipe(tmp_path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.srt").write_text("".join(
            f"{i}\n00:00:{i % 60:02d},000 --> 00:00:{i % 60:02d},500\nLine {name}{i}\n\n"
            for i in range(1, 3000)))
    run = run_cli("captions", str(tmp_path / "a.srt"), str(tmp_path / "b.srt"))
    assert run.stdout.startswith(f"==> {tmp_path / 'a.srt'} <==")
    assert f"==> {tmp_path / 'b.srt'} <==" in run.stdout
    piped = subprocess.run(f"{sys.executable} -m oneframe captions {tmp_path}/a.srt "
                           f"{tmp_path}/b.srt | head -2", shell=True, capture_output=True,
                           text=True, timeout=120, cwd=ROOT)
    assert len(piped.stdout.splitlines()) == 2 and "Traceback" not in piped.stderr
    assert "BrokenPipeError" not in piped.stderr


def test_a_bad_queries_line_is_a_usage_error(tmp_path) -> None:
    (tmp_path / "q.jsonl").write_text('{"query": "a dog"}\nnot json\n')
    run = run_cli("search", "--queries", str(tmp_path / "q.jsonl"))
    assert run.returncode == 2 and "line 2: not a JSON query line" in run.stderr


def test_a_local_file_shows_no_download_bar_and_a_damaged_entry_says_so(
        scene_video, tmp_path) -> None:
    run = run_cli("ingest", str(scene_video), "--speech", "off", "--ocr", "off")
    assert run.returncode == 0 and "download" not in run.stderr, run.stderr
    vid = run.stdout.strip()
    embeddings = Library().root / vid / "embeddings.npy"
    embeddings.write_bytes(embeddings.read_bytes()[:100])  # truncated
    assert vid in run_cli("list").stdout  # list reads manifests only
    run = run_cli("search", "the red scene", "--video", vid)
    assert run.returncode == 1 and f"The library entry '{vid}' is damaged" in run.stderr
    assert "library is empty" not in run.stderr and f"No video {vid}" not in run.stderr


def test_with_json_only_json_reaches_stdout() -> None:
    """Ray's "(raylet)" lines (written by its C++ parts, or printed) go to stderr."""
    code = ("import os, sys\nfrom oneframe.cli import main as cli\n"
            "with cli.json_only_on_stdout(True):\n"
            "    os.write(1, b'(raylet) a worker died\\n')\n    print('(raylet) printed')\n"
            "    cli._print_json({'source': 'a', 'id': 'x'})\nprint('after')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert run.stdout.splitlines() == ['{"source": "a", "id": "x"}', "after"]
    assert "(raylet) a worker died" in run.stderr and "(raylet) printed" in run.stderr


def test_the_oneframe_command_is_installed(tmp_path) -> None:
    """``oneframe ...`` (the package's console script) works as ``python -m oneframe`` does."""
    from pathlib import Path

    command = Path(sys.executable).parent / "oneframe"
    assert command.is_file(), "make installs the package (pip install -e .)"
    (tmp_path / "a.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello there\n")
    run = subprocess.run([str(command), "captions", str(tmp_path / "a.srt")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "Hello there" in run.stdout


@pytest.mark.slow
def test_what_a_new_user_met_on_the_command_line(tmp_path) -> None:
    """Tried as a user: --queries - and --queries <(...) were refused, `search` alone was a
    traceback-like exit 1, undecodable text a TypeError, and list/remove/store had no help."""
    run = run_cli("search")
    assert run.returncode == 2 and "Give a query" in run.stderr
    run = subprocess.run([sys.executable, "-m", "oneframe", "search", b"door \xff"],
                         capture_output=True, timeout=120, cwd=ROOT)
    assert run.returncode == 2 and b"not text" in run.stderr and b"Traceback" not in run.stderr
    run = run_cli("search", "--queries", "-", input='{"query": "a\\ud800b"}\n')
    assert run.returncode == 2 and "line 1" in run.stderr and "not text" in run.stderr
    run = run_cli("search", "x" * 501)
    assert run.returncode == 2 and "at most 500" in run.stderr
    empty = {"ONEFRAME_LIBRARY": str(tmp_path / "empty")}
    import os

    for how in ("-", "pipe"):
        argv = f"{sys.executable} -m oneframe search --queries " + (
            "- <<< '{\"query\": \"door\"}'" if how == "-" else
            "<(echo '{\"query\": \"door\"}')")
        run = subprocess.run(["bash", "-c", argv], capture_output=True, text=True,
                             timeout=120, cwd=ROOT, env={**os.environ, **empty})
        assert "library is empty" in run.stderr and "does not exist" not in run.stderr, how
    for command in ("list", "remove", "store"):
        helped = run_cli(command, "--help")
        assert helped.returncode == 0 and len(helped.stdout.split("\n\n")[1]) > 40, command


@pytest.mark.slow
def test_doctor_says_what_this_installation_can_do_and_why_not(tmp_path) -> None:
    import json
    import os

    env = {**os.environ, "ONEFRAME_LIBRARY": str(tmp_path / "lib")}
    run = subprocess.run([sys.executable, "-m", "oneframe", "doctor", "--json"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    checks = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 0, run.stderr
    found = {(c["section"], c["name"]): c for c in checks}
    assert found[("Models", "picture model")]["state"] == "ok"
    assert found[("Media", "libx264")]["state"] == "ok"
    assert found[("Settings", "ONEFRAME_LIBRARY")]["says"].endswith("(from the environment)")
    assert "may use" in found[("CPU", "kernels")]["says"]
    broken = {**env, "ONEFRAME_MODEL": str(tmp_path / "no-such-model")}
    run = subprocess.run([sys.executable, "-m", "oneframe", "doctor"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT, env=broken)
    assert run.returncode == 1 and "NO  picture model" in run.stdout
    assert "set by ONEFRAME_MODEL" in run.stdout and "Traceback" not in run.stderr
