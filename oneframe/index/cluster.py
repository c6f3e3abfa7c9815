"""Reaching Ray: the one place that starts or joins it, for ingest tasks and shard actors.

An address is ``local`` (a Ray instance started in this process, gone with it), ``auto`` (the
cluster this node belongs to) or ``ray://HEAD:10001`` (a remote one, through Ray Client). The
workers get this ``oneframe`` package and the driver's variables that choose models, caches
and precision, so a cluster runs the same code with the same settings.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import warnings
from pathlib import Path
from typing import Any

from oneframe.core.errors import OneframeError
from oneframe.core.extras import how_to_install
from oneframe.library.folders import LIBRARY_ENV, Library

FORWARDED_ENV = ("ONEFRAME_", "HF_", "TRANSFORMERS_", "ONEDNN_", "ATEN_", "OMP_NUM_THREADS")
"""Environment variables a Ray worker is given from the driver (models, caches, precision)."""
NAMESPACE = "oneframe"
"""Ray namespace of oneframe's named actors (the shard servers)."""


def runtime_env(library: Library) -> dict[str, Any]:
    """What a Ray worker needs from the driver: this oneframe package (so a cluster runs the
    same code) and the variables that choose models, caches and precision."""
    env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV)}
    env[LIBRARY_ENV] = str(library.root)
    return {"env_vars": env, "py_modules": [str(Path(__file__).parents[1])]}  # oneframe/


def ray_module() -> Any:
    """Ray, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise OneframeError(f"Ray is not installed here: {how_to_install('cluster')}; or "
                            "unset ONEFRAME_RAY_ADDRESS / leave out --ray.") from exc
    return ray


def join(address: str, library: Library) -> bool:
    """Start or join Ray at ``address`` for ``library`` where this process has not yet;
    whether it did (its caller then shuts it down when done). A clear error where the
    cluster can't be reached."""
    if address == "local" and "ray" not in sys.modules and not os.environ.get("RAY_AUTH_MODE"):
        # Ray's processes listen on every interface: on a server, a token of this process's
        # own keeps anyone who can reach the machine from running code in them (read by Ray
        # when it is imported)
        os.environ |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    ray = ray_module()
    if ray.is_initialized():
        return False
    try:
        with warnings.catch_warnings():  # Ray forks only to exec its own processes at once
            warnings.filterwarnings("ignore", "lancedb fork support", RuntimeWarning)
            ray.init(address="local" if address == "local" else address,
                     include_dashboard=False, namespace=NAMESPACE,
                     runtime_env=runtime_env(library), logging_level=logging.ERROR,
                     log_to_driver=False)
    except Exception as exc:
        raise OneframeError(f"Cannot reach the Ray cluster at {address}: {exc}. Check the "
                            "address (ray://HEAD:10001, or auto on a cluster node), or use "
                            "local.") from exc
    return True
