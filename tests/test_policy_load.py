"""Policy loading: the packaged default, its manifests copy, and strict errors naming file/rule/key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from driftctl.errors import InputError
from driftctl.policy.load import load_policy, parse_policy
from driftctl.policy.rules import REGISTRY

ROOT = Path(__file__).parent.parent
GOOD = {
    "api-contract": {
        "consumer": {"component": "frontend", "attribute": "parser_api"},
        "provider": {"component": "parser", "attribute": "api_versions"},
    },
    "version-pair": {
        "when": {"component": "frontend", "version": ">=3.0"},
        "require": {"component": "parser", "version": ">=2.0,<4"},
    },
    "gpu": {"component": "parser", "cuda": ">=12.0"},
    "time": {"nodes": "control-plane", "synchronized": True, "max_offset_seconds": 0.5},
    "value": {"path": "helm.ai/docai.values.mcpHub.timeoutSeconds", "max": 5},
}


def rule(kind: str, rule_id: str = "r1", **extra: object) -> dict[str, object]:
    return {"id": rule_id, "kind": kind, "severity": "block", **GOOD[kind], **extra}


def test_packaged_default_policy_loads_and_uses_every_kind() -> None:
    policy = load_policy(None)
    assert policy.source == "packaged default (manifests/compat.yaml)"
    assert {r.kind for r in policy.rules} == set(REGISTRY)
    ids = [r.id for r in policy.rules]
    assert "frontend-parser-api" in ids and "control-plane-clock" in ids
    assert "parser-needs-cuda12" in ids and "mcp-timeout" in ids


def test_manifests_copy_is_identical_to_the_packaged_policy() -> None:
    packaged = (ROOT / "driftctl" / "data" / "compat.yaml").read_bytes()
    assert (ROOT / "manifests" / "compat.yaml").read_bytes() == packaged
    assert len(load_policy(ROOT / "manifests" / "compat.yaml").rules) == len(
        load_policy(None).rules
    )


@pytest.mark.parametrize("kind", sorted(GOOD), ids=sorted(GOOD))
def test_every_kind_parses(kind: str) -> None:
    policy = parse_policy({"rules": [rule(kind)]}, "p.yaml")
    assert policy.rules[0].kind == kind


BAD = [
    (
        {"rules": [{**rule("api-contract", "frontend-parser-api"), "consumr": {}}]},
        "p.yaml: rule 'frontend-parser-api': unknown key 'consumr'",
    ),
    (
        {"rules": [{"kind": "gpu", "severity": "block"}]},
        "p.yaml: rule #1: missing required key 'id'",
    ),
    (
        {"rules": [rule("gpu", "a"), rule("time", "a")]},
        "p.yaml: rule 'a': duplicate id",
    ),
    (
        {"rules": [{**rule("gpu"), "kind": "gpus"}]},
        "p.yaml: rule 'r1': key 'kind': unknown kind 'gpus'",
    ),
    (
        {"rules": [rule("version-pair", when={"component": "f", "version": ">=three"})]},
        "p.yaml: rule 'r1': when: key 'version': bad version specifier '>=three'",
    ),
    (
        {"rules": [rule("gpu", cuda="=>12")]},
        "p.yaml: rule 'r1': key 'cuda': bad version specifier '=>12'",
    ),
    (
        {"rules": [rule("gpu", cuda=">=99")]},
        "p.yaml: rule 'r1': key 'cuda': '>=99' matches no CUDA release",
    ),
    (
        {"rules": [{**rule("gpu"), "severity": "fatal"}]},
        "p.yaml: rule 'r1': key 'severity' must be block or warn",
    ),
    (
        {"rules": [{"id": "x", "kind": "gpu", "component": "p", "cuda": ">=12"}]},
        "missing required key 'severity'",
    ),
    (
        {"rules": [{"id": "x", "kind": "gpu", "severity": "warn", "component": "p"}]},
        "p.yaml: rule 'x': needs key 'cuda' or 'driver'",
    ),
    (
        {"rules": [{"id": "x", "kind": "value", "severity": "warn", "path": "a.b"}]},
        "p.yaml: rule 'x': needs one of",
    ),
    ({"rules": [rule("value", max="five")]}, "p.yaml: rule 'r1': key 'max' must be a number"),
    (
        {"rules": [rule("value", path="helm.*.values.x", max=1)]},
        "p.yaml: rule 'r1': key 'path': 'helm.*.values.x': bad segment at 5",
    ),
    ({"rules": [rule("time", synchronized="yes")]}, "key 'synchronized' must be true or false"),
    (
        {"rules": [rule("api-contract", consumer={"component": "f"})]},
        "p.yaml: rule 'r1': consumer: missing required key 'attribute'",
    ),
    ({"rules": {"id": "x"}}, "p.yaml: key 'rules' must be a list"),
    ({"rules": [], "extra": 1}, "p.yaml: unknown key 'extra'"),
    ([1, 2], "p.yaml: expected a mapping"),
]


@pytest.mark.parametrize(
    ("doc", "message"),
    BAD,
    ids=[
        "unknown-key",
        "missing-id",
        "duplicate-id",
        "unknown-kind",
        "bad-specifier",
        "bad-cuda-specifier",
        "cuda-matches-nothing",
        "bad-severity",
        "missing-severity",
        "gpu-without-range",
        "value-without-check",
        "value-max-not-number",
        "value-path-with-glob",
        "time-bool",
        "nested-missing-key",
        "rules-not-list",
        "top-unknown-key",
        "not-a-mapping",
    ],
)
def test_policy_errors_name_file_rule_and_key(doc: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_policy(doc, "p.yaml")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_policy_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "compat.yaml"
    path.write_text(
        yaml.safe_dump({"rules": [{**rule("api-contract", "frontend-parser-api"), "consumr": 1}]})
    )
    with pytest.raises(
        InputError, match=r"compat.yaml: rule 'frontend-parser-api': unknown key 'consumr'"
    ):
        load_policy(path)
    with pytest.raises(InputError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")


def test_gpu_compat_key_is_validated() -> None:
    with pytest.raises(
        InputError, match=r"p\.yaml: rule 'r1': key 'compat' must be toolkit or minor"
    ):
        parse_policy({"rules": [rule("gpu", compat="major")]}, "p.yaml")
    with pytest.raises(InputError, match="key 'compat' needs key 'cuda'"):
        parse_policy(
            {
                "rules": [
                    {
                        "id": "g",
                        "kind": "gpu",
                        "severity": "warn",
                        "component": "p",
                        "driver": ">=535",
                        "compat": "minor",
                    }
                ]
            },
            "p.yaml",
        )
