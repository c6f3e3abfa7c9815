"""MkDocs hooks: the reference pages generated from the code, so that they can't drift from it.

``mkdocs.yml`` names this file under ``hooks:``. Two markers are replaced as a page is read:

``<!-- oneframe:cli -->``       the command line, from ``oneframe.cli.main.build_parser()``:
                                every command and sub-command, its usage and its arguments;
``<!-- oneframe:settings -->``  every ``ONEFRAME_*`` setting, from
                                ``oneframe.core.settings.SETTINGS``.

The generators are plain functions (:func:`cli_reference`, :func:`settings_reference`), so a test
can import this file and call them.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLI_MARKER = "<!-- oneframe:cli -->"
SETTINGS_MARKER = "<!-- oneframe:settings -->"
USAGE_WIDTH = 72
"""Columns the usage lines are wrapped at (fixed, so the page doesn't depend on the terminal)."""


def _escape(text: str) -> str:
    """``text`` made safe inside a Markdown table cell: pipes escaped everywhere; outside code
    spans, ``<``, ``>`` and ``*`` too (so ``<library>`` or ``ONEFRAME_*`` stay as written)."""
    parts = re.split(r"(`[^`]*`)", " ".join(text.split()))
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(part.replace("|", r"\|"))
        else:
            out.append(part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                       .replace("*", r"\*").replace("|", r"\|"))
    return "".join(out)


def _code(text: str) -> str:
    """``text`` as an inline code span (pipes escaped for a table)."""
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", r"\|")


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, Any]]:
    """``(name, help, parser)`` of each sub-command of ``parser``, in the order they were
    added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name, ""), sub


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(prog=parser.prog, width=USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups,
                        prefix="")
    return formatter.format_help().strip()


def _help(action: argparse.Action, parser: argparse.ArgumentParser) -> str:
    """The action's help with argparse's ``%(default)s`` and the like filled in."""
    text = action.help or ""
    if "%" not in text:
        return text
    params = {**vars(action), "prog": parser.prog}
    params = {k: getattr(v, "__name__", v) for k, v in params.items()}
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return text


def _value(action: argparse.Action, parser: argparse.ArgumentParser) -> str:
    """What the argument takes: its choices, its metavar, how many, or nothing (a switch)."""
    if action.nargs == 0:
        return "switch"
    if not action.option_strings and action.choices is None:  # a positional: how many
        return {"?": "optional", "*": "any number", "+": "one or more"}.get(
            str(action.nargs), "")
    if action.choices is not None:
        return "one of " + ", ".join(_code(str(c)) for c in action.choices)
    formatter = parser.formatter_class(prog=parser.prog)
    if action.option_strings:
        metavar = formatter._get_default_metavar_for_optional(action)
    else:
        metavar = formatter._get_default_metavar_for_positional(action)
    shown = formatter._format_args(action, metavar)
    return _code(shown)


def _default(action: argparse.Action) -> str:
    if action.required and action.option_strings:
        return "required"
    if action.nargs == 0:  # a switch: off unless given
        return ""
    default = action.default
    if default is None or default is argparse.SUPPRESS:
        return ""
    if isinstance(default, (list, tuple)) and not default:
        return ""
    return _code(str(default))


def _arguments_table(parser: argparse.ArgumentParser) -> str:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = ", ".join(action.option_strings) if action.option_strings else \
            (action.metavar if isinstance(action.metavar, str) else action.dest)
        rows.append(f"| {_code(name)} | {_value(action, parser)} | {_default(action)} | "
                    f"{_escape(_help(action, parser))} |")
    if not rows:
        return ""
    return "\n".join(["| Argument | Takes | Default | What it does |",
                      "|---|---|---|---|", *rows])


def _anchor(title: str) -> str:
    """The id MkDocs's table of contents gives a heading of plain words and hyphens."""
    return re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", title).strip().lower())


def _section(parser: argparse.ArgumentParser, title: str, help_text: str, depth: int) -> str:
    level = "#" * max(2, depth + 1)
    out = [f"{level} {title}", ""]
    said = [t.strip() for t in (help_text, parser.description or "") if t and t.strip()]
    if len(said) == 2 and said[1].lower().startswith(said[0].lower().rstrip(".")):
        said = said[1:]  # the description only says the help at more length
    for text in said:
        text = text[0].upper() + text[1:]
        out += [_escape(text if text.endswith((".", ")", "?")) else text + "."), ""]
    out += ["```text", _usage(parser), "```", ""]
    table = _arguments_table(parser)
    if table:
        out += [table, ""]
    subs = list(_subcommands(parser))
    if subs:
        out += ["Commands:", ""]
        for name, sub_help, _ in subs:
            sub_title = f"{title} {name}"
            out.append(f"- [`{sub_title}`](#{_anchor(sub_title)}): {_escape(sub_help)}")
        out.append("")
    return "\n".join(out)


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """The whole command line as Markdown: a section for ``parser`` (default, oneframe's own)
    and one for every sub-command, walked recursively (``export clip``, ``model export``)."""
    if parser is None:
        from oneframe.cli.main import build_parser

        parser = build_parser()
    sections = []

    def walk(p: argparse.ArgumentParser, title: str, help_text: str, depth: int) -> None:
        sections.append(_section(p, title, help_text, depth))
        for name, sub_help, sub in _subcommands(p):
            walk(sub, f"{title} {name}", sub_help, depth + 1)

    walk(parser, parser.prog, "", 0)
    return "\n".join(sections).rstrip() + "\n"


def settings_reference() -> str:
    """Every ``ONEFRAME_*`` setting as a Markdown table, in the order ``SETTINGS`` lists
    them."""
    from oneframe.core.settings import SETTINGS

    rows = [f"| {_code(name)} | {_escape(what)} |" for name, what in SETTINGS.items()]
    return "\n".join(["| Variable | What it sets (default in parentheses) |", "|---|---|",
                      *rows]) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any, **kwargs: Any) -> str:
    """MkDocs's hook: the markers replaced by what the code says today."""
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if SETTINGS_MARKER in markdown:
        markdown = markdown.replace(SETTINGS_MARKER, settings_reference())
    return markdown
