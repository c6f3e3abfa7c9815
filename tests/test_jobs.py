"""The background ingest queue: order, outcomes, and cancelling a real ingest midway."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from oneframe.core.errors import VideoError
from oneframe.ingest.jobs import CANCELLED, DONE, FAILED, Job, JobQueue
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library


def wait(job: Job, timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.finished, f"{job.label} is still {job.state}"
    return job


def test_jobs_run_one_at_a_time_in_order_and_report_outcomes() -> None:
    jobs, order, overlap = JobQueue(), [], []
    running = threading.Lock()

    def work(name: str, fail: Exception | None = None):
        def run(progress):
            if not running.acquire(blocking=False):
                overlap.append(name)
                running.acquire()
            try:
                order.append(name)
                progress("frames", 1, 2)
                time.sleep(0.05)
                if fail is not None:
                    raise fail
                return name
            finally:
                running.release()
        return run

    cleaned = []
    first = jobs.submit("a", work("a"), cleanup=lambda: cleaned.append("a"))
    second = jobs.submit("b", work("b", VideoError("The file could not be opened.")))
    third = jobs.submit("c", work("c", KeyError("bug")), cleanup=lambda: cleaned.append("c"))
    assert jobs.ahead_of(third) == 2
    for job in (first, second, third):
        wait(job)
    assert order == ["a", "b", "c"] and not overlap
    assert first.state == DONE and first.record == "a" and first.snapshot() == [("frames", 1, 2)]
    assert second.state == FAILED and second.error == "The file could not be opened."
    assert second.details is None
    assert third.state == FAILED and "unexpectedly" in third.error and "KeyError" in third.details
    assert cleaned == ["a", "c"] and jobs.completed == 1
    assert jobs.active() == []
    jobs.forget(first.id)
    assert jobs.get(first.id) is None and jobs.get(second.id) is second


def test_a_waiting_job_cancelled_never_runs() -> None:
    jobs, release, ran, cleaned = JobQueue(), threading.Event(), [], []
    blocker = jobs.submit("blocker", lambda progress: release.wait(30))
    waiting = jobs.submit("waiting", lambda progress: ran.append(1),
                          cleanup=lambda: cleaned.append(1))
    waiting.cancel()
    assert waiting.state == CANCELLED and cleaned == [1]
    release.set()
    wait(blocker)
    time.sleep(0.05)
    assert not ran and cleaned == [1] and blocker.state == DONE


def test_cancelling_a_real_ingest_midway_leaves_the_library_as_it_was(
        tmp_path: Path, scene_video: Path) -> None:
    library = Library(tmp_path / "library")
    embedding, go_on = threading.Event(), threading.Event()

    def work(progress):
        def report(stage: str, done: int, total: int) -> None:
            if stage == "embed" and not embedding.is_set():
                embedding.set()
                go_on.wait(30)
            progress(stage, done, total)
        return ingest(str(scene_video), library=library, progress=report)

    job = JobQueue().submit("clip", work)
    assert embedding.wait(60)
    job.cancel()
    go_on.set()
    wait(job)
    assert job.state == CANCELLED and "nothing was added" in job.error
    assert library.list() == []
    assert [p.name for p in library.root.iterdir() if p.name.startswith(".tmp")] == []


@pytest.mark.parametrize("stage", ["probe", "frames"])
def test_a_cancel_before_or_during_decoding_also_adds_nothing(
        tmp_path: Path, scene_video: Path, stage: str) -> None:
    library = Library(tmp_path / "library")
    holder: list[Job] = []
    submitted = threading.Event()

    def work(progress):
        submitted.wait(10)

        def report(name: str, done: int, total: int) -> None:
            if name == stage:
                holder[0].cancel()
            progress(name, done, total)
        return ingest(str(scene_video), library=library, progress=report)

    jobs = JobQueue()
    holder.append(jobs.submit("clip", work))
    submitted.set()
    wait(holder[0])
    assert holder[0].state == CANCELLED and library.list() == [] and jobs.completed == 0


def test_a_failing_cleanup_or_a_system_exit_never_stalls_the_queue() -> None:
    jobs = JobQueue()

    def broken_cleanup() -> None:
        raise OSError("the temporary folder vanished")

    def exits(progress) -> None:
        raise SystemExit(3)

    first = jobs.submit("a", lambda progress: "a", cleanup=broken_cleanup)
    second = jobs.submit("b", exits)
    third = jobs.submit("c", lambda progress: "c")
    for job in (first, second, third):
        wait(job, timeout=20)  # without another submit to wake the worker
    assert (first.state, second.state, third.state) == (DONE, FAILED, DONE)
    assert "SystemExit" in second.error and jobs.completed == 2


def test_a_job_is_counted_before_it_shows_as_done() -> None:
    jobs, seen = JobQueue(), []
    job = jobs.submit("a", lambda progress: "a")
    while not job.finished:
        seen.append((job.state, jobs.completed))
    assert all(count == 1 for state, count in seen if state == DONE)
    assert jobs.completed == 1


def test_a_cancel_during_the_commit_ends_with_the_complete_entry(
        tmp_path: Path, scene_video: Path, monkeypatch) -> None:
    library = Library(tmp_path / "library")
    committing, go_on = threading.Event(), threading.Event()
    real = Library.commit

    def slow_commit(self, stage, record, **options):
        committing.set()
        go_on.wait(30)
        return real(self, stage, record, **options)

    monkeypatch.setattr(Library, "commit", slow_commit)
    job = JobQueue().submit("clip", lambda progress: ingest(str(scene_video), library=library,
                                                            progress=progress))
    assert committing.wait(60)
    job.cancel()  # too late: the video is being saved
    go_on.set()
    wait(job)
    [record] = library.list()
    assert job.state == DONE and job.record.id == record.id
    assert len(library.load(record.id).times) == record.frames
