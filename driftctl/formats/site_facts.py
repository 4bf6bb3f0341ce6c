"""The one place the reports read per-site and per-node facts from a snapshot (age, clocks, GPUs).

Everything else in ``formats`` renders reports built by the core; the HTML page also shows facts
that no finding carries (every node's clock offset and GPU driver). Keeping that access here keeps
the templates free of the snapshot model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from driftctl.snapshot import Absent, GpuDevice, Node, Snapshot

T = TypeVar("T")


@dataclass(frozen=True)
class NodeFacts:
    """One node's clock and GPU facts as shown in the report; None where unknown."""

    name: str
    roles: tuple[str, ...]
    synchronized: bool | None
    offset_seconds: float | None  # None: no finite reading
    time_source: str | None
    gpus: str | None  # "2x NVIDIA H100 80GB HBM3", None: no GPU facts
    driver: str | None
    cuda: str | None
    gpu_source: str | None
    gpu_error: str | None = None  # what the collector recorded instead of GPU facts
    has_gpu: bool = False


@dataclass(frozen=True)
class SiteFacts:
    """One site as the report shows it: which snapshot, how old, and its nodes."""

    site: str
    seq: int | None
    collected_at: str | None
    age_seconds: float | None
    nodes: tuple[NodeFacts, ...]


def _present(value: T | Absent | None) -> T | None:
    return None if value is None or isinstance(value, Absent) else value


def _devices(devices: tuple[GpuDevice, ...] | None) -> str | None:
    if not devices:
        return None
    counts: dict[str, int] = {}
    for d in devices:
        name = d.name + (" (MIG)" if d.mig else "")
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n}× {name}" for name, n in sorted(counts.items()))


def node_facts(name: str, node: Node) -> NodeFacts:
    """One node's clock and GPU facts as the report shows them."""
    time = _present(node.time)
    gpu = _present(node.gpu)
    offset = time.offset_seconds if time is not None else None
    return NodeFacts(
        name=name,
        roles=_present(node.roles) or (),
        synchronized=time.synchronized if time is not None else None,
        offset_seconds=offset if offset is not None and math.isfinite(offset) else None,
        time_source=time.source.value if time is not None and time.source else None,
        gpus=_devices(_present(gpu.devices)) if gpu is not None else None,
        driver=gpu.driver_version if gpu is not None else None,
        cuda=gpu.cuda_version if gpu is not None else None,
        gpu_source=gpu.source.value if gpu is not None else None,
        gpu_error=_present(gpu.error) if gpu is not None else None,
        has_gpu=gpu is not None,
    )


def _parse(stamp: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def site_facts(site: str, snapshot: Snapshot, seq: int | None, now: datetime) -> SiteFacts:
    """A site's snapshot as the report shows it; ``now`` fixes the ages (golden tests)."""
    when = _parse(snapshot.collected_at)
    return SiteFacts(
        site=site,
        seq=seq,
        collected_at=snapshot.collected_at,
        age_seconds=(now - when).total_seconds() if when is not None else None,
        nodes=tuple(node_facts(n, node) for n, node in sorted(snapshot.nodes.items())),
    )


def fleet_facts(
    snapshots: Sequence[tuple[str, Snapshot, int | None]], now: datetime
) -> tuple[SiteFacts, ...]:
    """``site_facts`` for every ``(site, snapshot, seq)``, sorted by site."""
    return tuple(
        site_facts(s, snap, seq, now) for s, snap, seq in sorted(snapshots, key=lambda x: x[0])
    )


def age_text(seconds: float | None) -> str:
    """``12m``, ``5h``, ``3d``; ``unknown`` without a usable collection time."""
    if seconds is None:
        return "unknown"
    if seconds < 0:
        return "in the future"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"
