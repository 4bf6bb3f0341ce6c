"""Each rule kind on built snapshots: pass, block and unknown facts; field-style versions; paths."""

from __future__ import annotations

from typing import Any

import pytest
from policy_builders import SYNCED, platform
from snapshot_kit import clock, helm_release, typed

from driftctl.policy.facts import SiteContext, as_list, resolve_path
from driftctl.policy.load import parse_policy
from driftctl.policy.model import Finding, GateSeverity
from driftctl.policy.rules import REGISTRY


def run(
    rule: dict[str, Any],
    snap: dict[str, Any],
    fleet: dict[str, Any] | None = None,
    *,
    allow_unknown: bool = False,
) -> list[Finding]:
    policy = parse_policy({"rules": [{"id": "r", "severity": "block", **rule}]}, "p.yaml")
    (parsed,) = policy.rules
    site = snap["site"]
    fleet = {s: typed(x) for s, x in (fleet or {site: snap}).items()}
    ctx = SiteContext(site, typed(snap), fleet, allow_unknown=allow_unknown)
    return list(REGISTRY[parsed.kind].check(parsed, ctx))


API = {
    "kind": "api-contract",
    "consumer": {"component": "frontend", "attribute": "parser_api"},
    "provider": {"component": "parser", "attribute": "api_versions"},
}


@pytest.mark.parametrize(
    ("api", "served"),
    [("v1", "v1,v2"), ("v2", ["v2"]), ("v2", " v1 , v2 ")],
    ids=["annotation-string", "yaml-list", "spaces"],
)
def test_api_contract_passes_when_served(api: str, served: Any) -> None:
    assert run(API, platform("s", parser_api=api, api_versions=served)) == []


def test_api_contract_blocks_naming_both_components_and_the_api() -> None:
    (f,) = run(API, platform("s", frontend="2.4.1", parser="2.0.0", api_versions=["v2"]))
    assert f.severity is GateSeverity.BLOCK and not f.unknown
    assert f.message == "r: frontend 2.4.1 calls parser API v1, parser 2.0.0 serves v2"
    assert f.components == ("frontend", "parser")


@pytest.mark.parametrize(
    ("mutate", "text"),
    [
        (
            lambda s: s["components"].pop("frontend"),
            "r: cannot check: component frontend unknown at s "
            "(the site config defines no such component)",
        ),
        (
            lambda s: s["components"]["parser"].pop("api_versions"),
            "r: cannot check: parser api_versions unknown at s (no api_versions recorded)",
        ),
        (
            lambda s: (
                s["components"]["frontend"].update(parser_api=None),
                s["failures"].append(
                    {
                        "target": "components/frontend",
                        "collector": "components",
                        "error": "parser_api (env:PARSER_API_VERSION): no container sets env "
                        "PARSER_API_VERSION",
                    }
                ),
            ),
            "r: cannot check: frontend parser_api unknown at s (collection failed: parser_api "
            "(env:PARSER_API_VERSION): no container sets env PARSER_API_VERSION)",
        ),
    ],
    ids=["no-consumer", "no-provider-attribute", "null-consumer-attribute"],
)
def test_api_contract_unknown_facts_block_saying_why(mutate: Any, text: str) -> None:
    snap = platform("s")
    mutate(snap)
    (f,) = run(API, snap)
    assert f.severity is GateSeverity.BLOCK and f.unknown and f.message == text
    (f,) = run(API, snap, allow_unknown=True)
    assert f.severity is GateSeverity.WARN and f.unknown and f.message == text


def test_unknown_facts_keep_a_warn_rule_a_warning() -> None:
    snap = platform("s")
    del snap["components"]["frontend"]
    policy = parse_policy({"rules": [{"id": "r", "severity": "warn", **API}]}, "p.yaml")
    ctx = SiteContext("s", typed(snap), {"s": typed(snap)})
    (f,) = REGISTRY["api-contract"].check(policy.rules[0], ctx)
    assert f.severity is GateSeverity.WARN and f.unknown


PAIR = {
    "kind": "version-pair",
    "when": {"component": "frontend", "version": ">=3.0"},
    "require": {"component": "parser", "version": ">=2.0,<4"},
}


@pytest.mark.parametrize(
    ("frontend", "parser", "outcome"),
    [
        ("2.3.4", "1.4.2", "pass"),
        ("3.0.1", "2.0.0", "pass"),
        ("v3.1.0", "v2.3.1", "pass"),
        ("3.0.1", "1.4.2", "block"),
        ("3.0.1", "4.0.0", "block"),
        ("3.0.1+k3s1", "1.29.3+k3s1", "block"),
        ("3.2.0-eks-ad4801", "2.1.0-eks-1a2b", "pass"),
        ("2026.11.1", "2.0.0", "pass"),
        ("latest", "2.0.0", "unknown"),
        ("3.0.1", "0c1f2e9a7b", "unknown"),
    ],
    ids=[
        "not-applicable",
        "satisfied",
        "v-prefix",
        "too-old",
        "too-new",
        "k3s-suffix",
        "eks-suffix",
        "calendar-version",
        "latest-tag",
        "commit-hash",
    ],
)
def test_version_pair(frontend: str, parser: str, outcome: str) -> None:
    found = run(PAIR, platform("s", frontend=frontend, parser=parser))
    if outcome == "pass":
        assert found == []
        return
    (f,) = found
    if outcome == "block":
        assert f.severity is GateSeverity.BLOCK
        assert (
            f.message == f"r: frontend {frontend} requires parser >=2.0,<4, found parser {parser}"
        )
    else:
        assert f.severity is GateSeverity.BLOCK and f.unknown
        name, bad = ("frontend", frontend) if frontend == "latest" else ("parser", parser)
        assert f.message == f"r: cannot check: {name} version {bad!r} at s is not a version"


def test_version_pair_missing_component_blocks() -> None:
    snap = platform("s", frontend="3.0.1")
    del snap["components"]["parser"]
    (f,) = run(PAIR, snap)
    assert f.unknown and f.severity is GateSeverity.BLOCK
    assert "cannot check: component parser unknown at s" in f.message


GPU = {"kind": "gpu", "component": "parser", "cuda": ">=12.0"}


def gpu(driver: str | None, cuda: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"driver_version": driver, "cuda_version": cuda, **extra}


@pytest.mark.parametrize(
    "gpus",
    [
        {"g1": gpu("535.54.03", "12.2")},
        {"g1": gpu("525.60.13")},
        {"g1": gpu("610.57.04", "13.2"), "g2": gpu("550.54.15", "12.4")},
    ],
    ids=["a100-535", "exact-minimum-no-cuda", "two-nodes"],
)
def test_gpu_cuda_passes(gpus: dict[str, Any]) -> None:
    rule = {**GPU, "cuda": ">=12.0,<14"}
    assert run(rule, platform("s", gpus=gpus)) == []


def test_gpu_blocks_old_driver_naming_node_and_minimum() -> None:
    gpus = {"g1": gpu("535.54.03", "12.2"), "g2": gpu("470.82.01", "11.4")}
    (f,) = run(GPU, platform("s", parser="2.0.0", gpus=gpus))
    assert f.severity is GateSeverity.BLOCK and f.nodes == ("g2",)
    assert "parser 2.0.0 needs CUDA >=12.0 (driver >= 525.60.13, CUDA 12.0 GA)" in f.message
    assert "g2 has driver 470.82.01 (CUDA 11.4)" in f.message


def test_gpu_reported_cuda_must_satisfy_the_range() -> None:
    (f,) = run(
        {**GPU, "cuda": ">=12.0,<12.4"}, platform("s", gpus={"g1": gpu("550.54.15", "12.4")})
    )
    assert f.severity is GateSeverity.BLOCK and "g1 has driver 550.54.15 (CUDA 12.4)" in f.message


@pytest.mark.parametrize(
    ("driver", "blocked"),
    [("535.104.05", False), ("535", False), ("530.30.02", True)],
    ids=["three-part", "two-part-equal", "older"],
)
def test_gpu_driver_range(driver: str, blocked: bool) -> None:
    found = run(
        {"kind": "gpu", "component": "parser", "driver": ">=535"},
        platform("s", gpus={"g1": gpu(driver)}),
    )
    assert bool(found) is blocked


def test_gpu_unknown_facts_block_naming_node_and_failure() -> None:
    gpus = {"gpu-1": gpu("535.54.03"), "gpu-2": None, "gpu-3": gpu(None, error="driver-not-loaded")}
    snap = platform("s", gpus=gpus)
    snap["failures"].append(
        {"target": "gpu-3", "collector": "gpu", "error": "nvidia-smi: NVIDIA driver not loaded"}
    )
    (f,) = run(GPU, snap)
    assert f.severity is GateSeverity.BLOCK and f.unknown and f.nodes == ("gpu-2", "gpu-3")
    assert f.message == (
        "r: cannot check: GPU driver of nodes gpu-2, gpu-3 (driver-not-loaded) unknown at s "
        "(parser runs there; collection failed: gpu-3: nvidia-smi: NVIDIA driver not loaded)"
    )


def test_gpu_component_without_nodes_cannot_check() -> None:
    snap = platform("s")
    snap["workloads"]["ai-platform/Deployment/parser"]["nodes"] = []
    (f,) = run(GPU, snap)
    assert f.unknown and f.message == (
        "r: cannot check: nodes where parser runs unknown at s (it has no running pods)"
    )
    del snap["workloads"]["ai-platform/Deployment/parser"]
    snap["failures"].append(
        {"target": "kubernetes/pods", "collector": "workloads", "error": "exit 1: refused"}
    )
    (f,) = run(GPU, snap)
    assert f.unknown and f.message == (
        "r: cannot check: nodes where parser runs unknown at s "
        "(collection failed: kubernetes/pods: exit 1: refused)"
    )


TIME = {"kind": "time", "nodes": "control-plane", "synchronized": True, "max_offset_seconds": 0.5}


def test_time_passes_when_synced() -> None:
    assert (
        run(
            TIME,
            platform(
                "s", control_plane={"cp-1": SYNCED, "cp-2": {**SYNCED, "offset_seconds": -0.4}}
            ),
        )
        == []
    )


def test_time_blocks_naming_unsynced_and_drifted_nodes() -> None:
    cps = {
        "cp-1": SYNCED,
        "cp-2": {"synchronized": False, "offset_seconds": 7.8},
        "cp-3": {"synchronized": True, "offset_seconds": -0.9},
    }
    (f,) = run(TIME, platform("s", control_plane=cps))
    assert f.severity is GateSeverity.BLOCK and f.nodes == ("cp-2", "cp-3")
    assert "2 of 3 control-plane nodes off" in f.message
    assert "cp-2 not synchronized (offset +7.8 s)" in f.message
    assert "cp-3 offset -0.9 s beyond ±0.5 s" in f.message


def test_time_unknown_facts_block() -> None:
    cps = {"cp-1": SYNCED, "cp-2": None, "cp-3": {"synchronized": True, "offset_seconds": None}}
    (f,) = run(TIME, platform("s", control_plane=cps))
    assert f.severity is GateSeverity.BLOCK and f.unknown and f.nodes == ("cp-2", "cp-3")
    assert f.message == (
        "r: cannot check: clock of control-plane nodes cp-2 (no time facts), "
        "cp-3 (offset unknown) unknown at s"
    )


def test_time_role_absent_cannot_check_and_all_covers_workers() -> None:
    (f,) = run({**TIME, "nodes": "etcd"}, platform("s"))
    assert f.unknown and f.message == (
        "r: cannot check: nodes with role etcd unknown at s (no such node in the snapshot)"
    )
    snap = platform("s")
    snap["nodes"]["gpu-2"]["time"] = clock(False, 2.5)
    assert run(TIME, snap) == []
    (f,) = run({**TIME, "nodes": "all"}, snap)
    assert f.nodes == ("gpu-2",)


PATH = "helm.ai-platform/docai.values.mcpHub.timeoutSeconds"


@pytest.mark.parametrize(
    ("check", "value", "problem"),
    [
        ({"max": 5}, 3, None),
        ({"max": 5}, 15, "is 15, above max 5"),
        ({"min": 1}, 0, "is 0, below min 1"),
        ({"max": 5}, "15", "is 15, above max 5"),
        ({"equals": 3}, 3, None),
        ({"equals": 3}, 4, "is 4, expected 3"),
        ({"one_of": [1, 3]}, 3, None),
        ({"one_of": [1, 3]}, 15, "expected one of 1,3"),
    ],
    ids=[
        "max-ok",
        "max-block",
        "min-block",
        "numeric-string",
        "equals-ok",
        "equals-block",
        "one-of-ok",
        "one-of-block",
    ],
)
def test_value_checks(check: dict[str, Any], value: Any, problem: str | None) -> None:
    found = run(
        {"kind": "value", "path": PATH, **check}, platform("s", mcp={"timeoutSeconds": value})
    )
    if problem is None:
        assert found == []
    else:
        (f,) = found
        assert f.severity is GateSeverity.BLOCK and problem in f.message and PATH in f.message


def test_value_unknown_path_and_non_number_cannot_check() -> None:
    (f,) = run({"kind": "value", "path": PATH, "max": 5}, platform("s", mcp={}))
    assert f.unknown and f.message == f"r: cannot check: {PATH} unknown at s (not in the snapshot)"
    (f,) = run(
        {"kind": "value", "path": PATH, "max": 5}, platform("s", mcp={"timeoutSeconds": "slow"})
    )
    assert f.unknown and f.message == f"r: cannot check: {PATH} is 'slow' at s, not a number"


def test_value_same_across_sites_names_the_other_values() -> None:
    fleet = {
        s: platform(s, mcp={"timeoutSeconds": t}) for s, t in (("a", 3), ("b", 3), ("utility", 15))
    }
    rule = {"kind": "value", "path": PATH, "same_across_sites": True}
    assert len(run(rule, fleet["a"], fleet)) == 1
    (f,) = run(rule, fleet["utility"], fleet)
    assert "is 15, differs across sites (3 at a, 3 at b)" in f.message
    same = {s: platform(s) for s in ("a", "b")}
    assert run(rule, same["a"], same) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("helm.ai-platform/docai.values.mcpHub.timeoutSeconds", (True, 3)),
        ('helm["ai.v2/x"].values.a', (True, 1)),
        ('helm["ai.v2/x"].values.a.b', (False, None)),
        ("helm.ai.v2/x.values.a", (False, None)),
        ('helm["ai-platform/docai"].values["mcpHub"].timeoutSeconds', (True, 3)),
        ("kubernetes.server_version", (True, "v1.29.3+k3s1")),
        ("nodes.gpu-1.roles.0", (True, "worker")),
        ("nodes.gpu-1.time.synchronized", (True, True)),
        ("nodes.cp-1.gpu", (True, None)),
        ("nodes.cp-1.gpu.driver_version", (False, None)),
        ("components.parser.sources", (False, None)),
        ("nodes.nope", (False, None)),
    ],
    ids=[
        "helm-release-with-slash",
        "quoted-key-with-dots",
        "too-deep",
        "dots-are-separators",
        "quoted-plain-keys",
        "plain",
        "list-index",
        "typed-field",
        "null-gpu",
        "below-null",
        "absent-field",
        "missing",
    ],
)
def test_resolve_path_reads_exact_segments(path: str, expected: tuple[bool, Any]) -> None:
    snap = platform("s")
    snap["helm"]["ai.v2/x"] = helm_release({"a": 1})
    snap["helm"]["ai"] = helm_release({"v2/x": {"values": {"a": 0}}})
    assert resolve_path(typed(snap), path) == expected


def test_as_list_reads_field_spellings() -> None:
    assert as_list("v1,v2") == ["v1", "v2"]
    assert as_list(["v2"]) == ["v2"]
    assert as_list(None) is None
    assert as_list(2) == ["2"]


@pytest.mark.parametrize(
    ("compat", "blocked"), [("toolkit", True), ("minor", False)], ids=["toolkit", "minor"]
)
def test_gpu_minor_version_compatibility(compat: str, blocked: bool) -> None:
    rule = {**GPU, "cuda": ">=12.4", "compat": compat}
    found = run(rule, platform("s", gpus={"g1": gpu("535.54.03")}))
    assert bool(found) is blocked
    if blocked:
        assert "driver >= 550.54.14, CUDA 12.4 GA" in found[0].message
