"""Conformance of the replay API server: the real kubectl reads it (and so can the client)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from replay_k8s.conftest import Replay, kubectl_path, replay_k8s
from replay_k8s.objects import KUBE_SYSTEM_UID

__all__ = ["replay_k8s"]


def kubectl(replay: Replay, *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [
            kubectl_path(),
            "--kubeconfig",
            str(replay.kubeconfig),
            "--cache-dir",
            str(replay.kubeconfig.parent / "kube-cache"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, (args, res.stderr)
    return res


def kubectl_json(replay: Replay, *args: str) -> Any:
    return json.loads(kubectl(replay, *args, "-o", "json").stdout)


def test_kubectl_get_nodes(replay_k8s: Replay) -> None:
    out = kubectl(replay_k8s, "get", "nodes").stdout.split()
    assert {"cp-a30", "gpu-migcfg", "worker-1"} <= set(out)


def test_kubectl_pages_pods_with_chunk_size(replay_k8s: Replay) -> None:
    out = kubectl(replay_k8s, "get", "pods", "-A", "--chunk-size=2").stdout
    assert len(out.strip().splitlines()) == 1 + 7
    pages = [p for _, p in replay_k8s.server.requests if p.startswith("/api/v1/pods")]
    assert len(pages) == 4 and sum("continue=" in p for p in pages) == 3


def test_kubectl_workloads_json(replay_k8s: Replay) -> None:
    doc = kubectl_json(replay_k8s, "get", "deploy,sts,ds", "-A")
    kinds = sorted((i["kind"], i["metadata"]["name"]) for i in doc["items"])
    assert kinds == [
        ("DaemonSet", "nvidia-dcgm-exporter"),
        ("Deployment", "frontend"),
        ("Deployment", "parser"),
        ("StatefulSet", "vector-db"),
    ]


def test_kubectl_helm_secrets_by_label(replay_k8s: Replay) -> None:
    doc = kubectl_json(replay_k8s, "get", "secrets", "-A", "-l", "owner=helm")
    names = sorted(i["metadata"]["name"] for i in doc["items"])
    assert "sh.helm.release.v1.demo2.v1" in names and len(names) == 4
    none = kubectl_json(replay_k8s, "get", "secrets", "-A", "-l", "owner=nobody")
    assert none["items"] == []


def test_kubectl_version_and_get_by_name(replay_k8s: Replay) -> None:
    doc = kubectl_json(replay_k8s, "version")
    assert doc["serverVersion"]["gitVersion"] == "v1.29.3"
    ns = kubectl_json(replay_k8s, "get", "namespace", "kube-system")
    assert ns["metadata"]["uid"] == KUBE_SYSTEM_UID


def test_kubectl_field_selector_and_namespace(replay_k8s: Replay) -> None:
    doc = kubectl_json(replay_k8s, "get", "nodes", "--field-selector", "metadata.name=worker-1")
    assert [i["metadata"]["name"] for i in doc["items"]] == ["worker-1"]
    pods = kubectl_json(replay_k8s, "get", "pods", "-n", "gpu-operator")
    assert len(pods["items"]) == 2


def test_kubectl_is_refused_without_the_token(replay_k8s: Replay) -> None:
    res = subprocess.run(
        [
            kubectl_path(),
            "--kubeconfig",
            str(replay_k8s.kubeconfig),
            "--cache-dir",
            str(replay_k8s.kubeconfig.parent / "kube-cache"),
            "--token",
            "bad",
            "get",
            "nodes",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode != 0 and "You must be logged in" in res.stderr
