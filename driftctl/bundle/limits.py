"""The caps that bound what a hostile bundle can cost, and the error a breached one raises."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20


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
