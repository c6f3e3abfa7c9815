"""The locks: every package at one version, with hashes, and this venv built from them."""

from __future__ import annotations

import re
from importlib import metadata

from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    blocks = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)",
                        text, re.M)
    assert len(blocks) == len(re.findall(r"^[A-Za-z0-9_.-]+==", text, re.M)), "a pin lacks hashes"
    return {canonicalize_name(n): v for n, v, _ in blocks}


def inputs(name: str) -> list[Requirement]:
    lines = (ROOT / name).read_text().splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


EXTRAS = {"export": {"transformers", "onnx"}, "speech": {"faster-whisper", "ctranslate2"},
          "large": {"lancedb"}, "cluster": {"ray"}}
"""Each extra's lock and what it must add to the app's (torch is installed from its pin)."""


def test_the_locks_pin_every_input_with_hashes_and_agree() -> None:
    app, dev, nodeps = (pins(f) for f in (
        "requirements.lock", "requirements-dev.lock", "requirements-nodeps.lock"))
    extras = {extra: pins(f"requirements-{extra}.lock") for extra in EXTRAS}
    for added in [app, *extras.values()]:
        assert all(dev.get(name) == version for name, version in added.items())
    # the app's lock runs without any extra; each extra's lock adds it, and only to the app's
    assert not set().union(*EXTRAS.values(), {"torch"}) & set(app)
    for extra, names in EXTRAS.items():
        assert names <= set(extras[extra]) and not set(app) & set(extras[extra])
    extra_inputs = [r for extra in EXTRAS for r in inputs(f"requirements-{extra}.txt")]
    for requirement in (inputs("requirements.txt") + extra_inputs
                        + inputs("requirements-dev.txt")):
        name = canonicalize_name(requirement.name)
        if name == "torch":  # installed from its pin, a local CPU build where there is one
            continue
        assert name in dev and requirement.specifier.contains(dev[name], prereleases=True)
    for requirement in inputs("requirements-nodeps.txt"):
        assert nodeps[canonicalize_name(requirement.name)] in requirement.specifier


def test_this_venv_is_the_locked_one() -> None:
    locked = {**pins("requirements-dev.lock"), **pins("requirements-nodeps.lock")}
    installed = {canonicalize_name(d.metadata["Name"]): d.version
                 for d in metadata.distributions()}
    assert {n: installed.get(n) for n in locked} == locked
    [torch] = [r for r in inputs("requirements-export.txt") if r.name == "torch"]
    assert installed["torch"].split("+")[0] in torch.specifier


def test_the_package_declares_what_requirements_txt_lists() -> None:
    """pyproject.toml's dependencies and extras are requirements.txt's list and the extras',
    split by need."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(r).name): Requirement(r)
                for group in [project["dependencies"],
                              *project["optional-dependencies"].values()] for r in group}
    listed = {canonicalize_name(r.name): r for r in inputs("requirements.txt")
              + [r for extra in EXTRAS for r in inputs(f"requirements-{extra}.txt")]}
    for extra in EXTRAS:
        assert {canonicalize_name(Requirement(r).name) for r in
                project["optional-dependencies"][extra]} == {
            canonicalize_name(r.name) for r in inputs(f"requirements-{extra}.txt")}
    assert set(declared) == set(listed)
    assert all(str(declared[n].specifier) == str(listed[n].specifier) for n in listed)
    assert project["scripts"]["oneframe"] == "oneframe.cli.main:main"


def test_make_run_after_make_test_installs_nothing() -> None:
    """Tried as a user: `make run` after `make test` reinstalled the speech and large extras."""
    import subprocess

    import pytest

    if not (ROOT / ".venv" / ".requirements-dev").is_file():
        pytest.skip("this venv was not set up by `make test` (no .venv/.requirements-dev)")
    planned = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60).stdout
    assert "pip" not in planned and "streamlit run Home.py" in planned, planned
