"""The docs' reference pages are generated from the code (docs/hooks.py): every command, every
option and every setting is on them, so they can't drift."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from oneframe.cli.main import build_parser
from oneframe.core.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def every_option(parser: argparse.ArgumentParser, path: str = "oneframe"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from every_option(sub, f"{path} {name}")
        elif action.option_strings and action.dest != "help":
            yield path, max(action.option_strings, key=len)


def test_the_cli_page_holds_every_command_and_option() -> None:
    page = hooks().cli_reference(build_parser())
    options = list(every_option(build_parser()))
    assert len(options) > 40
    for command, option in options:
        assert command in page and option in page, (command, option)


def test_the_settings_page_holds_every_setting_in_order() -> None:
    page = hooks().settings_reference()
    places = [page.index(name) for name in SETTINGS]
    assert places == sorted(places)


def test_the_markers_are_replaced_as_the_site_is_built() -> None:
    module = hooks()
    cli = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert module.CLI_MARKER in cli
    built = module.on_page_markdown(cli, page=None, config=None, files=None)
    assert module.CLI_MARKER not in built and "--ocr-band" in built
