"""What a bundle must fit before it is signed: every cap the bundle reader enforces at import.

A collection that the importer would refuse is worse than none: it reaches the central site
on a USB stick and fails there. So the writer checks the members against the reader's Limits
before compressing, and the compressed archive before signing; a breach is an operational
failure (exit 3) naming the member and the cap, and nothing is written (docs/bundle.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from driftctl.bundle.limits import Limits
from driftctl.bundle.reader import JSON_MEMBERS
from driftctl.errors import OperationalError

BLOCK = 512
RECORD = 20 * BLOCK  # tarfile pads the archive to whole records


def _refused(what: str) -> OperationalError:
    return OperationalError(f"bundle not written: {what}; the importer would refuse it")


def tar_size(sizes: Sequence[int]) -> int:
    """Bytes of the plain ustar archive of members of these sizes, as tarfile writes it: a
    header block per member, data padded to blocks, two end blocks, padded to a record."""
    body = sum(BLOCK + -(-size // BLOCK) * BLOCK for size in sizes) + 2 * BLOCK
    return -(-body // RECORD) * RECORD


def snapshot_values(value: object) -> int:
    """JSON values of a decoded document, counted as the reader counts them (the root plus
    the entries of every object and array)."""
    total, stack = 1, [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            total += len(node)
            stack.extend(v for v in node.values() if isinstance(v, Mapping | list))
        elif isinstance(node, list):
            total += len(node)
            stack.extend(v for v in node if isinstance(v, Mapping | list))
    return total


def check_members(
    members: Sequence[tuple[str, bytes]], snapshot: Mapping[str, object], limits: Limits
) -> None:
    """The caps on members, their sizes, the archive's size and the snapshot's facts."""
    if len(members) > limits.members:
        raise _refused(f"{len(members)} members, over the cap of {limits.members}")
    for name, data in members:
        cap = limits.member_bytes
        if name in JSON_MEMBERS and name != "snapshot.json":
            cap = min(cap, limits.small_json_bytes)
        if len(data) > cap:
            raise _refused(f"member {name} is {len(data)} bytes, over the cap of {cap}")
    total = tar_size([len(data) for _, data in members])
    if total > limits.total_bytes:
        raise _refused(f"{total} bytes unpacked, over the cap of {limits.total_bytes}")
    workloads = snapshot.get("workloads")
    if isinstance(workloads, Mapping) and len(workloads) > limits.snapshot_workloads:
        raise _refused(
            f"snapshot.json holds {len(workloads)} workloads, over the cap of "
            f"{limits.snapshot_workloads}"
        )
    values = snapshot_values(snapshot)
    if values > limits.snapshot_values:
        raise _refused(
            f"snapshot.json holds {values} JSON values, over the cap of {limits.snapshot_values}"
        )


def check_archive(size: int, unpacked: int, limits: Limits) -> None:
    """The caps on the compressed archive and its compression ratio (before it is signed)."""
    if size > limits.bundle_bytes:
        raise _refused(f"the archive is {size} bytes, over the cap of {limits.bundle_bytes}")
    if unpacked > max(limits.ratio * size, limits.ratio_floor):
        raise _refused(
            f"{unpacked} bytes unpacked from {size}, over the compression ratio cap of "
            f"{limits.ratio}:1"
        )


def check_signature(sig_size: int, limits: Limits) -> None:
    if sig_size > limits.sig_bytes:
        raise _refused(f"the signature is {sig_size} bytes, over the cap of {limits.sig_bytes}")
