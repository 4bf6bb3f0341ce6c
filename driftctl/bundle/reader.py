"""Safe streaming reading of a bundle archive: own gunzip with caps, regular files only, no disk."""

from __future__ import annotations

import hashlib
import tarfile
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import BinaryIO

from driftctl.bundle.hashing import BackgroundHash
from driftctl.bundle.writer import MAX_NAME, NAME_RE

CHUNK = 1 << 20
JSON_MEMBERS = ("manifest.json", "snapshot.json", "redaction.json")
MiB = 1 << 20


class ArchiveError(ValueError):
    """The archive is unsafe or malformed; the message names the member or the cap."""


@dataclass(frozen=True)
class Limits:
    """Caps that bound what a hostile bundle can cost (reference/sshsig.md §7.2)."""

    bundle_bytes: int = 256 * MiB
    sig_bytes: int = 16 * 1024
    members: int = 10_000
    member_bytes: int = 64 * MiB
    total_bytes: int = 1024 * MiB
    ratio: int = 100
    ratio_floor: int = 1 * MiB  # tiny bundles are mostly tar padding; never judge them by ratio


@dataclass(frozen=True)
class MemberInfo:
    """One regular file of the archive, as read (not as claimed)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ArchiveContents:
    """What a streaming pass saw: members in order, the JSON members' bytes, the compressed digest."""

    members: tuple[MemberInfo, ...]
    data: dict[str, bytes] = field(default_factory=dict)
    compressed_sha256: str = ""
    compressed_size: int = 0


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


def _check_member(member: tarfile.TarInfo, index: int, seen: set[str], limits: Limits) -> bool:
    """Validate a member header; False for directories (ignored), ArchiveError when unsafe."""
    name = member.name
    if index == 0 and name != "manifest.json":
        raise ArchiveError(f"first member is {name!r}, expected 'manifest.json'")
    if index >= limits.members:
        raise ArchiveError(f"more than {limits.members} members")
    kinds = {
        tarfile.SYMTYPE: "symlink",
        tarfile.LNKTYPE: "hard link",
        tarfile.CHRTYPE: "character device",
        tarfile.BLKTYPE: "block device",
        tarfile.FIFOTYPE: "fifo",
        tarfile.CONTTYPE: "contiguous file",
    }
    if member.type in kinds:
        raise ArchiveError(f"member {name!r} is a {kinds[member.type]}; only regular files allowed")
    if member.issparse():
        raise ArchiveError(f"member {name!r} is a sparse file; only regular files allowed")
    if member.isdir():
        return False
    if member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
        raise ArchiveError(f"member {name!r} has unsupported type {member.type!r}")
    if len(name) > MAX_NAME or not NAME_RE.match(name):
        raise ArchiveError(
            f"member name {name!r} is not allowed (absolute, traversal or odd characters)"
        )
    if name in seen:
        raise ArchiveError(f"duplicate member {name!r}")
    if name.casefold() in seen:
        raise ArchiveError(f"duplicate member {name!r} (differs only in case)")
    seen.add(name)
    seen.add(name.casefold())
    if member.size > limits.member_bytes:
        raise ArchiveError(
            f"member {name!r} is {member.size} bytes, over the cap of {limits.member_bytes}"
        )
    return True


def read_archive(fh: BinaryIO, size: int, limits: Limits) -> ArchiveContents:
    """Stream the tar.gz from ``fh`` once: hash every member, keep only the JSON members' bytes."""
    stream = GunzipReader(fh, size, limits)
    members: list[MemberInfo] = []
    data: dict[str, bytes] = {}
    seen: set[str] = set()
    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK) as tar:  # type: ignore[call-overload]
            for index, member in enumerate(tar):
                if not _check_member(member, index, seen, limits):
                    continue
                src = tar.extractfile(member)
                if src is None:
                    raise ArchiveError(f"member {member.name!r} has no data")
                digest = hashlib.sha256()
                keep: list[bytes] = []
                got = 0
                while chunk := src.read(CHUNK):
                    got += len(chunk)
                    digest.update(chunk)
                    if member.name in JSON_MEMBERS:
                        keep.append(chunk)
                if got != member.size:
                    raise ArchiveError(f"member {member.name!r} is truncated")
                if member.name in JSON_MEMBERS:
                    data[member.name] = b"".join(keep)
                members.append(MemberInfo(member.name, got, digest.hexdigest()))
            end = tar.offset  # where the end-of-archive marker starts; tarfile may have read ahead
        stream.drain(end)
    except (tarfile.TarError, EOFError) as exc:
        raise ArchiveError(f"not a valid tar archive: {exc}") from None
    finally:
        stream.sha256.close()
    if not members:
        raise ArchiveError("empty archive")
    return ArchiveContents(tuple(members), data, stream.sha256.hexdigest(), stream.total_in)
