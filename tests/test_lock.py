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


def test_the_locks_pin_every_input_with_hashes_and_agree() -> None:
    app, export, dev, nodeps = (pins(f) for f in (
        "requirements.lock", "requirements-export.lock", "requirements-dev.lock",
        "requirements-nodeps.lock"))
    assert all(dev.get(name) == version for name, version in (app | export).items())
    # the app's lock runs without the export extra; the extra's lock adds it, and only it
    assert not {"torch", "transformers", "onnx"} & set(app)
    assert {"transformers", "onnx"} <= set(export) and not set(app) & set(export)
    for requirement in (inputs("requirements.txt") + inputs("requirements-export.txt")
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
    """pyproject.toml's dependencies and extras are requirements.txt's list and the export
    extra's, split by need."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(r).name): Requirement(r)
                for group in [project["dependencies"],
                              *project["optional-dependencies"].values()] for r in group}
    listed = {canonicalize_name(r.name): r for r in inputs("requirements.txt")
              + inputs("requirements-export.txt")}
    assert set(declared) == set(listed)
    assert all(str(declared[n].specifier) == str(listed[n].specifier) for n in listed)
    assert project["scripts"]["oneframe"] == "oneframe.cli.main:main"
