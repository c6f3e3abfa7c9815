"""Where a visitor's source comes in: the serving policy is checked here, once, for an add.

:func:`admit` checks the source; the :class:`Door` it gives guards the network while the
source is probed and fetched, and says once whether a caption file beside a local video may be
read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oneframe.sources.netguard import guarded
from oneframe.sources.policy import ServePolicy
from oneframe.sources.probe import Probe, find_sidecar


@dataclass(frozen=True)
class Door:
    """A source let in, and what the policy (None: the command line's user, anything) allows
    while it is added."""

    source: str
    policy: ServePolicy | None = None

    @contextlib.contextmanager
    def network(self) -> Iterator[None]:
        """Connections made within go only where the policy allows."""
        with guarded(self.policy):
            yield

    def sidecar(self, found: Probe, lang: str) -> Path | None:
        """The caption file beside a local video (the language asked first) that the policy
        lets this add read; None for a link, or where there is none."""
        if found.path is None:
            return None
        sidecar = find_sidecar(found.path, lang)
        if sidecar is None or (self.policy is not None and not self.policy.allows_path(sidecar)):
            return None
        return sidecar


def admit(source: str, policy: ServePolicy | None) -> Door:
    """``source`` let in by ``policy`` (a SourceError saying why not, and what to do)."""
    return Door(policy.check_source(source) if policy is not None else source, policy)
