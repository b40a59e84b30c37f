"""Streams of work in two threads: produce the next items while the current one is consumed."""

import contextlib
import queue
import threading
from collections.abc import Iterator


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def read_ahead(items: Iterator, depth: int = 2, *, name: str = "read-ahead") -> Iterator:
    """Yield what ``items`` yields, computing up to ``depth`` items ahead in a thread.

    Meant for a consumer that spends its time waiting on PostgreSQL (a COPY) with the GIL
    released, so the producer thread (reading, checking, formatting) really runs in parallel.
    Errors in the producer are raised in the consumer; if the consumer stops early (a COPY
    failed), the producer stops after its current item."""
    results: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in items:
                results.put(item)
                if stop.is_set():
                    return
            results.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            results.put(_Failed(exc))
        finally:
            # A generator's cleanup must run in the thread that ran it (it may hold a
            # per-thread database connection), not wherever it is garbage-collected.
            if hasattr(items, "close"):
                items.close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while (item := results.get()) is not done:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                results.get(timeout=0.05)
        thread.join()
