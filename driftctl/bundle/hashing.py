"""A hash fed from a worker thread, so two digests of one stream use two cores (hashlib drops the GIL)."""

from __future__ import annotations

import hashlib
import queue
import threading


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
