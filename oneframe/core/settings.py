"""Numeric ONEFRAME_* settings, read when used and checked: a bad value is one clear error that
names the variable and what it may be, never an exception at import."""

from __future__ import annotations

import math
import os

from oneframe.core.errors import OneframeError


class SettingError(OneframeError):
    """An ONEFRAME_* variable holds a value oneframe can't use."""


def number(name: str, default: float, *, minimum: float = 0.0, integer: bool = False,
           above: bool = True) -> float:
    """``$name`` as a number (``default`` where unset or empty), which must be more than
    ``minimum`` (or at least it, with ``above`` False); SettingError otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    kind = "a whole number" if integer else "a number"
    bound = f"{'more than' if above else 'at least'} {minimum:g}"
    try:
        value = float(raw) if not integer else float(int(raw))
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not {kind}: set it to {kind} {bound}, or unset "
                           f"it for the default ({default:g}).") from None
    if not math.isfinite(value) or value < minimum or (above and value == minimum):
        raise SettingError(f"{name}={raw!r} is out of range: set it to {kind} {bound}, or unset "
                           f"it for the default ({default:g}).")
    return int(value) if integer else value
