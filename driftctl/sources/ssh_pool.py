"""A bounded pool of daemon worker threads with a hard overall deadline that never waits longer."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Cancel:
    """Shared by the pool and its workers: a flag plus closers to unblock in-flight I/O."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def on_cancel(self, closer: Callable[[], None]) -> None:
        with self._lock:
            if self.event.is_set():
                closer()
            else:
                self._closers.append(closer)

    def cancel(self) -> None:
        with self._lock:
            self.event.set()
            closers, self._closers = self._closers, []
        for closer in closers:
            with contextlib.suppress(Exception):  # closing a dead socket may fail; fine
                closer()


class BoundedPool(Generic[T, R]):
    """Runs ``work(item, cancel)`` for every item on ``workers`` daemon threads.

    ``run`` returns by ``deadline`` (monotonic) whatever happens: unfinished items are left out
    of the result and the cancel closers run so their threads exit promptly. Daemon threads
    mean a thread stuck in a C call can never keep the process alive.
    """

    def __init__(self, work: Callable[[T, Cancel], R], workers: int) -> None:
        self.work = work
        self.workers = max(1, workers)

    def run(
        self,
        items: Sequence[T],
        deadline: float,
        on_done: Callable[[int, R], None] | None = None,
    ) -> dict[int, R]:
        todo: queue.Queue[int] = queue.Queue()
        for i in range(len(items)):
            todo.put(i)
        done: queue.Queue[tuple[int, R]] = queue.Queue()
        cancel = Cancel()

        def worker() -> None:
            while not cancel.event.is_set():
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                done.put((i, self.work(items[i], cancel)))

        for n in range(min(self.workers, len(items))):
            threading.Thread(target=worker, name=f"driftctl-ssh-{n}", daemon=True).start()
        results: dict[int, R] = {}
        while len(results) < len(items):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                i, result = done.get(timeout=remaining)
            except queue.Empty:
                break
            results[i] = result
            if on_done is not None:
                on_done(i, result)
        cancel.cancel()
        return results
