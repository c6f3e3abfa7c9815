"""Ingest many sources: one after another here, or in parallel on Ray (a local instance or a
cluster), all into the same library and store.

Each source is one task: decode, caption and embed, then commit to the library, as a single
ingest does (a failure leaves the library as it was, and the other sources go on). Workers
write their own video's folder; the driver then brings the store in line and optimises it once.
The library must be a folder every worker can reach (one machine, or a shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from oneframe.core.errors import OneframeError
from oneframe.index.cluster import join, ray_module
from oneframe.ingest.options import IngestOptions
from oneframe.library.folders import Library


@dataclass(frozen=True)
class Outcome:
    """What became of one source: its library id, or the error that stopped it."""

    source: str
    video: str | None = None
    error: str | None = None
    outcome: str | None = None
    """The record's outcome (``added``, ``existing``, ``beside``...); None for an error."""
    message: str | None = None
    """What a plain add doesn't need saying (an entry there already, one added beside)."""
    node: str | None = None
    """The Ray node that ran it (its id); None where it ran here without Ray."""


def read_sources(path: str | Path) -> list[str]:
    """The sources listed in a text file, one a line; blank lines and ``#`` comments skipped,
    duplicates once."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OneframeError(f"Cannot read the list {path}: {exc}. Give a text file with one "
                            "URL or video file per line.") from exc
    lines = (line.strip() for line in text.splitlines())
    sources = list(dict.fromkeys(s for s in lines if s and not s.startswith("#")))
    if not sources:
        raise OneframeError(f"{path} lists no sources. Put one URL or video file a line.")
    return sources


def ingest_one(source: str, root: str, options: IngestOptions) -> Outcome:
    """Ingest one source into the library at ``root``; its outcome, never an exception."""
    from oneframe.ingest.pipeline import ingest, outcome_message

    try:
        record = ingest(source, options, library=Library(root))
    except OneframeError as exc:
        return Outcome(source, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one source's crash must not stop the others
        return Outcome(source, error=f"{type(exc).__name__}: {exc}")
    return Outcome(source, video=record.id, outcome=record.outcome,
                   message=outcome_message(record))


Work = Callable[[str, str, IngestOptions], Outcome]
"""What runs for one source: ``(source, library root, options) -> Outcome``."""


def ingest_many(sources: Iterable[str], library: Library, options: IngestOptions | None = None,
                ray_address: str | None = None, cpus: float = 1, gpus: float = 0,
                done: Callable[[Outcome], None] = lambda outcome: None,
                work: Work = ingest_one) -> list[Outcome]:
    """Ingest ``sources`` into ``library``, in the order they finish; ``done`` hears each.

    ``ray_address`` None runs them here one at a time; ``"local"`` starts a Ray instance on
    this machine; anything else is a cluster's address (``ray://head:10001`` or ``auto``).
    ``cpus`` and ``gpus`` are what each task asks Ray for. Every source ends added or with an
    error, a task whose workers all died included; the store is brought in line however the
    tasks ended.
    """
    sources, options = list(sources), options or IngestOptions()
    outcomes: list[Outcome] = []
    try:
        if ray_address is None:
            for source in sources:
                outcomes.append(work(source, str(library.root), options))
                done(outcomes[-1])
        else:
            outcomes = _on_ray(sources, library, options, ray_address, cpus, gpus, done, work)
    finally:
        _settle_store(library)
    return outcomes


def _on_ray(sources: list[str], library: Library, options: IngestOptions, address: str,
            cpus: float, gpus: float, done: Callable[[Outcome], None],
            work: Work) -> list[Outcome]:
    ray = ray_module()
    started_here = join(address, library)
    try:
        task = ray.remote(_on_its_node(work)).options(num_cpus=cpus, num_gpus=gpus,
                                                      max_retries=RETRIES)
        source_of = {task.remote(source, str(library.root), options): source
                     for source in sources}
        pending, outcomes = list(source_of), []
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            try:
                outcome = ray.get(finished[0])
            except Exception as exc:  # noqa: BLE001 - its workers died, or Ray failed it
                outcome = Outcome(source_of[finished[0]], error=_task_failure(
                    source_of[finished[0]], exc))
            outcomes.append(outcome)
            done(outcome)
        return outcomes
    finally:
        if started_here:
            ray.shutdown()


def _on_its_node(work: Work) -> Work:
    """``work`` whose outcome says which Ray node ran it."""

    def run(source: str, root: str, options: IngestOptions) -> Outcome:
        import dataclasses

        import ray

        outcome = work(source, root, options)
        return dataclasses.replace(outcome, node=ray.get_runtime_context().get_node_id())

    return run


RETRIES = 1
"""Tries a task is given again on another worker after its worker dies."""


def _task_failure(source: str, exc: BaseException) -> str:
    """What to say of a source whose Ray task ended without an outcome."""
    if "WorkerCrashed" in type(exc).__name__ or "NodeDied" in type(exc).__name__:
        return (f"{source}: the Ray worker adding it died on all {RETRIES + 1} tries "
                f"({type(exc).__name__}), so nothing was added; add it again (a worker killed "
                "for memory wants a larger node).")
    first = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else ""
    return (f"{source}: its Ray task failed ({type(exc).__name__}: {first}), so nothing was "
            "added.")


def _settle_store(library: Library) -> None:
    """Clear what dead workers left (staging folders whose owner is gone), bring the
    library's store (where it has one) in line with the new videos, and compact and index it
    once for all of them."""
    from oneframe.index.store import has_store, stores_of

    library.sweep()
    if has_store(library):
        for store in stores_of(library):
            store.sync()
            store.optimise()
