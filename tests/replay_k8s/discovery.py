"""Discovery documents (``/api``, ``/apis``, ``/api/v1``, ``/apis/apps/v1``) kubectl needs."""

from __future__ import annotations

from typing import Any

VERBS = ["get", "list"]

# (prefix, plural) → (kind, list kind, list apiVersion)
API_RESOURCES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("/api/v1", "nodes"): ("Node", "NodeList", "v1"),
    ("/api/v1", "namespaces"): ("Namespace", "NamespaceList", "v1"),
    ("/api/v1", "pods"): ("Pod", "PodList", "v1"),
    ("/api/v1", "secrets"): ("Secret", "SecretList", "v1"),
    ("/apis/apps/v1", "deployments"): ("Deployment", "DeploymentList", "apps/v1"),
    ("/apis/apps/v1", "statefulsets"): ("StatefulSet", "StatefulSetList", "apps/v1"),
    ("/apis/apps/v1", "daemonsets"): ("DaemonSet", "DaemonSetList", "apps/v1"),
    ("/apis/apps/v1", "replicasets"): ("ReplicaSet", "ReplicaSetList", "apps/v1"),
}
SHORT = {
    "nodes": ["no"],
    "namespaces": ["ns"],
    "pods": ["po"],
    "deployments": ["deploy"],
    "statefulsets": ["sts"],
    "daemonsets": ["ds"],
    "replicasets": ["rs"],
}


def _resource_list(prefix: str, group_version: str) -> dict[str, Any]:
    resources = []
    for (pfx, plural), (kind, _, _) in API_RESOURCES.items():
        if pfx != prefix:
            continue
        resources.append(
            {
                "name": plural,
                "singularName": kind.lower(),
                "namespaced": plural not in ("nodes", "namespaces"),
                "kind": kind,
                "verbs": VERBS,
                "shortNames": SHORT.get(plural, []),
            }
        )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def discovery_doc(path: str, url: str) -> dict[str, Any] | None:
    """The discovery document at ``path``, or None when ``path`` is not a discovery path."""
    address = url.removeprefix("https://")
    cidrs = [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}]
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": cidrs}
    if path == "/apis":
        apps = {"groupVersion": "apps/v1", "version": "v1"}
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [{"name": "apps", "versions": [apps], "preferredVersion": apps}],
        }
    if path == "/api/v1":
        return _resource_list("/api/v1", "v1")
    if path == "/apis/apps/v1":
        return _resource_list("/apis/apps/v1", "apps/v1")
    return None
