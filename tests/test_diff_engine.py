"""The N-way engine on field-case snapshots: it points at the frontend, the Helm timeout, GPUs, clocks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from snapshot_kit import diff_dicts

from driftctl.diff import DiffReport
from driftctl.errors import InputError

SITES = Path(__file__).parent / "golden" / "diff" / "sites"
NAMES = ("capital", "savings-bank", "utility")


def load(name: str) -> dict[str, Any]:
    return json.loads((SITES / f"{name}.json").read_text())


def field_report(**kw: Any) -> DiffReport:
    return diff_dicts([(n, load(n)) for n in NAMES], **kw)


def by_key(report: DiffReport) -> dict[str, Any]:
    return {f.key: f for f in report.findings}


def test_field_cases_point_straight_at_the_causes() -> None:
    keys = by_key(field_report())
    version = keys["components.frontend.version"]
    assert version.severity == "error" and version.sites == ("savings-bank",)
    assert version.values == {"capital": "3.1.0", "savings-bank": "2.4.0", "utility": "3.1.0"}
    assert keys["components.frontend.parser_api"].values["savings-bank"] == "v1"
    timeout = keys["helm.ai/docai.values.mcpHub.timeoutSeconds"]
    assert (timeout.severity, timeout.values["utility"], timeout.values["capital"]) == (
        "warn",
        15,
        3,
    )
    gpu = keys["nodes.gpu.driver_version"]
    assert gpu.severity == "error"
    assert gpu.values["savings-bank"] == {"535.104.05": 1, "550.54.15": 3}
    assert "nodes disagree within site savings-bank: 535.104.05 on sb-gpu-3" in gpu.message
    clock = keys["nodes[control-plane].time.synchronized"]
    assert clock.severity == "error" and clock.sites == ("utility",)
    assert "ut-cp-2, ut-cp-3 not synchronized" in clock.message
    assert keys["nodes.time.max_abs_offset_seconds"].values["utility"] == 2.5


def test_errors_come_first_and_noise_is_absent() -> None:
    report = field_report()
    ranks = [f.severity.rank for f in report.findings]
    assert ranks == sorted(ranks, reverse=True)
    keys = by_key(report)
    # registry mirrors, version spellings, quantities, revisions, cluster uids, node names: equal
    for quiet in (
        "workloads.ai-platform/Deployment/parser.containers.parser.image",
        "workloads.ai-platform/Deployment/parser.containers.parser.image_id",
        "helm.ai/docai.values.resources.limits.cpu",
        "helm.ai/docai.values.resources.limits.memory",
        "helm.ai/docai.revision",
        "helm.ai/docai.values.managedFields",
        "helm.ai/docai.values.db.password",
        "kubernetes.cluster_uid",
        "workloads.ai-platform/Deployment/frontend.template_labels.pod-template-hash",
    ):
        assert quiet not in keys, quiet
    assert report.summary_line().startswith("compared 3 sites, ")


def test_unknown_is_not_changed() -> None:
    keys = by_key(field_report())
    server = keys["kubernetes.server_version"]  # capital's kubectl version failed
    assert server.values["capital"] is None
    assert (server.severity, server.kind) == ("info", "unknown")
    assert server.message == (
        "unknown at capital; 1.29.3 at savings-bank / v1.29.3-eks-ad4801 at utility"
        " (these compare equal)"
    )
    assert server.unknown["capital"].startswith("kubernetes/version: ")
    redacted = keys["helm.ai/docai.values.apiKey"]  # no fleet key at utility: cannot compare
    assert (redacted.severity, redacted.kind, redacted.sites) == ("info", "unknown", ("utility",))


def test_absent_without_a_failure_is_drift_and_with_one_is_unknown() -> None:
    a, b = load("capital"), load("savings-bank")
    del b["helm"]["ai/docai"]["values"]["mcpHub"]["initOnStart"]
    keys = by_key(diff_dicts([("a", a), ("b", b)]))
    assert keys["helm.ai/docai.values.mcpHub.initOnStart"].kind == "drift"
    assert "absent at b" in keys["helm.ai/docai.values.mcpHub.initOnStart"].message
    b["failures"] = [{"target": "helm/ai/docai", "collector": "helm", "error": "bad secret"}]
    keys = by_key(diff_dicts([("a", a), ("b", b)]))
    assert keys["helm.ai/docai.values.mcpHub.initOnStart"].severity == "info"
    assert keys["helm.ai/docai.values.mcpHub.initOnStart"].kind == "unknown"


def test_two_digests_in_one_workload_is_intra_site_drift() -> None:
    a, b = load("capital"), load("savings-bank")
    c = b["workloads"]["ai-platform/Deployment/parser"]["containers"]["parser"]
    c["image_ids"] = ["sha256:" + "ab" * 32, "sha256:" + "cd" * 32]
    c["image_id"] = None
    keys = by_key(diff_dicts([("a", a), ("b", b), ("c", copy.deepcopy(a))]))
    f = keys["workloads.ai-platform/Deployment/parser.containers.parser.image_id"]
    assert (f.severity, f.sites) == ("error", ("b",))
    assert "pods disagree within site b" in f.message


def test_same_tokens_equal_different_tokens_drift() -> None:
    a, b = load("capital"), load("savings-bank")
    b["helm"]["ai/docai"]["values"]["db"]["password"] = "$dctok$v1$0a1b2c3d$" + "Z" * 22
    keys = by_key(diff_dicts([("a", a), ("b", b)]))
    assert keys["helm.ai/docai.values.db.password"].kind == "drift"
    assert "helm.ai/docai.values.apiKey" not in keys  # same token at both


def test_baseline_reads_others_against_the_golden_site() -> None:
    report = field_report(baseline="utility")
    keys = by_key(report)
    timeout = keys["helm.ai/docai.values.mcpHub.timeoutSeconds"]
    assert timeout.sites == ("capital", "savings-bank")
    assert timeout.message.startswith("differs from baseline 15 at utility: 3 at ")
    assert keys["components.frontend.version"].sites == ("savings-bank",)
    assert set(keys["components.frontend.version"].values) == set(NAMES)


def test_per_role_clock_keys_and_site_without_disagreement() -> None:
    b = copy.deepcopy(load("utility"))
    for node in b["nodes"].values():
        node["time"]["synchronized"] = True
        node["time"]["offset_seconds"] = 0.001
        node["time"]["leap_status"] = "Normal"
    keys = by_key(diff_dicts([("capital", load("capital")), ("utility", b)]))
    assert not any(".time." in k for k in keys), sorted(keys)


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"baseline": "nowhere"}, "--baseline: unknown site 'nowhere'")],
    ids=["unknown-baseline"],
)
def test_bad_arguments_are_input_errors(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        field_report(**kw)


def test_same_site_twice_is_an_input_error() -> None:
    with pytest.raises(InputError, match="given twice"):
        diff_dicts([("a", load("capital")), ("a", load("capital"))])


def test_k3s_master_role_and_clock_measurements_are_not_drift() -> None:
    a, b = load("capital"), copy.deepcopy(load("capital"))
    for node in b["nodes"].values():
        if node["roles"] == ["control-plane"]:
            node["roles"] = ["control-plane", "master"]  # k3s labels both
        node["time"].update(root_delay=0.5, root_dispersion=0.25, error_bound_seconds=0.75)
    for node in a["nodes"].values():
        node["time"].update(root_delay=0.001, root_dispersion=0.002, error_bound_seconds=0.003)
    b["helm"]["ai/docai"]["values"]["image"] = {"repository": "mirror.b.local/ai/docai"}
    a["helm"]["ai/docai"]["values"]["image"] = {"repository": "registry.a.local/ai/docai"}
    assert diff_dicts([("a", a), ("b", b)]).findings == ()


def test_a_site_without_control_plane_labels_is_unknown_not_drift() -> None:
    a, b = load("capital"), copy.deepcopy(load("capital"))
    for node in b["nodes"].values():
        node["roles"] = []
    keys = by_key(diff_dicts([("a", a), ("b", b)]))
    assert {f.kind for f in keys.values()} == {"unknown"}
    assert keys["nodes[control-plane].time.synchronized"].severity == "info"


def test_values_that_compare_equal_each_show_their_own_reading() -> None:
    # capital and utility run the same frontend tag from different registries: one group when
    # compared, but the note must not show capital's registry for utility (it did).
    image = by_key(field_report())[
        "workloads.ai-platform/Deployment/frontend.containers.frontend.image"
    ]
    assert "registry.capital.local/ai/frontend:3.1.0 at capital / " in image.message
    assert "docker.io/ai/frontend:3.1.0 at utility (these compare equal)" in image.message
    assert "at capital, utility" not in image.message
