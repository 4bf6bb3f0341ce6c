"""Live Kubernetes API source: read-only lists as dump artifacts, within one phase deadline."""

from __future__ import annotations

import logging
from collections.abc import Callable

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
from driftctl.sources.kube_client import ApiFailure, DeadlineSpent, KubeApi, connect
from driftctl.sources.kube_lists import Keep, ListBody, list_into
from driftctl.strictjson import JsonObject

log = logging.getLogger(__name__)

# (resource path under a namespace or the cluster, kind, apiVersion)
WORKLOAD_RESOURCES = (
    ("/apis/apps/v1", "deployments", "Deployment"),
    ("/apis/apps/v1", "statefulsets", "StatefulSet"),
    ("/apis/apps/v1", "daemonsets", "DaemonSet"),
)


def _typed(kind: str, api_version: str) -> Keep:
    """List items come without kind/apiVersion; put them back as kubectl does."""

    def add(item: JsonObject) -> JsonObject:
        return {"apiVersion": api_version, "kind": kind, **item}

    return add


_NODE = _typed("Node", "v1")


class KubeSource:
    """Lists nodes, workloads, pods, Helm release Secrets, /version and kube-system."""

    name = "kubernetes"

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Progress) -> None:
        settings = config.kubernetes or KubeSettings()
        api = connect(settings)
        namespaces: list[str | None] = list(settings.namespaces) or [None]
        judge = raw.judge
        plan: list[tuple[str, Callable[[], Artifact]]] = [
            (VERSION_PATH, lambda: Artifact(VERSION_PATH, bytes(api.get("/version")))),
            (
                NAMESPACE_PATH,
                lambda: Artifact(NAMESPACE_PATH, bytes(api.get("/api/v1/namespaces/kube-system"))),
            ),
            (
                NODES_PATH,
                lambda: _namespaced(
                    ListBody(NODES_PATH, judge), api, "/api/v1", "nodes", [None], {}, _NODE
                ),
            ),
            (WORKLOADS_PATH, lambda: _workloads(ListBody(WORKLOADS_PATH, judge), api, namespaces)),
            (
                PODS_PATH,
                lambda: _namespaced(
                    ListBody(PODS_PATH, judge), api, "/api/v1", "pods", namespaces, {}, slim_pod
                ),
            ),
            (
                HELM_SECRETS_PATH,
                lambda: _namespaced(
                    ListBody(HELM_SECRETS_PATH, judge),
                    api,
                    "/api/v1",
                    "secrets",
                    namespaces,
                    {"labelSelector": "owner=helm"},
                    _typed("Secret", "v1"),
                ),
            ),
        ]
        progress.start("kubernetes API", len(plan))
        try:
            for index, (path, fetch) in enumerate(plan):
                target = path.removesuffix(".json")
                try:
                    raw.add(fetch())
                    progress.advance(target)
                except ApiFailure as exc:
                    raw.fail(target, "kubernetes", f"{api.where}: {exc}")
                    progress.advance(target, ok=False)
                    if exc.status is None and index == 0 and not isinstance(exc, DeadlineSpent):
                        # Unreachable: do not spend one timeout per list on a dead server.
                        for rest, _ in plan[1:]:
                            raw.fail(
                                rest.removesuffix(".json"), "kubernetes", "API server unreachable"
                            )
                        return
        finally:
            progress.finish()


def _into_namespaced(
    api: KubeApi,
    body: ListBody,
    prefix: str,
    plural: str,
    namespaces: list[str | None],
    query: dict[str, str | int],
    keep: Keep,
) -> None:
    for ns in namespaces:
        path = f"{prefix}/{plural}" if ns is None else f"{prefix}/namespaces/{ns}/{plural}"
        list_into(api, path, body, query, keep)


def _artifact(body: ListBody) -> Artifact:
    # The items as parsed, not a document: the collectors read them, the evidence is judged.
    return Artifact(body.artifact, None, items=body.items(), judged=body.judged())


def _namespaced(
    body: ListBody,
    api: KubeApi,
    prefix: str,
    plural: str,
    namespaces: list[str | None],
    query: dict[str, str | int],
    keep: Keep,
) -> Artifact:
    """One cluster-wide list, or one list per configured namespace, as one List artifact."""
    _into_namespaced(api, body, prefix, plural, namespaces, query, keep)
    return _artifact(body)


def _workloads(body: ListBody, api: KubeApi, namespaces: list[str | None]) -> Artifact:
    for prefix, plural, kind in WORKLOAD_RESOURCES:
        _into_namespaced(api, body, prefix, plural, namespaces, {}, _typed(kind, "apps/v1"))
    return _artifact(body)
