"""Ingests queued to one background worker, so the app stays usable while they run.

A page submits a job and goes on; any later rerun, from any page, reads the job's progress.
Jobs run one at a time (two ingests on two cores only slow each other down). Cancelling makes
the job's next progress call raise, and the ingest unwinds as it does on any failure: the
library is left as it was.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oneframe.core.errors import OneframeError
from oneframe.core.progress import STOP, Progress, Stage

WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"
LOG = logging.getLogger("oneframe")


class IngestCancelled(OneframeError):
    """The user cancelled the ingest."""


@dataclass
class Job:
    """One queued job (an ingest, or an export) and what is known of it so far."""

    id: str
    label: str
    work: Callable[[Progress], Any] = field(repr=False)
    """What the job does; an ingest returns the VideoRecord added, an export the file made."""
    doing: str = "Adding the video"
    undone: str = "nothing was added"
    """What the job does and what a cancelled or failed one leaves, for its messages."""
    cleanup: Callable[[], None] | None = field(default=None, repr=False)
    state: str = WAITING
    stages: dict[Stage, tuple[int, int]] = field(default_factory=dict)
    latest: Stage | None = None
    record: Any = None
    """What the work returned, once done (a VideoRecord for an ingest)."""
    error: str | None = None
    details: str | None = None
    """What a failure's message leaves out: a tool's last warning; for a bug, the traceback
    (logged, not shown)."""
    bug: bool = False
    failure: OneframeError | None = field(default=None, repr=False)
    """The error a failed job ended with (a PlaylistLink names the videos it holds)."""
    on_done: Callable[[], None] | None = field(default=None, repr=False)
    """Called once the video is added, before the job shows as done."""
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED, CANCELLED)

    def snapshot(self) -> list[tuple[Stage, int, int]]:
        """``(stage, done, total)`` for each stage reported so far, in the order they began."""
        with self._lock:
            return [(stage, *counts) for stage, counts in self.stages.items()]

    @property
    def cancelling(self) -> bool:
        """Cancel was asked and the job has not stopped yet."""
        return self._cancel.is_set() and not self.finished

    def cancel(self) -> None:
        """Stop at the next progress report; a job still waiting never starts."""
        with self._lock:
            self._cancel.set()
            unstarted = self.state == WAITING
            if unstarted:
                self.error = f"Cancelled before it started; {self.undone}."
                self.state = CANCELLED
        if unstarted:
            self._clean()

    def progress(self, stage: Stage, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise IngestCancelled(f"Cancelled; {self.undone}.")
        with self._lock:
            self.stages[stage] = (done, total)
            self.latest = stage

    def run(self) -> None:
        with self._lock:
            if self.state != WAITING:
                return
            self.state = RUNNING
        token = STOP.set(self._stop)
        try:
            record = self.work(self.progress)
        except BaseException as exc:  # noqa: BLE001 - even SystemExit: a job never hangs "running"
            if self._cancel.is_set():  # however the cancel surfaced (yt-dlp wraps exceptions)
                self.error, self.state = f"Cancelled; {self.undone}.", CANCELLED
            elif isinstance(exc, OneframeError):
                self.error, self.details, self.failure = exc.for_visitor(), exc.details, exc
                if exc.visitor:  # what only the operator can act on goes to the log
                    LOG.warning("oneframe: adding %s failed: %s", self.label, exc)
                self.state = FAILED
            else:
                self.error = (f"{self.doing} failed unexpectedly ({type(exc).__name__}); "
                              f"{self.undone}.")
                self.details, self.bug, self.state = traceback.format_exc(), True, FAILED
                LOG.error("oneframe: adding %s failed:\n%s", self.label, self.details)
        else:
            if self.on_done is not None:
                self.on_done()
            self.record, self.state = record, DONE
        finally:
            STOP.reset(token)
            self._clean()

    def _stop(self) -> None:
        if self._cancel.is_set():
            raise IngestCancelled(f"Cancelled; {self.undone}.")

    def _clean(self) -> None:
        """Run the cleanup; one that fails is logged, and never stops the queue."""
        if self.cleanup is None:
            return
        try:
            self.cleanup()
        except Exception:
            LOG.exception("oneframe: cleaning up after %s failed", self.label)


class JobQueue:
    """Jobs in submission order, run one at a time by a daemon worker thread."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._pending: queue.Queue[Job] = queue.Queue()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.completed = 0
        """How many jobs have added a video; a cache key for library reads."""

    def submit(self, label: str, work: Callable[[Progress], Any],
               cleanup: Callable[[], None] | None = None, doing: str = "Adding the video",
               undone: str = "nothing was added") -> Job:
        """Queue ``work(progress)``; ``cleanup`` runs after it, whatever the outcome."""
        with self._lock:
            job = Job(f"job-{next(self._ids)}", label, work, doing=doing, undone=undone,
                      cleanup=cleanup, on_done=self._count)
            self._jobs[job.id] = job
            self._pending.put(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="oneframe-ingest",
                                                daemon=True)
                self._worker.start()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def active(self) -> list[Job]:
        """Jobs waiting or running, oldest first."""
        return [job for job in list(self._jobs.values()) if not job.finished]

    def ahead_of(self, job: Job) -> int:
        """How many unfinished jobs were submitted before ``job``."""
        return next((i for i, other in enumerate(self.active()) if other is job), 0)

    def forget(self, job_id: str) -> None:
        """Drop a finished job once its outcome has been shown."""
        job = self._jobs.get(job_id)
        if job is not None and job.finished:
            del self._jobs[job_id]

    def _work(self) -> None:
        while True:
            try:
                job = self._pending.get(timeout=5)
            except queue.Empty:
                with self._lock:  # stop when idle; submit() starts a new worker
                    if self._pending.empty():
                        self._worker = None
                        return
                continue
            job.run()

    def _count(self) -> None:
        with self._lock:
            self.completed += 1
