"""Node facts from recorded node labels: roles, GFD GPU labels (new, old, vanished)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from realdata_kit import real

from driftctl.collectors.interface import CollectContext, Facts
from driftctl.collectors.nodes import GFD_ABSENT, NodesCollector, gfd_gpu, node_roles
from driftctl.config import SiteConfig
from driftctl.model import Artifact, RawSet
from driftctl.strictjson import JsonObject


def labels(name: str) -> dict[str, str]:
    text = real(name).read_text()
    if name.endswith(".txt"):  # a recorded excerpt that starts with "..."
        text = "{" + text.split("...", 1)[1]
    return dict(json.loads(text))


def node(name: str, node_labels: dict[str, str], ip: str = "10.0.0.1") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": node_labels},
        "status": {
            "addresses": [
                {"type": "Hostname", "address": name},
                {"type": "InternalIP", "address": ip},
            ],
            "nodeInfo": {"kubeletVersion": "v1.29.3+k3s1"},
        },
    }


def run(nodes: list[dict[str, Any]] | bytes | None) -> Facts:
    raw = RawSet()
    if nodes is not None:
        data = (
            nodes
            if isinstance(nodes, bytes)
            else json.dumps({"kind": "List", "items": nodes}).encode()
        )
        raw.add(Artifact("kubernetes/nodes.json", data))
    config = SiteConfig(site="s", source=Path("s.yaml"))
    return NodesCollector().collect(CollectContext.first(config, raw))


def nodes(facts: Facts) -> dict[str, JsonObject]:
    """The nodes as the snapshot writes them."""
    return {name: node.to_dict() for name, node in facts.nodes.items()}


def test_new_gfd_labels_give_driver_and_cuda() -> None:
    facts = run([node("a30", labels("k8s-node-labels__k3s-a30-gfd-535.json"))])
    n = nodes(facts)["a30"]
    assert n["gpu"] == {
        "source": "gfd",
        "driver_version": "535.183.01",
        "cuda_version": "12.2",
        "product": "NVIDIA-A30",
        "count": 1,
        "mig_strategy": "single",
    }
    assert n["roles"] == ["control-plane", "master"]
    assert n["internal_ip"] == "10.0.0.1" and n["kubelet_version"] == "v1.29.3+k3s1"
    assert facts.failures == ()


def test_old_split_gfd_labels_keep_the_leading_zero() -> None:
    gpu = gfd_gpu(labels("k8s-node-labels__gfd-mig-single-460-partial.txt"))
    assert gpu is not None
    assert gpu.driver_version == "460.73.01"
    assert gpu.cuda_version == "11.2"
    assert gpu.product == "A100-PCIE-40GB-MIG-1g.5gb" and gpu.count == 7


def test_vanished_gfd_labels_are_unknown_not_no_gpu() -> None:
    facts = run(
        [node("a30", labels("k8s-node-labels__k3s-a30-after-migconfig-gfd-labels-gone.json"))]
    )
    assert nodes(facts)["a30"]["gpu"] is None
    assert [(f.target, f.error) for f in facts.failures] == [("nodes/a30", GFD_ABSENT)]


def test_node_without_gpu_has_no_gpu_fact() -> None:
    facts = run([node("cpu-1", {"kubernetes.io/role": "worker"})])
    assert "gpu" not in nodes(facts)["cpu-1"]
    assert nodes(facts)["cpu-1"]["roles"] == ["worker"]


@pytest.mark.parametrize(
    ("node_labels", "roles"),
    [
        (
            {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "true"},
            ["control-plane", "etcd"],
        ),
        ({"kubernetes.io/role": "master", "node-role.kubernetes.io/master": ""}, ["master"]),
        ({}, []),
    ],
    ids=["control-plane-etcd", "legacy-and-new-same", "none"],
)
def test_roles(node_labels: dict[str, str], roles: list[str]) -> None:
    assert node_roles(node_labels) == tuple(roles)


@pytest.mark.parametrize(
    ("data", "needle"),
    [(None, "not collected"), (b"{not json", "invalid JSON"), (b'{"kind": "Node"}', "no 'items'")],
    ids=["missing", "malformed", "not-a-list"],
)
def test_unusable_node_list_is_a_failure(data: bytes | None, needle: str) -> None:
    facts = run(data)
    assert facts.nodes == {}
    assert len(facts.failures) == 1 and needle in facts.failures[0].error


def test_vanished_labels_are_not_a_failure_when_nvidia_smi_answered() -> None:
    raw = RawSet()
    gone = labels("k8s-node-labels__k3s-a30-after-migconfig-gfd-labels-gone.json")
    raw.add(Artifact("kubernetes/nodes.json", json.dumps({"items": [node("a30", gone)]}).encode()))
    xml = real("nvidia-smi-qx__telegraf-a100-sxm4-mig.xml").read_bytes()
    raw.add(Artifact("nodes/a30/nvidia-smi.xml", xml))
    config = SiteConfig(site="s", source=Path("s.yaml"))
    facts = NodesCollector().collect(CollectContext.first(config, raw))
    assert nodes(facts)["a30"]["gpu"] is None and facts.failures == ()


def test_a_version_that_is_not_a_string_costs_that_node_only() -> None:
    bad = node("bad", {"kubernetes.io/role": "worker"})
    bad["status"]["nodeInfo"]["kubeletVersion"] = 129
    facts = run([bad, node("good", {})])
    assert list(facts.nodes) == ["good"]
    assert [(f.target, f.error) for f in facts.failures] == [
        ("nodes/bad", "status.nodeInfo.kubeletVersion: expected a string, got an integer")
    ]
