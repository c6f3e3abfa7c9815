"""The command line's arguments: a usage error says what is wrong at once and exits 2."""

from __future__ import annotations

import pytest

from oneframe import cli, fusion


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
    import oneframe.ingest

    monkeypatch.setattr(oneframe.ingest, "ingest", lambda *a, **k: pytest.fail("ingest ran"))
    with pytest.raises(SystemExit) as exited:
        cli.main(["ingest", "clip.mp4", "--captions", str(tmp_path)])
    assert exited.value.code == 2 and "is a folder; give a file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["ingest", "clip.mp4", "--cookies", str(tmp_path / "cookies.txt")])
    assert "cookies.txt does not exist" in capsys.readouterr().err


def test_the_cli_floor_is_the_core_floor() -> None:
    assert cli.MIN_SCORE == fusion.MIN_SCORE
