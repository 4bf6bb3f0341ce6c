"""Hashes fed to worker threads, so digests and inflating share the cores (hashlib drops the GIL)."""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Protocol


class Digest(Protocol):
    """A hashlib hash object as the worker and its callers use it (hashlib's type is private)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class BackgroundHash:
    """``update`` hands chunks to a worker thread (bounded queue); ``hexdigest`` waits for it."""

    def __init__(self, name: str) -> None:
        self._hash = hashlib.new(name)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()


class HashWorker:
    """One worker thread that feeds chunks to many hash objects, in the order they were given.

    ``update(h, chunk)`` returns at once (a bounded queue keeps memory flat); after ``close``
    every hash object handed over has seen all of its chunks. The caller keeps the objects.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Digest, bytes] | None] = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            item[0].update(item[1])

    def update(self, digest: Digest, chunk: bytes) -> None:
        self._queue.put((digest, chunk))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
