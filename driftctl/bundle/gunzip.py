"""A gunzip for the bundle reader: counts, caps and hashes every byte in and out, below tarfile."""

from __future__ import annotations

import zlib
from collections import deque
from typing import BinaryIO

from driftctl.bundle.hashing import BackgroundHash
from driftctl.bundle.limits import ArchiveError, Limits

CHUNK = 1 << 20


class GunzipReader:
    """A read()-able gunzip over a file that counts and caps bytes in and out and hashes the input."""

    def __init__(self, fh: BinaryIO, size: int, limits: Limits) -> None:
        self.fh = fh
        self.size = size
        self.limits = limits
        self.sha256 = BackgroundHash("sha256")
        self.total_in = 0
        self.total_out = 0
        self._z = zlib.decompressobj(wbits=31)  # gzip header and trailer, one member
        self._pending = b""
        self._offset = 0
        self._eof = False
        self.handed = 0  # decompressed bytes returned to the caller so far
        self._recent: deque[tuple[int, bytes]] = deque(maxlen=4)

    def _fill(self) -> None:
        if self._z.eof:
            if self._z.unused_data or self.fh.read(1):
                raise ArchiveError("data after the end of the gzip stream")
            self._eof = True
            return
        data = self._z.unconsumed_tail
        if not data:
            data = self.fh.read(CHUNK)
            if not data:
                raise ArchiveError("truncated gzip stream")
            self.total_in += len(data)
            if self.total_in > self.limits.bundle_bytes:
                raise ArchiveError(
                    f"bundle grew beyond {self.limits.bundle_bytes} bytes while reading"
                )
            self.sha256.update(data)
        try:
            out = self._z.decompress(data, CHUNK)
        except zlib.error as exc:
            raise ArchiveError(f"corrupt gzip stream: {exc}") from None
        self.total_out += len(out)
        if self.total_out > self.limits.total_bytes:
            raise ArchiveError(
                f"decompressed size exceeds the cap of {self.limits.total_bytes} bytes"
            )
        if self.total_out > max(self.limits.ratio * self.size, self.limits.ratio_floor):
            raise ArchiveError(f"compression ratio exceeds {self.limits.ratio}:1 (gzip bomb?)")
        self._pending = out
        self._offset = 0

    def read(self, n: int = -1) -> bytes:
        parts: list[bytes] = []
        want = n if n >= 0 else 1 << 62
        while want > 0:
            if self._offset >= len(self._pending):
                if self._eof:
                    break
                self._fill()
                continue
            if self._offset == 0 and want >= len(self._pending):
                take = self._pending  # the common case: hand the chunk over without a copy
            else:
                take = self._pending[self._offset : self._offset + want]
            self._offset += len(take)
            parts.append(take)
            want -= len(take)
        out = parts[0] if len(parts) == 1 else b"".join(parts)
        if out:
            self._recent.append((self.handed, out))
            self.handed += len(out)
        return out

    def drain(self, end: int) -> None:
        """Read to the end; only zero padding may follow the tar end marker at offset ``end``."""
        if self._recent and end < self._recent[0][0]:
            raise ArchiveError("cannot check the data after the end of the tar archive")
        for start, piece in self._recent:
            tail = piece[max(end - start, 0) :]
            if tail.count(0) != len(tail):
                raise ArchiveError("data after the end of the tar archive")
        while True:
            rest = self.read(CHUNK)
            if not rest:
                return
            if rest.count(0) != len(rest):
                raise ArchiveError("data after the end of the tar archive")
