"""Run an iterator in a background thread, a bounded queue ahead of its consumer.

Decoding (OpenCV) and embedding (torch) both release the GIL, so frames can be decoded while
the previous batch is embedded. Errors in the producer are raised in the consumer; if the
consumer stops early, the producer is stopped and its iterator closed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterable[T], depth: int = 48,
             idle: Callable[[], None] | None = None) -> Iterator[T]:
    """Yield ``items`` in order, produced by a background thread up to ``depth`` ahead.

    ``idle`` is called while waiting for the producer (work the producer may be waiting on).
    """
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            put(_Failure(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="oneframe-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            if idle is None:
                item = buffer.get()
            else:
                while True:
                    try:
                        item = buffer.get(timeout=0.05)
                        break
                    except queue.Empty:
                        idle()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
