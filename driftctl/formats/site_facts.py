"""The one place the reports read per-site and per-node facts from a snapshot (age, clocks, GPUs).

Everything else in ``formats`` renders reports built by the core; the HTML page also shows facts
that no finding carries (every node's clock offset and GPU driver). Keeping that access here means
one module to switch when the snapshot becomes a typed model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CONTROL_PLANE_ROLES = frozenset({"control-plane", "master"})


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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _devices(devices: Any) -> str | None:
    if not isinstance(devices, list) or not devices:
        return None
    counts: dict[str, int] = {}
    for d in devices:
        name = str(d.get("name")) if isinstance(d, Mapping) else str(d)
        if isinstance(d, Mapping) and d.get("mig"):
            name += " (MIG)"
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n}× {name}" for name, n in sorted(counts.items()))


def node_facts(name: str, raw: Mapping[str, Any]) -> NodeFacts:
    """Read one node's entry of ``snapshot["nodes"]``, tolerating any shape."""
    time = raw.get("time") if isinstance(raw.get("time"), Mapping) else {}
    gpu = raw.get("gpu") if isinstance(raw.get("gpu"), Mapping) else {}
    assert isinstance(time, Mapping) and isinstance(gpu, Mapping)
    roles = raw.get("roles")
    synced = time.get("synchronized")
    return NodeFacts(
        name=name,
        roles=tuple(str(r) for r in roles) if isinstance(roles, list) else (),
        synchronized=synced if isinstance(synced, bool) else None,
        offset_seconds=_number(time.get("offset_seconds")),
        time_source=_text(time.get("source")),
        gpus=_devices(gpu.get("devices")),
        driver=_text(gpu.get("driver_version")),
        cuda=_text(gpu.get("cuda_version")),
        gpu_source=_text(gpu.get("source")),
        gpu_error=_text(gpu.get("error")),
        has_gpu=isinstance(raw.get("gpu"), Mapping),
    )


def _parse(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def site_facts(site: str, snapshot: Mapping[str, Any], seq: int | None, now: datetime) -> SiteFacts:
    """A site's snapshot as the report shows it; ``now`` fixes the ages (golden tests)."""
    stamp = snapshot.get("collected_at")
    when = _parse(stamp)
    nodes = snapshot.get("nodes")
    rows = (
        tuple(
            node_facts(str(n), raw) for n, raw in sorted(nodes.items()) if isinstance(raw, Mapping)
        )
        if isinstance(nodes, Mapping)
        else ()
    )
    return SiteFacts(
        site=site,
        seq=seq,
        collected_at=stamp if isinstance(stamp, str) else None,
        age_seconds=(now - when).total_seconds() if when is not None else None,
        nodes=rows,
    )


def fleet_facts(
    snapshots: Sequence[tuple[str, Mapping[str, Any], int | None]], now: datetime
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
