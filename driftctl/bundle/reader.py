"""Safe streaming reading of a bundle archive: own gunzip with caps, regular files only, no disk."""

from __future__ import annotations

import hashlib
import tarfile
import zlib
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from driftctl.bundle.hashing import BackgroundHash
from driftctl.bundle.writer import MAX_NAME, NAME_RE

CHUNK = 1 << 20
JSON_MEMBERS = ("manifest.json", "snapshot.json", "redaction.json")
MiB = 1 << 20
# Header blocks that describe the next member instead of being one: GNU long names/links and
# PAX records. tarfile follows a chain of them by recursion and reads each one whole into memory.
EXTENDED_TYPES = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)


class ArchiveError(ValueError):
    """The archive is unsafe or malformed; the message names the member or the cap."""


@dataclass(frozen=True)
class Limits:
    """Caps that bound what a hostile bundle can cost; docs/bundle.md lists them with reasons."""

    bundle_bytes: int = 256 * MiB
    sig_bytes: int = 16 * 1024
    members: int = 10_000
    member_bytes: int = 64 * MiB
    total_bytes: int = 1024 * MiB
    ratio: int = 100
    ratio_floor: int = 1 * MiB  # tiny bundles are mostly tar padding; never judge them by ratio
    # Our writer emits plain ustar headers; a reader still copes with a few extended headers
    # (another tar re-packing a bundle would add them) but never with a chain or a big one.
    extended_headers: int = 4
    extended_header_bytes: int = 16 * 1024
    # manifest.json and redaction.json are small by construction (one line per file, counts).
    small_json_bytes: int = 4 * MiB
    # What one snapshot may hold: JSON values (objects, arrays, strings, numbers, booleans,
    # nulls) and workloads. Our canonical JSON spends about 37 bytes per value, so a
    # snapshot.json at the member cap holds about 1.8 million values: 2,000,000 admits all a
    # writer can produce and bounds compact hostile JSON (and every later diff's memory).
    # Kubernetes stops at 150,000 pods per cluster and a workload runs at least one, so
    # 200,000 workloads is more than any real cluster has.
    snapshot_values: int = 2_000_000
    snapshot_workloads: int = 200_000


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


class _BoundedTarInfo(tarfile.TarInfo):
    """tarfile's header parsing with bounds on extended headers (tarfile's documented hook).

    tarfile follows GNU long-name and PAX headers by recursing into the next header and reads
    each one whole: 2,000 chained headers exhaust the stack and a header claiming a gigabyte is
    read into memory. Here a chain longer than ``extended_headers`` or a header larger than
    ``extended_header_bytes`` is an ArchiveError before tarfile reads it.
    """

    limits: Limits = Limits()

    def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type not in EXTENDED_TYPES:
            return super()._proc_member(tarfile)  # type: ignore[misc, no-any-return]
        limits = self.limits
        if self.size > limits.extended_header_bytes:
            raise ArchiveError(
                f"extended tar header of {self.size} bytes, over the cap of "
                f"{limits.extended_header_bytes}"
            )
        depth: int = getattr(tarfile, "_driftctl_chain", 0)
        if depth >= limits.extended_headers:
            raise ArchiveError(f"more than {limits.extended_headers} chained extended tar headers")
        tarfile._driftctl_chain = depth + 1  # type: ignore[attr-defined]
        try:
            return super()._proc_member(tarfile)  # type: ignore[misc, no-any-return]
        finally:
            tarfile._driftctl_chain = depth  # type: ignore[attr-defined]


@contextmanager
def _tar_errors() -> Iterator[None]:
    """Whatever tarfile raises on a hostile header is an ArchiveError naming its kind.

    Besides TarError, tarfile lets ValueError (a malformed PAX sparse map), UnicodeError,
    OverflowError and others escape; none of them may end a batch or print a traceback.
    """
    try:
        yield
    except ArchiveError:
        raise
    except EOFError:
        raise ArchiveError("not a valid tar archive: unexpected end of data") from None
    except Exception as exc:  # only tarfile calls run inside, see above
        detail = str(exc)[:200]
        raise ArchiveError(f"not a valid tar archive: {type(exc).__name__}: {detail!r}") from None


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
    if len(name) > MAX_NAME or not NAME_RE.fullmatch(name):
        raise ArchiveError(
            f"member name {name!r} is not allowed (absolute, traversal or odd characters)"
        )
    if name in seen:
        raise ArchiveError(f"duplicate member {name!r}")
    if name.casefold() in seen:
        raise ArchiveError(f"duplicate member {name!r} (differs only in case)")
    seen.add(name)
    seen.add(name.casefold())
    cap = limits.member_bytes
    if name in JSON_MEMBERS and name != "snapshot.json":
        cap = min(cap, limits.small_json_bytes)
    if member.size > cap:
        raise ArchiveError(f"member {name!r} is {member.size} bytes, over the cap of {cap}")
    return True


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Iterate the archive's headers with tarfile's exceptions turned into ArchiveError."""
    while True:
        with _tar_errors():
            member = tar.next()
        if member is None:
            return
        yield member


def _read_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, keep: bool
) -> tuple[int, str, bytes]:
    """Stream one member's data: its size as read, its sha256, and the bytes when ``keep``."""
    digest = hashlib.sha256()
    kept: list[bytes] = []
    got = 0
    with _tar_errors():
        src = tar.extractfile(member)
        if src is None:
            raise ArchiveError(f"member {member.name!r} has no data")
        while chunk := src.read(CHUNK):
            got += len(chunk)
            digest.update(chunk)
            if keep:
                kept.append(chunk)
    if got != member.size:
        raise ArchiveError(f"member {member.name!r} is truncated")
    return got, digest.hexdigest(), b"".join(kept)


def read_archive(fh: BinaryIO, size: int, limits: Limits) -> ArchiveContents:
    """Stream the tar.gz from ``fh`` once: hash every member, keep only the JSON members' bytes."""
    stream = GunzipReader(fh, size, limits)
    members: list[MemberInfo] = []
    data: dict[str, bytes] = {}
    seen: set[str] = set()
    bounded = type("BoundedTarInfo", (_BoundedTarInfo,), {"limits": limits})
    try:
        with _tar_errors():  # opening already reads the first header
            tar = tarfile.open(  # type: ignore[call-overload]  # noqa: SIM115 - closed below
                fileobj=stream, mode="r|", bufsize=CHUNK, tarinfo=bounded
            )
        with tar:
            for index, member in enumerate(_members(tar)):
                if not _check_member(member, index, seen, limits):
                    continue
                keep = member.name in JSON_MEMBERS
                got, sha256, content = _read_member(tar, member, keep)
                if keep:
                    data[member.name] = content
                members.append(MemberInfo(member.name, got, sha256))
            end = tar.offset  # where the end-of-archive marker starts; tarfile may have read ahead
        stream.drain(end)
    finally:
        stream.sha256.close()
    if not members:
        raise ArchiveError("empty archive")
    return ArchiveContents(tuple(members), data, stream.sha256.hexdigest(), stream.total_in)
