"""Safe streaming reading of a bundle archive: own gunzip with caps, regular files only, no disk."""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from driftctl.bundle import MAX_NAME, NAME_RE
from driftctl.bundle.gunzip import CHUNK, GunzipReader
from driftctl.bundle.hashing import Digest, HashWorker

# The reader's own names for its caps and its error, as verify, inspect and the store use them.
from driftctl.bundle.limits import ArchiveError as ArchiveError
from driftctl.bundle.limits import Limits as Limits

JSON_MEMBERS = ("manifest.json", "snapshot.json", "redaction.json")
# Header blocks that describe the next member instead of being one: GNU long names/links and
# PAX records. tarfile follows a chain of them by recursion and reads each one whole into memory.
EXTENDED_TYPES = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)


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
        # Python's own wording ("invalid literal for int() with base 10: …") says nothing to a
        # user and quotes hostile bytes; the kind of error is kept for a bug report.
        raise ArchiveError(
            f"not a valid tar archive: a header field that cannot be read ({type(exc).__name__})"
        ) from None


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
    stream: GunzipReader, member: tarfile.TarInfo, keep: bool, hasher: HashWorker
) -> tuple[int, Digest, bytes]:
    """Stream one member's data: its size as read, its sha256 (being fed on ``hasher``'s thread,
    final once it is closed), and the bytes when ``keep``.

    The data is read from the gunzip stream itself, as views of its chunks (tarfile's own
    member reader copies every byte four to five times); tarfile reads only the headers.
    """
    digest = hashlib.sha256()
    kept: list[bytes] = []
    got = 0
    stream.seek(member.offset_data)
    while got < member.size and (chunk := stream.read_some(min(CHUNK, member.size - got))):
        got += len(chunk)
        hasher.update(digest, chunk)
        if keep:
            kept.append(bytes(chunk))
    if got != member.size:
        raise ArchiveError(f"member {member.name!r} is truncated")
    return got, digest, b"".join(kept)


def read_archive(
    fh: BinaryIO, size: int, limits: Limits, digest: Digest | None = None
) -> ArchiveContents:
    """Stream the tar.gz from ``fh`` once: hash every member, keep only the JSON members' bytes.

    The compressed bytes go to ``digest`` when one is given (``compressed_sha256`` is then
    empty), else to a SHA-256 on a worker thread. Inflating and walking the tar run here,
    hashing the members on another worker thread.
    """
    stream = GunzipReader(fh, size, limits, digest)
    hasher = HashWorker()
    read: list[tuple[str, int, Digest]] = []
    data: dict[str, bytes] = {}
    seen: set[str] = set()
    bounded = type("BoundedTarInfo", (_BoundedTarInfo,), {"limits": limits})
    try:
        with _tar_errors():  # opening already reads the first header
            # A plain TarFile over the stream: it reads headers exactly and seeks forward only
            # (GunzipReader refuses anything else), so member data is read once, below.
            tar = tarfile.TarFile(fileobj=stream, mode="r", tarinfo=bounded)  # type: ignore[arg-type]
        with tar:
            for index, member in enumerate(_members(tar)):
                if not _check_member(member, index, seen, limits):
                    continue
                keep = member.name in JSON_MEMBERS
                got, sha, content = _read_member(stream, member, keep, hasher)
                if keep:
                    data[member.name] = content
                read.append((member.name, got, sha))
            end = tar.offset  # where the end-of-archive marker starts; tarfile may have read ahead
        stream.drain(end)
    finally:
        hasher.close()
        if stream.sha256 is not None:
            stream.sha256.close()
    if not read:
        raise ArchiveError("empty archive")
    members = tuple(MemberInfo(name, got, sha.hexdigest()) for name, got, sha in read)
    whole = stream.sha256.hexdigest() if stream.sha256 is not None else ""
    return ArchiveContents(members, data, whole, stream.total_in)
