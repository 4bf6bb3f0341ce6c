"""Workload facts: image digests joined from pods through ownerReferences, intra-site drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from replay_k8s.objects import DIGEST_A, DIGEST_B, DIGEST_C, LOCAL_ID
from replay_k8s.scenario import small_site

from driftctl.collectors.interface import CollectContext, Facts
from driftctl.collectors.workloads import WorkloadsCollector
from driftctl.config import SiteConfig
from driftctl.model import Artifact, RawSet
from driftctl.parsers.kube_objects import normalize_image_id, pod_owner


def as_list(items: list[dict[str, Any]]) -> bytes:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).encode()


def site_raw(with_pods: bool = True) -> RawSet:
    store = small_site()
    raw = RawSet()
    workloads = [
        o
        for (prefix, plural), objs in store.objects.items()
        if prefix == "/apis/apps/v1"
        for o in objs
    ]
    raw.add(Artifact("kubernetes/workloads.json", as_list(workloads)))
    if with_pods:
        raw.add(Artifact("kubernetes/pods.json", as_list(store.objects[("/api/v1", "pods")])))
    return raw


def run(raw: RawSet) -> Facts:
    config = SiteConfig(site="s", source=Path("s.yaml"))
    return WorkloadsCollector().collect(CollectContext.first(config, raw))


def workloads(facts: Facts) -> dict[str, Any]:
    """The workloads as the snapshot writes them."""
    return {key: w.to_dict() for key, w in facts.workloads.items()}


@pytest.mark.parametrize(
    ("image_id", "expected"),
    [
        (f"docker-pullable://registry.local/ai/parser@{DIGEST_A}", DIGEST_A),
        (f"docker.io/lsieun/kiada@{DIGEST_B}", DIGEST_B),
        (f"registry.local:5000/a/b@{DIGEST_C}", DIGEST_C),
        (LOCAL_ID, LOCAL_ID),
        (f"docker://{LOCAL_ID}", LOCAL_ID),
        ("", None),
    ],
    ids=[
        "docker-pullable-recorded",
        "containerd-repo-digest",
        "registry-port",
        "bare-image-id",
        "docker-scheme",
        "empty",
    ],
)
def test_normalize_image_id(image_id: str, expected: str | None) -> None:
    assert normalize_image_id(image_id) == expected


def _pod(kind: str, name: str, pth: str | None = None, controller: bool = True) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": "p",
        "namespace": "ns",
        "ownerReferences": [{"kind": kind, "name": name, "controller": controller}],
    }
    if pth:
        meta["labels"] = {"pod-template-hash": pth}
    return {"metadata": meta}


@pytest.mark.parametrize(
    ("pod", "owner"),
    [
        (_pod("ReplicaSet", "web-api-5d8f7c6b9", "5d8f7c6b9"), "ns/Deployment/web-api"),
        (_pod("ReplicaSet", "standalone-rs"), None),
        (_pod("StatefulSet", "db"), "ns/StatefulSet/db"),
        (_pod("DaemonSet", "exporter"), "ns/DaemonSet/exporter"),
        (_pod("Job", "backup-123"), None),
        ({"metadata": {"name": "bare", "namespace": "ns"}}, None),
    ],
    ids=["deployment-via-rs", "rs-without-hash", "statefulset", "daemonset", "job", "bare-pod"],
)
def test_pod_owner(pod: dict[str, Any], owner: str | None) -> None:
    assert pod_owner(pod) == owner


def test_digests_and_nodes_are_joined_from_pods() -> None:
    facts = run(site_raw())
    w = workloads(facts)
    parser = w["ai-platform/Deployment/parser"]
    assert parser["containers"]["parser"] == {
        "image": "registry.local/ai/parser:2.1.0",
        "image_id": DIGEST_A,
        "env": {},
    }
    assert parser["replicas"] == 2 and parser["nodes"] == ["cp-a30", "worker-1"]
    assert w["ai-platform/StatefulSet/vector-db"]["containers"]["qdrant"]["image_id"] == LOCAL_ID
    ds = w["gpu-operator/DaemonSet/nvidia-dcgm-exporter"]
    assert ds["nodes"] == ["cp-a30", "gpu-migcfg"] and ds["replicas"] is None


def test_two_digests_under_one_workload_are_intra_site_drift() -> None:
    facts = run(site_raw())
    frontend = workloads(facts)["ai-platform/Deployment/frontend"]["containers"]["frontend"]
    assert frontend["image_id"] is None
    assert frontend["image_ids"] == [DIGEST_B, DIGEST_C]
    assert frontend["env"] == {"PARSER_API_VERSION": "v1"}
    assert frontend["env_from"] == {"DB_PASSWORD": "secretKeyRef"}
    [failure] = facts.failures
    assert failure.target == "workloads/ai-platform/Deployment/frontend"
    assert failure.error.startswith("containers differ: frontend runs 2 digests")


def test_without_pods_digests_and_nodes_are_unknown() -> None:
    facts = run(site_raw(with_pods=False))
    parser = workloads(facts)["ai-platform/Deployment/parser"]
    assert parser["containers"]["parser"]["image_id"] is None and parser["nodes"] is None
    assert [f.target for f in facts.failures] == ["kubernetes/pods"]


def test_last_applied_configuration_never_reaches_the_snapshot() -> None:
    raw = site_raw()
    doc = json.loads(raw.artifacts["kubernetes/workloads.json"].data or b"")
    doc["items"][0]["metadata"]["annotations"][
        "kubectl.kubernetes.io/last-applied-configuration"
    ] = '{"env":"s3cr3t"}'
    raw.add(Artifact("kubernetes/workloads.json", json.dumps(doc).encode()))
    assert "s3cr3t" not in json.dumps(workloads(run(raw)))


def test_failed_kubectl_output_is_a_failure() -> None:
    raw = RawSet()
    raw.add(
        Artifact(
            "kubernetes/workloads.json",
            b"",
            stderr=b"Error from server (Forbidden): deployments.apps is forbidden",
            rc=1,
        )
    )
    facts = run(raw)
    assert facts.workloads == {}
    assert "exit 1: Error from server (Forbidden)" in facts.failures[0].error


def test_secret_named_env_values_stay_out_of_workload_facts_but_rules_read_them() -> None:
    from driftctl.config import ComponentRule
    from driftctl.pipeline import run_collectors

    raw = site_raw()
    doc = json.loads(raw.artifacts["kubernetes/workloads.json"].data or b"")
    parser = next(i for i in doc["items"] if i["metadata"]["name"] == "parser")
    parser["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "API_TOKEN", "value": "tok-planted-123"},
        {"name": "MODE", "value": "prod"},
    ]
    raw.add(Artifact("kubernetes/workloads.json", json.dumps(doc).encode()))
    rule = ComponentRule(
        "parser",
        "ai-platform/Deployment/parser",
        (("token", "env:API_TOKEN"), ("version", "env:MODE")),
    )
    config = SiteConfig(site="s", source=Path("s.yaml"), components=(rule,))
    snap = run_collectors(config, raw, "2026-01-01T00:00:00Z").to_dict()
    assert snap["workloads"]["ai-platform/Deployment/parser"]["containers"]["parser"]["env"] == {
        "MODE": "prod"
    }
    # The component attribute carries it; the pipeline's redactor tokenises secret env attributes.
    assert snap["components"]["parser"] == {
        "workload": "ai-platform/Deployment/parser",
        "sources": {"token": "env:API_TOKEN", "version": "env:MODE"},
        "token": "tok-planted-123",
        "version": "prod",
    }


def test_an_image_that_is_not_a_string_costs_that_workload_only() -> None:
    raw = site_raw()
    doc = json.loads(raw.artifacts["kubernetes/workloads.json"].data or b"")
    parser = next(i for i in doc["items"] if i["metadata"]["name"] == "parser")
    parser["spec"]["template"]["spec"]["containers"][0]["image"] = ["not", "a", "string"]
    raw.add(Artifact("kubernetes/workloads.json", json.dumps(doc).encode()))
    facts = run(raw)
    assert "ai-platform/Deployment/parser" not in facts.workloads
    assert "ai-platform/Deployment/frontend" in facts.workloads
    assert (
        "workloads/ai-platform/Deployment/parser",
        "container parser: image: expected a string, got an array",
    ) in [(f.target, f.error) for f in facts.failures]
