"""A gunzip for the bundle reader: counts, caps and hashes every byte in and out, below tarfile."""

from __future__ import annotations

import zlib
from collections import deque
from typing import BinaryIO

from driftctl.bundle.hashing import BackgroundHash, Digest
from driftctl.bundle.limits import ArchiveError, Limits

CHUNK = 1 << 20


class GunzipReader:
    """A read()-able gunzip over a file that counts and caps bytes in and out and hashes the input.

    The input goes to ``digest`` when one is given (verify's keyed witness, fed here), else to a
    SHA-256 on a worker thread (``sha256``). Besides ``read``, a forward-only ``seek`` and ``tell``
    let tarfile walk the headers, and ``read_some`` hands member data over without copying it.
    """

    def __init__(
        self, fh: BinaryIO, size: int, limits: Limits, digest: Digest | None = None
    ) -> None:
        self.fh = fh
        self.size = size
        self.limits = limits
        self.sha256: BackgroundHash | None = None
        if digest is None:
            self.sha256 = digest = BackgroundHash("sha256")
        self._digest = digest
        self.total_in = 0
        self.total_out = 0
        self._z = zlib.decompressobj(wbits=31)  # gzip header and trailer, one member
        self._pending = b""
        self._offset = 0
        self._eof = False
        self.handed = 0  # decompressed bytes returned to the caller so far
        self._recent: deque[tuple[int, bytes | memoryview]] = deque(maxlen=4)

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
            self._digest.update(data)
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

    def tell(self) -> int:
        return self.handed

    def seek(self, pos: int, whence: int = 0) -> int:
        """Skip forward to ``pos`` (tarfile skips padding this way); never backwards."""
        if whence != 0 or pos < self.handed:
            raise ArchiveError("the tar reader asked to go back in the stream")
        while self.handed < pos:
            if not self.read_some(pos - self.handed):
                raise ArchiveError("not a valid tar archive: unexpected end of data")
        return self.handed

    def read_some(self, n: int) -> memoryview:
        """Up to ``n`` bytes (fewer at a chunk's end, empty at the end), a view of the chunk."""
        if self._offset >= len(self._pending):
            while not self._eof and self._offset >= len(self._pending):
                self._fill()
            if self._offset >= len(self._pending):
                return memoryview(b"")
        out = memoryview(self._pending)[self._offset : self._offset + n]
        self._offset += len(out)
        self._recent.append((self.handed, out))
        self.handed += len(out)
        return out

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
            tail = bytes(piece[max(end - start, 0) :])
            if tail.count(0) != len(tail):
                raise ArchiveError("data after the end of the tar archive")
        while True:
            rest = self.read(CHUNK)
            if not rest:
                return
            if rest.count(0) != len(rest):
                raise ArchiveError("data after the end of the tar archive")
