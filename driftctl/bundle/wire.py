"""SSH wire encoding (RFC 4251): strings and integers, a strict reader that names what is wrong."""

from __future__ import annotations

import struct


class WireError(ValueError):
    """Malformed SSH wire data; the message says which field."""


def string(data: bytes) -> bytes:
    """Encode ``data`` as an SSH ``string`` (uint32 length + bytes)."""
    return struct.pack(">I", len(data)) + data


def uint32(value: int) -> bytes:
    return struct.pack(">I", value)


def uint64(value: int) -> bytes:
    return struct.pack(">Q", value)


class Reader:
    """Sequential reader over a bytes blob; every read is bounds-checked."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def raw(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise WireError(f"truncated {what}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint32(self, what: str) -> int:
        value: int = struct.unpack(">I", self.raw(4, what))[0]
        return value

    def uint64(self, what: str) -> int:
        value: int = struct.unpack(">Q", self.raw(8, what))[0]
        return value

    def string(self, what: str) -> bytes:
        return self.raw(self.uint32(what), what)

    def text(self, what: str) -> str:
        try:
            return self.string(what).decode("utf-8")
        except UnicodeDecodeError:
            raise WireError(f"{what} is not UTF-8") from None

    def done(self) -> bool:
        return self.pos == len(self.data)

    def expect_end(self, what: str) -> None:
        if not self.done():
            raise WireError(f"{what} contains trailing data")
