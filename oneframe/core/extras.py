"""The optional parts of the install (pyproject's extras, each with its own lock), and how a
message tells the user to add one."""

from __future__ import annotations

EXTRAS = {
    "export": "torch, transformers and onnx, about 1 GB",
    "speech": "faster-whisper, about 150 MB",
    "large": "LanceDB, about 185 MB",
    "cluster": "Ray, about 245 MB",
}
"""Each extra and what it installs."""
BY_DEFAULT = ("speech", "large")
"""The extras ``make run`` installs unless told otherwise (its ``EXTRAS``)."""


def how_to_install(extra: str) -> str:
    """The commands that add ``extra`` to this install, in a checkout and as a package."""
    wanted = " ".join(dict.fromkeys([*BY_DEFAULT, extra]))
    return (f"install the {extra} extra ({EXTRAS[extra]}): `EXTRAS=\"{wanted}\" make run` in a "
            f"checkout, or `pip install 'oneframe[{extra}]'`")
