"""The one builder of snapshots for tests: complete JSON forms of every part, typed on demand.

Each helper returns the JSON form (a dict tests may still edit, e.g. pop a key to make a fact
absent); ``typed`` turns a finished one into ``Snapshot`` through the strict ``from_dict``, so no
builder can drift from the model. ``test_snapshot_kit.py`` checks these shapes against what the
collectors write for the fixture fleet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from driftctl.diff import DiffReport, IgnoreFile, diff_snapshots
from driftctl.snapshot import SNAPSHOT_SCHEMA, Snapshot

STAMP = "2026-11-20T10:00:00Z"


def container(
    image: str | None = "reg/app:1.0", image_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """``env`` defaults to none; pass ``env_from`` / ``image_ids`` when the case needs them."""
    return {"image": image, "image_id": image_id, "env": {}, **extra}


def workload(
    containers: Mapping[str, Mapping[str, Any]] | None = None,
    nodes: Iterable[str] | None = (),
    kind: str = "Deployment",
    replicas: int | None = 1,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": kind,
        "replicas": replicas,
        "labels": {},
        "annotations": {},
        "template_labels": {},
        "template_annotations": {},
        "containers": {k: dict(v) for k, v in (containers or {"app": container()}).items()},
        "nodes": None if nodes is None else sorted(nodes),
    }
    return out | extra


def component(workload: str | None = None, **attributes: Any) -> dict[str, Any]:
    """A component; ``sources`` may be passed among the attributes (it is the one reserved key)."""
    return {"workload": workload, **attributes}


def helm_release(values: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "chart": "chart",
        "chart_version": "1.0.0",
        "app_version": "1.0.0",
        "revision": 1,
        "status": "deployed",
        "values": dict(values or {}),
    }
    return out | fields


def gpu(
    driver: str | None = "535.54.03", cuda: str | None = "12.2", **fields: Any
) -> dict[str, Any]:
    """nvidia-smi facts of one H100 by default; every key the gpu collector writes."""
    devices = fields.pop("devices", [{"name": "NVIDIA H100 80GB HBM3", "mig": False}])
    out: dict[str, Any] = {
        "source": "nvidia-smi",
        "driver_version": driver,
        "cuda_version": cuda,
        "devices": devices,
        "count": None if devices is None else len(devices),
        "product": None if not devices else " + ".join(sorted({d["name"] for d in devices})),
        "mig_strategy": None,
        "error": None,
    }
    return out | fields


def clock(
    synchronized: bool = True, offset: float | None = 0.000012, **fields: Any
) -> dict[str, Any]:
    """chrony facts of a synchronised node by default."""
    out: dict[str, Any] = {
        "source": "chrony",
        "synchronized": synchronized,
        "offset_seconds": offset,
        "stratum": 3,
        "leap_status": "Normal" if synchronized else "Not synchronised",
        "reference": "10.0.0.254",
    }
    return out | fields


def node(roles: Iterable[str] = ("worker",), **fields: Any) -> dict[str, Any]:
    """A node as the nodes collector writes it; pass ``gpu=``/``time=`` for those facts."""
    out: dict[str, Any] = {
        "roles": sorted(roles),
        "internal_ip": "10.0.0.10",
        "kubelet_version": "v1.29.3",
        "container_runtime": "containerd://1.7.13",
        "kernel_version": "5.15.0-105-generic",
        "os_image": "Ubuntu 22.04.4 LTS",
    }
    return out | fields


def failure(target: str, collector: str, error: str) -> dict[str, str]:
    return {"target": target, "collector": collector, "error": error}


def snapshot_dict(
    site: str,
    collected_at: str = STAMP,
    *,
    kubernetes: Mapping[str, Any] | None = None,
    workloads: Mapping[str, Any] | None = None,
    components: Mapping[str, Any] | None = None,
    helm: Mapping[str, Any] | None = None,
    nodes: Mapping[str, Any] | None = None,
    failures: Iterable[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """A whole snapshot's JSON form; sections default to empty, Kubernetes to a v1.29.3 cluster."""
    return {
        "schema": SNAPSHOT_SCHEMA,
        "site": site,
        "collected_at": collected_at,
        "kubernetes": dict(
            kubernetes
            if kubernetes is not None
            else {"server_version": "v1.29.3", "cluster_uid": f"uid-{site}"}
        ),
        "workloads": dict(workloads or {}),
        "components": dict(components or {}),
        "helm": dict(helm or {}),
        "nodes": dict(nodes or {}),
        "failures": [dict(f) for f in failures],
    }


def typed(data: Mapping[str, Any]) -> Snapshot:
    """The typed snapshot of a JSON form (strict: a test building a wrong shape fails here)."""
    return Snapshot.from_dict(dict(data), "test snapshot")


def snapshot(site: str, collected_at: str = STAMP, **sections: Any) -> Snapshot:
    return typed(snapshot_dict(site, collected_at, **sections))


def diff_dicts(
    pairs: Iterable[tuple[str, Mapping[str, Any]]],
    ignore: IgnoreFile | None = None,
    baseline: str | None = None,
) -> DiffReport:
    """``diff_snapshots`` over JSON forms a test has edited, typed first."""
    return diff_snapshots([(site, typed(snap)) for site, snap in pairs], ignore, baseline)
