"""Rendered manifests: multi-document YAML, List kinds, namespace defaulting, and bad renders."""

from __future__ import annotations

import pytest
import yaml
from gate_kit import SITE_VALUES, helm_template

from driftctl.errors import InputError
from driftctl.release.manifests import parse_manifests

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "parser"},
    "spec": {"template": {"spec": {"containers": [{"name": "parser", "image": "r/p:2.0.0"}]}}},
}


def dump(*docs: object) -> bytes:
    return yaml.safe_dump_all(docs, sort_keys=False).encode()


def test_a_real_helm_render_gives_its_three_workloads() -> None:
    text = helm_template(SITE_VALUES / "savings-bank.yaml")
    found = parse_manifests(text.encode(), "render.yaml", "ai-platform")
    assert sorted(found) == [
        "ai-platform/Deployment/docai",
        "ai-platform/Deployment/frontend",
        "ai-platform/Deployment/parser",
    ]
    frontend = found["ai-platform/Deployment/frontend"]
    assert frontend["metadata"]["namespace"] == "ai-platform"  # defaulted as helm -n does
    assert frontend["metadata"]["labels"]["app.kubernetes.io/version"] == "2.3.4"


def test_list_kinds_and_other_kinds() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "parser"}}
    daemonset = {**DEPLOYMENT, "kind": "DaemonSet", "metadata": {"name": "dp", "namespace": "x"}}
    listed = {"apiVersion": "v1", "kind": "List", "items": [daemonset, service]}
    typed = {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [DEPLOYMENT]}
    found = parse_manifests(dump(listed, None, typed, service), "r.yaml", "ns")
    assert sorted(found) == ["ns/Deployment/parser", "x/DaemonSet/dp"]


def test_an_explicit_namespace_wins_over_the_default() -> None:
    mine = {**DEPLOYMENT, "metadata": {"name": "parser", "namespace": "other"}}
    assert list(parse_manifests(dump(mine), "r.yaml", "ns")) == ["other/Deployment/parser"]


@pytest.mark.parametrize(
    ("data", "namespace", "message"),
    [
        (b"kind: [unclosed\n", "ns", "r.yaml: line 2: not YAML"),
        (b"\xff\xfe\x00", "ns", "r.yaml: not YAML"),
        (dump("hello"), "ns", "r.yaml: document 1 (line 1): not a Kubernetes object (a str)"),
        (
            dump(DEPLOYMENT, {"name": "x"}),
            "ns",
            "r.yaml: document 2 (line 12): not a Kubernetes object (no 'kind')",
        ),
        (
            dump({"kind": "Deployment", "metadata": {"name": "a"}}),
            "ns",
            "not a Kubernetes object (no 'apiVersion')",
        ),
        (
            dump(DEPLOYMENT),
            None,
            "r.yaml: document 1 (line 1): Deployment parser has no metadata.namespace; give "
            "--namespace (as for helm template -n)",
        ),
        (dump(DEPLOYMENT, DEPLOYMENT), "ns", "ns/Deployment/parser is rendered twice"),
        (
            dump({**DEPLOYMENT, "metadata": {"name": "Bad/Name"}}),
            "ns",
            "Deployment has no valid metadata.name ('Bad/Name')",
        ),
        (
            dump({**DEPLOYMENT, "metadata": {"name": "parser\n"}}),
            "ns",
            "Deployment has no valid metadata.name ('parser\\n')",
        ),
        (
            dump({"apiVersion": "v1", "kind": "List", "items": ["x"]}),
            "ns",
            "r.yaml: document 1 (line 1): item 1: not a Kubernetes object (a str)",
        ),
        (
            b"apiVersion: apps/v1\nkind: Deployment\nmetadata: &m {name: a}\nspec: {x: *m}\n",
            "ns",
            "YAML aliases are not allowed in a render",
        ),
    ],
    ids=[
        "not-yaml",
        "not-utf8",
        "scalar-document",
        "no-kind",
        "no-api-version",
        "no-namespace",
        "twice",
        "bad-name",
        "name-with-newline",
        "list-of-scalars",
        "alias",
    ],
)
def test_bad_renders_are_bad_input(data: bytes, namespace: str | None, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_manifests(data, "r.yaml", namespace)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
