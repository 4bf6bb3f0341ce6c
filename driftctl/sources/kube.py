"""Live Kubernetes API source: read-only lists written as the same artifacts a dump has (§6)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from driftctl.config import KubeSettings, SiteConfig
from driftctl.dump_layout import (
    HELM_SECRETS_PATH,
    NAMESPACE_PATH,
    NODES_PATH,
    PODS_PATH,
    VERSION_PATH,
    WORKLOADS_PATH,
)
from driftctl.model import Artifact, RawSet
from driftctl.parsers.kube_objects import slim_pod
from driftctl.progress import Progress
from driftctl.sources.kube_client import ApiFailure, KubeApi, connect

log = logging.getLogger(__name__)

# (resource path under a namespace or the cluster, kind, apiVersion)
WORKLOAD_RESOURCES = (
    ("/apis/apps/v1", "deployments", "Deployment"),
    ("/apis/apps/v1", "statefulsets", "StatefulSet"),
    ("/apis/apps/v1", "daemonsets", "DaemonSet"),
)


def _compact(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _as_list(items: list[dict[str, Any]]) -> bytes:
    """A ``List`` document as ``kubectl get -o json`` writes it (compact)."""
    return _compact(
        {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
    )


def _typed(kind: str, api_version: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """List items come without kind/apiVersion; put them back as kubectl does."""

    def add(item: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": api_version, "kind": kind, **item}

    return add


class KubeSource:
    """Lists nodes, workloads, pods, Helm release Secrets, /version and kube-system."""

    name = "kubernetes"

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Progress) -> None:
        settings = config.kubernetes or KubeSettings()
        api = connect(settings)
        namespaces: list[str | None] = list(settings.namespaces) or [None]
        plan: list[tuple[str, Callable[[], bytes]]] = [
            (VERSION_PATH, lambda: api.get("/version")),
            (NAMESPACE_PATH, lambda: api.get("/api/v1/namespaces/kube-system")),
            (
                NODES_PATH,
                lambda: _as_list(api.list_items("/api/v1/nodes", keep=_typed("Node", "v1"))),
            ),
            (WORKLOADS_PATH, lambda: _as_list(_workloads(api, namespaces))),
            (
                PODS_PATH,
                lambda: _as_list(_namespaced(api, "/api/v1", "pods", namespaces, {}, slim_pod)),
            ),
            (
                HELM_SECRETS_PATH,
                lambda: _as_list(
                    _namespaced(
                        api,
                        "/api/v1",
                        "secrets",
                        namespaces,
                        {"labelSelector": "owner=helm"},
                        _typed("Secret", "v1"),
                    )
                ),
            ),
        ]
        progress.start("kubernetes API", len(plan))
        try:
            for index, (path, fetch) in enumerate(plan):
                target = path.removesuffix(".json")
                try:
                    raw.add(Artifact(path=path, data=fetch()))
                    progress.advance(target)
                except ApiFailure as exc:
                    raw.fail(target, "kubernetes", f"{api.where}: {exc}")
                    progress.advance(target, ok=False)
                    if exc.status is None and index == 0:
                        # Unreachable: do not spend one timeout per list on a dead server.
                        for rest, _ in plan[1:]:
                            raw.fail(
                                rest.removesuffix(".json"), "kubernetes", "API server unreachable"
                            )
                        return
        finally:
            progress.finish()


def _namespaced(
    api: KubeApi,
    prefix: str,
    plural: str,
    namespaces: list[str | None],
    query: dict[str, str | int],
    keep: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """One cluster-wide list, or one list per configured namespace, merged."""
    items: list[dict[str, Any]] = []
    for ns in namespaces:
        path = f"{prefix}/{plural}" if ns is None else f"{prefix}/namespaces/{ns}/{plural}"
        items.extend(api.list_items(path, query, keep))
    return items


def _workloads(api: KubeApi, namespaces: list[str | None]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for prefix, plural, kind in WORKLOAD_RESOURCES:
        items.extend(_namespaced(api, prefix, plural, namespaces, {}, _typed(kind, "apps/v1")))
    return items
