"""Discovery documents (``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<v>``) kubectl needs."""

from __future__ import annotations

from typing import Any

VERBS = ["get", "list"]

# (prefix, plural) → (kind, list kind, list apiVersion)
API_RESOURCES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("/api/v1", "nodes"): ("Node", "NodeList", "v1"),
    ("/api/v1", "namespaces"): ("Namespace", "NamespaceList", "v1"),
    ("/api/v1", "pods"): ("Pod", "PodList", "v1"),
    ("/api/v1", "secrets"): ("Secret", "SecretList", "v1"),
    ("/api/v1", "configmaps"): ("ConfigMap", "ConfigMapList", "v1"),
    ("/api/v1", "serviceaccounts"): ("ServiceAccount", "ServiceAccountList", "v1"),
    ("/api/v1", "persistentvolumeclaims"): (
        "PersistentVolumeClaim",
        "PersistentVolumeClaimList",
        "v1",
    ),
    ("/apis/apps/v1", "deployments"): ("Deployment", "DeploymentList", "apps/v1"),
    ("/apis/apps/v1", "statefulsets"): ("StatefulSet", "StatefulSetList", "apps/v1"),
    ("/apis/apps/v1", "daemonsets"): ("DaemonSet", "DaemonSetList", "apps/v1"),
    ("/apis/apps/v1", "replicasets"): ("ReplicaSet", "ReplicaSetList", "apps/v1"),
    ("/apis/batch/v1", "cronjobs"): ("CronJob", "CronJobList", "batch/v1"),
}
RBAC = "/apis/rbac.authorization.k8s.io/v1"
for _kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"):
    API_RESOURCES[(RBAC, _kind.lower() + "s")] = (
        _kind,
        _kind + "List",
        "rbac.authorization.k8s.io/v1",
    )
CLUSTER_SCOPED = {"nodes", "namespaces", "clusterroles", "clusterrolebindings"}
SHORT = {
    "nodes": ["no"],
    "namespaces": ["ns"],
    "pods": ["po"],
    "deployments": ["deploy"],
    "statefulsets": ["sts"],
    "daemonsets": ["ds"],
    "replicasets": ["rs"],
    "configmaps": ["cm"],
    "serviceaccounts": ["sa"],
    "persistentvolumeclaims": ["pvc"],
    "cronjobs": ["cj"],
}


def _resource_list(prefix: str) -> dict[str, Any]:
    resources = [
        {
            "name": plural,
            "singularName": kind.lower(),
            "namespaced": plural not in CLUSTER_SCOPED,
            "kind": kind,
            "verbs": VERBS,
            "shortNames": SHORT.get(plural, []),
        }
        for (pfx, plural), (kind, _, _) in API_RESOURCES.items()
        if pfx == prefix
    ]
    group_version = prefix.removeprefix("/api/").removeprefix("/apis/")
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
    prefixes = {pfx for pfx, _ in API_RESOURCES}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": cidrs}
    if path == "/apis":
        groups = []
        for pfx in sorted(p for p in prefixes if p.startswith("/apis/")):
            group, version = pfx.split("/")[2:4]
            gv = {"groupVersion": f"{group}/{version}", "version": version}
            groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    if path in prefixes:
        return _resource_list(path)
    return None
