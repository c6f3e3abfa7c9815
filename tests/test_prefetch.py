"""The background producer used to decode frames while embedding."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from oneframe.media.prefetch import prefetch


def test_order_and_completeness() -> None:
    assert list(prefetch(iter(range(1000)), depth=3)) == list(range(1000))


def test_producer_errors_reach_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("bad frame")

    with pytest.raises(ValueError, match="bad frame"):
        list(prefetch(broken()))


def test_early_exit_stops_and_closes_the_producer() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    with pytest.raises(KeyError):
        for n in prefetch(endless(), depth=2):
            if n == 5:
                raise KeyError(n)
    assert closed.wait(5)
    assert not [t for t in threading.enumerate() if t.name == "oneframe-prefetch"]


def test_idle_work_runs_while_waiting_for_the_producer() -> None:
    release = threading.Event()
    done: list[int] = []

    def waits() -> Iterator[int]:
        yield 1
        assert release.wait(5)  # the producer needs the consumer's idle work to go on
        yield 2

    def idle() -> None:
        done.append(1)
        release.set()

    assert list(prefetch(waits(), idle=idle)) == [1, 2] and done
