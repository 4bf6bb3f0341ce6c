"""The sites the replay server serves: a small realistic one and a large one for the benchmark."""

from __future__ import annotations

import json
from typing import Any

from realdata_kit import real  # recorded GFD labels and pluto's release: read in place

from replay_k8s.objects import (
    DIGEST_A,
    DIGEST_B,
    DIGEST_C,
    KUBE_SYSTEM_UID,
    LOCAL_ID,
    container,
    helm_secret,
    namespace,
    node,
    pod,
    release_doc,
    version_info,
)
from replay_k8s.objects import workload as wl
from replay_k8s.server import Store

CORE, APPS = "/api/v1", "/apis/apps/v1"
PLURAL = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}


def _labels(name: str) -> dict[str, str]:
    return dict(json.loads(real(name).read_text()))


def _add_workload(store: Store, obj: dict[str, Any]) -> None:
    store.add(APPS, PLURAL[obj["kind"]], obj)


def small_site() -> Store:
    """Three nodes (one with real GFD labels, one caught mid MIG reconfiguration), four workloads,
    their pods, and Helm releases: the recorded pluto demo2 Secret, an upgraded one, a broken one."""
    store = Store(version=version_info())
    for name in ("kube-system", "default", "ai-platform", "gpu-operator", "demo2"):
        store.add(
            CORE, "namespaces", namespace(name, KUBE_SYSTEM_UID if name == "kube-system" else None)
        )
    store.add(
        CORE,
        "nodes",
        node("cp-a30", "10.0.0.1", _labels("k8s-node-labels__k3s-a30-gfd-535.json"), 1),
    )
    store.add(
        CORE,
        "nodes",
        node(
            "gpu-migcfg",
            "10.0.0.2",
            _labels("k8s-node-labels__k3s-a30-after-migconfig-gfd-labels-gone.json"),
            1,
        ),
    )
    store.add(
        CORE,
        "nodes",
        node(
            "worker-1",
            "10.0.0.3",
            {"kubernetes.io/hostname": "worker-1", "node-role.kubernetes.io/worker": "true"},
        ),
    )
    parser = wl(
        "Deployment",
        "ai-platform",
        "parser",
        [container("parser", "registry.local/ai/parser:2.1.0")],
        {"app.kubernetes.io/version": "2.1.0"},
        {"driftctl.io/api-versions": "v1,v2"},
        2,
    )
    frontend = wl(
        "Deployment",
        "ai-platform",
        "frontend",
        [
            container(
                "frontend",
                "registry.local/ai/frontend:1.4.0",
                env=[
                    {"name": "PARSER_API_VERSION", "value": "v1"},
                    {
                        "name": "DB_PASSWORD",
                        "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                    },
                ],
            ),
            container("sidecar", "registry.local/ops/envoy:1.29"),
        ],
        {},
        None,
        2,
    )
    frontend["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] = "1.4.0"
    vdb = wl(
        "StatefulSet",
        "ai-platform",
        "vector-db",
        [container("qdrant", "registry.local/ai/qdrant:v1.9.0")],
        {},
    )
    dcgm = wl(
        "DaemonSet",
        "gpu-operator",
        "nvidia-dcgm-exporter",
        [container("exporter", "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.5-3.4.0-ubuntu22.04")],
        {},
        None,
        None,
    )
    for obj in (parser, frontend, vdb, dcgm):
        _add_workload(store, obj)
    pods = [
        pod(
            parser,
            "x7k2p",
            "cp-a30",
            {"parser": f"docker-pullable://registry.local/ai/parser@{DIGEST_A}"},
            "7d4b9c8f6",
        ),
        pod(
            parser,
            "q9z8w",
            "worker-1",
            {"parser": f"registry.local/ai/parser@{DIGEST_A}"},
            "7d4b9c8f6",
        ),
        pod(
            frontend,
            "a1b2c",
            "worker-1",
            {
                "frontend": f"registry.local/ai/frontend@{DIGEST_B}",
                "sidecar": f"registry.local/ops/envoy@{DIGEST_A}",
            },
            "5f6d7c8b9",
        ),
        pod(
            frontend,
            "d3e4f",
            "cp-a30",
            {
                "frontend": f"registry.local/ai/frontend@{DIGEST_C}",
                "sidecar": f"registry.local/ops/envoy@{DIGEST_A}",
            },
            "6c7d8e9f0",
        ),
        pod(vdb, "0", "worker-1", {"qdrant": LOCAL_ID}),
        pod(dcgm, "h5j6k", "cp-a30", {"exporter": f"nvcr.io/nvidia/k8s/dcgm-exporter@{DIGEST_B}"}),
        pod(
            dcgm,
            "m7n8p",
            "gpu-migcfg",
            {"exporter": f"nvcr.io/nvidia/k8s/dcgm-exporter@{DIGEST_B}"},
        ),
    ]
    # StatefulSet pods are named <sts>-<ordinal>, DaemonSet pods <ds>-<random>.
    for p in pods:
        store.add(CORE, "pods", p)
    store.add(
        CORE,
        "secrets",
        json.loads(real("helm-release-secret__pluto-demo2.json").read_text()),
    )
    old = {"mcpHub": {"timeoutSeconds": 3, "backoffSeconds": 1, "initOnStart": True}}
    new = {
        "mcpHub": {"timeoutSeconds": 15, "backoffSeconds": 2, "initOnStart": False},
        "postgres": {"password": "s3cr3t-planted"},
    }
    store.add(
        CORE,
        "secrets",
        helm_secret(
            release_doc("docai", "ai-platform", 1, "superseded", "docai", "1.2.0", "2.0.0", old)
        ),
    )
    store.add(
        CORE,
        "secrets",
        helm_secret(
            release_doc("docai", "ai-platform", 2, "deployed", "docai", "1.3.0", "2.1.0", new)
        ),
    )
    broken = release_doc("broken", "ai-platform", 1, "deployed", "x", "0.1.0", "0.1.0", None)
    store.add(CORE, "secrets", helm_secret(broken, raw_payload="bm90IGJhc2U2NCEh"))
    return store


def big_site(n_pods: int = 10_000, n_workloads: int = 2_000, n_releases: int = 300) -> Store:
    """A large cluster for the benchmark: pods spread over Deployments, StatefulSets, DaemonSets."""
    store = Store(version=version_info())
    store.add(CORE, "namespaces", namespace("kube-system", KUBE_SYSTEM_UID))
    gfd = _labels("k8s-node-labels__k3s-a30-gfd-535.json")
    nodes = [f"node-{i:03d}" for i in range(100)]
    for i, name in enumerate(nodes):
        store.add(CORE, "nodes", node(name, f"10.1.{i // 250}.{i % 250 + 1}", gfd, 1))
    kinds = ("Deployment", "StatefulSet", "DaemonSet")
    per = max(1, n_pods // n_workloads)
    for w in range(n_workloads):
        ns = f"team-{w % 20:02d}"
        kind = kinds[w % 3]
        env = [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": str(w)}]
        obj = wl(
            kind,
            ns,
            f"app-{w:04d}",
            [
                container("main", f"registry.local/app-{w:04d}:1.{w % 7}.0", env),
                container("sidecar", "registry.local/ops/envoy:1.29"),
            ],
            {"app.kubernetes.io/version": f"1.{w % 7}.0"},
            {"team": ns},
            per,
        )
        _add_workload(store, obj)
        for r in range(per):
            ids = {
                "main": f"registry.local/app-{w:04d}@{DIGEST_A}",
                "sidecar": f"registry.local/ops/envoy@{DIGEST_B}",
            }
            rs_hash = "5d8f7c6b9" if kind == "Deployment" else None
            store.add(CORE, "pods", pod(obj, f"{r:05d}", nodes[(w + r) % len(nodes)], ids, rs_hash))
    for r in range(n_releases):
        values = {
            "replicaCount": r % 3 + 1,
            "image": {"tag": f"1.{r}.0"},
            "mcpHub": {"timeoutSeconds": 3},
        }
        doc = release_doc(
            f"rel-{r:03d}", f"team-{r % 20:02d}", 1, "deployed", "chart", "1.0.0", "1.0", values
        )
        store.add(CORE, "secrets", helm_secret(doc))
    return store
