"""Snapshots of the field cases built in code (through snapshot_kit), for the preflight tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from snapshot_kit import (
    clock,
    component,
    container,
    gpu,
    helm_release,
    node,
    snapshot_dict,
    typed,
    workload,
)

NOW = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)
SYNCED = {"synchronized": True, "offset_seconds": 0.000012, "stratum": 3, "source": "chrony"}


@dataclass(frozen=True)
class Snap:
    """Same fields as driftctl.inputs.SiteSnapshot."""

    site: str
    seq: int
    collected_at: str
    snapshot: Any  # a JSON form is typed on the way in, as driftctl.inputs hands it over
    sha256: str = field(default="0" * 64)

    def __post_init__(self) -> None:
        if isinstance(self.snapshot, dict):
            object.__setattr__(self, "snapshot", typed(self.snapshot))


def stamp(age: timedelta = timedelta(hours=2), now: datetime = NOW) -> str:
    return (now - age).strftime("%Y-%m-%dT%H:%M:%SZ")


def platform(
    site: str,
    *,
    frontend: str = "2.3.4",
    parser_api: str = "v1",
    parser: str = "1.4.2",
    api_versions: Any = "v1,v2",
    gpus: Mapping[str, Any] | None = None,
    control_plane: Mapping[str, Any] | None = None,
    mcp: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One site of the AI platform: frontend + parser on GPU nodes, docai Helm release.

    ``gpus`` and ``control_plane`` map node names to partial GPU / time facts (the keys a case
    is about); the rest of each is filled in as the collectors write it (``gpu: None`` = no GPU).
    """
    if gpus is None:
        gpus = {"gpu-1": {"driver_version": "535.54.03"}, "gpu-2": {"driver_version": "535.54.03"}}
    control_plane = {"cp-1": SYNCED} if control_plane is None else control_plane
    hub = {"timeoutSeconds": 3, "backoffSeconds": 1, "initOnStart": True} if mcp is None else mcp
    nodes: dict[str, Any] = {}
    for name, time in control_plane.items():
        nodes[name] = node(["control-plane"], gpu=None, time=_time(time))
    for name, facts in gpus.items():
        nodes[name] = node(["worker"], gpu=None if facts is None else _gpu(facts), time=clock())
    return snapshot_dict(
        site,
        stamp(),
        kubernetes={"server_version": "v1.29.3+k3s1", "cluster_uid": f"uid-{site}"},
        components={
            "frontend": component(
                "ai-platform/Deployment/frontend", version=frontend, parser_api=parser_api
            ),
            "parser": component(
                "ai-platform/Deployment/parser", version=parser, api_versions=api_versions
            ),
        },
        workloads={
            "ai-platform/Deployment/frontend": workload(
                {"frontend": container(f"reg/ai/frontend:{frontend}")}, sorted(control_plane)[:1]
            ),
            "ai-platform/Deployment/parser": workload(
                {"parser": container(f"reg/ai/parser:{parser}", "sha256:aa")}, sorted(gpus)
            ),
        },
        helm={
            "ai-platform/docai": helm_release(
                {"mcpHub": dict(hub)},
                chart="docai",
                chart_version="1.8.0",
                computed_values={"mcpHub": dict(hub), "replicaCount": 1},
            )
        },
        nodes=nodes,
    )


def _gpu(facts: Mapping[str, Any]) -> dict[str, Any]:
    return gpu(facts.get("driver_version"), facts.get("cuda_version", "12.2")) | dict(facts)


def _time(facts: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return clock(facts["synchronized"], facts.get("offset_seconds")) | dict(facts)


def financial_group() -> list[Snap]:
    """Field case 1: savings-bank and holding run frontend 2.3.x (API v1), capital 3.0.1 (v2)."""
    return [
        Snap("savings-bank", 7, stamp(), platform("savings-bank", frontend="2.3.4")),
        Snap("holding", 4, stamp(), platform("holding", frontend="2.3.1")),
        Snap("capital", 9, stamp(), platform("capital", frontend="3.0.1", parser_api="v2")),
    ]


def public_institution() -> Snap:
    """Field case 2: three control-plane nodes, two lost time sync after a reboot."""
    cps = {
        "cp-1": SYNCED,
        "cp-2": {"synchronized": False, "offset_seconds": 7.8, "source": "chrony"},
        "cp-3": {"synchronized": False, "offset_seconds": None, "source": "chrony"},
    }
    snap = platform("public-institution", frontend="3.0.1", parser_api="v2", control_plane=cps)
    return Snap("public-institution", 12, stamp(), snap)
