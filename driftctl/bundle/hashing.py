"""Hashes fed to worker threads (hashlib drops the GIL), and the witness tying verify's two reads."""

from __future__ import annotations

import hashlib
import hmac
import queue
import threading
from typing import Protocol

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.poly1305 import Poly1305

WITNESS_KEY_BYTES = 32
Chunk = bytes | memoryview  # what the readers hand over: chunks, or views of them (no copy)


class Digest(Protocol):
    """A hashlib hash object as the worker and its callers use it (hashlib's type is private)."""

    def update(self, data: Chunk, /) -> None: ...

    def hexdigest(self) -> str: ...


class Witness:
    """A keyed one-time tag of a byte stream: did a second read see the same bytes as the first?

    Two Witnesses built with the same secret ``key`` give equal tags for equal streams; for
    different streams they match with probability about 2**-80 at the bundle cap, since whoever
    changes the file never learns the key (Poly1305 with a fresh random key; a tenth of a SHA-256's
    cost). Where the OpenSSL build lacks Poly1305 it falls back to SHA-256, equally sound, slower.
    """

    def __init__(self, key: bytes) -> None:
        self._poly: Poly1305 | None
        try:
            self._poly = Poly1305(key)
        except UnsupportedAlgorithm:
            self._poly = None
        self._sha = hashlib.sha256(key)

    def update(self, data: Chunk, /) -> None:
        if self._poly is not None:
            self._poly.update(data)
        else:
            self._sha.update(data)

    def tag(self) -> bytes:
        """The tag; call once."""
        return self._poly.finalize() if self._poly is not None else self._sha.digest()

    def hexdigest(self) -> str:
        return self.tag().hex()

    @staticmethod
    def same(a: bytes, b: bytes) -> bool:
        return hmac.compare_digest(a, b)


class BackgroundHash:
    """``update`` hands chunks to a worker thread (bounded queue); ``hexdigest`` waits for it."""

    def __init__(self, name: str) -> None:
        self._hash = hashlib.new(name)
        self._queue: queue.Queue[Chunk | None] = queue.Queue(maxsize=4)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._hash.update(chunk)

    def update(self, chunk: Chunk) -> None:
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
        self._queue: queue.Queue[tuple[Digest, Chunk] | None] = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            item[0].update(item[1])

    def update(self, digest: Digest, chunk: Chunk) -> None:
        self._queue.put((digest, chunk))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
