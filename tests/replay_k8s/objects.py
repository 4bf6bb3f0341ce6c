"""Kubernetes objects for the replay server: a small site and a big one, from our own fixture fleet."""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

FLEET_KUBE = Path(__file__).resolve().parents[2] / "fixtures" / "sites" / "capital" / "dump"
FLEET_KUBE = FLEET_KUBE / "kubernetes"
KUBE_SYSTEM_UID = "6f1c1c8e-4b7e-4f0e-9d35-0c1f7a2b9e11"
CREATED = "2026-11-01T08:00:00Z"

# A running container's status as the kubelet reports it; name, image and ids are set per pod.
CONTAINER_STATUS: dict[str, Any] = {
    "containerID": "",
    "image": "",
    "imageID": "",
    "lastState": {},
    "name": "",
    "ready": True,
    "restartCount": 0,
    "started": True,
    "state": {"running": {"startedAt": CREATED}},
}
DIGEST_A = "sha256:" + hashlib.sha256(b"registry.local/ai/parser:2.0.0").hexdigest()
DIGEST_B = "sha256:" + "b" * 64
DIGEST_C = "sha256:" + "c" * 64
LOCAL_ID = "sha256:" + "d" * 64


def version_info() -> dict[str, str]:
    """The server ``version.Info`` of the fixture fleet, with every field the client checks."""
    doc = json.loads((FLEET_KUBE / "version.json").read_text())
    return dict(doc["serverVersion"])


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{namespace or 'cluster'}-{name}",
        "resourceVersion": "4242",
        "creationTimestamp": CREATED,
    }
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def namespace(name: str, uid: str | None = None) -> dict[str, Any]:
    meta = _meta(name, labels={"kubernetes.io/metadata.name": name})
    if uid:
        meta["uid"] = uid
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta,
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def node(name: str, ip: str, labels: dict[str, str], gpus: int = 0) -> dict[str, Any]:
    capacity = {"cpu": "16", "memory": "65843228Ki", "pods": "110"}
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(name, labels=dict(labels)),
        "spec": {"podCIDR": "10.42.0.0/24"},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastHeartbeatTime": CREATED,
                    "lastTransitionTime": CREATED,
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": "b",
                "containerRuntimeVersion": "containerd://1.7.23-k3s2",
                "kernelVersion": "5.15.0-124-generic",
                "kubeProxyVersion": "v1.29.3",
                "kubeletVersion": "v1.29.3",
                "machineID": "m",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.5 LTS",
                "systemUUID": "s",
            },
        },
    }


def container(name: str, image: str, env: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if env:
        out["env"] = env
    return out


def workload(
    kind: str,
    ns: str,
    name: str,
    containers: list[dict[str, Any]],
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    replicas: int | None = 1,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name, **labels}, "annotations": dict(annotations or {})},
            "spec": {
                "containers": containers,
                "restartPolicy": "Always",
                "dnsPolicy": "ClusterFirst",
            },
        },
    }
    if kind != "DaemonSet":
        spec["replicas"] = replicas
    if kind == "StatefulSet":
        spec["serviceName"] = name
    meta = _meta(
        name, ns, labels={"app": name, **labels}, annotations=dict(annotations or {}), generation=1
    )
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": meta,
        "spec": spec,
        "status": {"replicas": replicas or 0},
    }


def pod(
    owner: dict[str, Any],
    suffix: str,
    node_name: str,
    image_ids: dict[str, str],
    rs_hash: str | None = None,
) -> dict[str, Any]:
    ns, wname, kind = owner["metadata"]["namespace"], owner["metadata"]["name"], owner["kind"]
    labels = dict(owner["spec"]["template"]["metadata"]["labels"])
    if rs_hash:
        labels["pod-template-hash"] = rs_hash
        ref_kind, ref_name, ref_api = "ReplicaSet", f"{wname}-{rs_hash}", "apps/v1"
    else:
        ref_kind, ref_name, ref_api = kind, wname, "apps/v1"
    name = f"{ref_name}-{suffix}"
    spec = copy.deepcopy(owner["spec"]["template"]["spec"])
    spec["nodeName"] = node_name
    statuses = []
    for c in spec["containers"]:
        status = copy.deepcopy(CONTAINER_STATUS)
        status.update(
            {
                "name": c["name"],
                "image": c["image"],
                "imageID": image_ids.get(c["name"], ""),
                "containerID": "containerd://" + "e" * 64,
            }
        )
        statuses.append(status)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(
            name,
            ns,
            labels=labels,
            ownerReferences=[
                {
                    "apiVersion": ref_api,
                    "kind": ref_kind,
                    "name": ref_name,
                    "uid": f"uid-{ref_name}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        ),
        "spec": spec,
        "status": {
            "phase": "Running",
            "podIP": "10.42.0.10",
            "hostIP": "10.0.0.1",
            "containerStatuses": statuses,
        },
    }


def helm_secret(
    release: dict[str, Any], status: str | None = None, raw_payload: str | None = None
) -> dict[str, Any]:
    """A release Secret encoded exactly as Helm v3 does (JSON → gzip → base64), then by the API."""
    name, ns, rev = release["name"], release["namespace"], release["version"]
    if raw_payload is None:
        helm_b64 = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0))
        raw_payload = base64.b64encode(helm_b64).decode()
    labels = {
        "name": name,
        "owner": "helm",
        "status": status or release["info"]["status"],
        "version": str(rev),
        "modifiedAt": "1700000000",
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": _meta(f"sh.helm.release.v1.{name}.v{rev}", ns, labels=labels),
        "data": {"release": raw_payload},
    }


def release_doc(
    name: str,
    ns: str,
    rev: int,
    status: str,
    chart: str,
    chart_version: str,
    app_version: str,
    config: dict[str, Any] | None,
) -> dict[str, Any]:
    """A decoded release: the fixture fleet's docai release with another name, chart and values."""
    secret = json.loads((FLEET_KUBE / "helm-secrets.json").read_text())["items"][0]
    blob = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    base = json.loads(gzip.decompress(blob))
    base.pop("config", None)
    base.update({"name": name, "namespace": ns, "version": rev})
    base["info"] = dict(base["info"], status=status)
    base["chart"]["metadata"] = dict(
        base["chart"]["metadata"], name=chart, version=chart_version, appVersion=app_version
    )
    if config is not None:
        base["config"] = config
    return base
