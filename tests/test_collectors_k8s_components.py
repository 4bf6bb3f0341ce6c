"""Component rules (docs/site-config.md) over workload and Helm facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snapshot_kit import container, helm_release, snapshot, workload

from driftctl.collectors.components import ComponentsCollector, image_tag
from driftctl.collectors.interface import CollectContext, Facts
from driftctl.config import ComponentRule, SiteConfig

DIGEST = "sha256:" + "a" * 64
# What the workloads and helm collectors learned before the components collector runs.
KNOWN = snapshot(
    "s",
    workloads={
        "ai/Deployment/frontend": workload(
            {
                "proxy": container(
                    "registry.local/ops/envoy:1.29", DIGEST, env={"PARSER_API_VERSION": "v9"}
                ),
                "frontend": container(
                    "registry.local:5000/ai/frontend:3.0.1",
                    None,
                    image_ids=[DIGEST, "sha256:" + "b" * 64],
                    env={"PARSER_API_VERSION": "v2"},
                    env_from={"API_TOKEN": "secretKeyRef"},
                ),
            },
            labels={"app": "frontend"},
            annotations={"driftctl.io/api-versions": "v1,v2"},
            template_labels={"app.kubernetes.io/version": "3.0.1"},
        ),
        "ai/StatefulSet/db": workload({"pg": container("postgres@" + DIGEST)}, kind="StatefulSet"),
    },
    helm={
        "ai/docai": helm_release({"mcpHub": {"timeoutSeconds": 15, "urls": ["a", "b"]}}),
        "other/docai": helm_release({}),
        "ai/parser": helm_release({"image": {"tag": "2.0.0"}}),
    },
)


def run(*rules: tuple[str, str | None, str]) -> Facts:
    comps = tuple(
        ComponentRule(name, workload, (("version", rule),)) for name, workload, rule in rules
    )
    config = SiteConfig(site="s", source=Path("s.yaml"), components=comps)
    return ComponentsCollector().collect(CollectContext(config=config, raw=None, known=KNOWN))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("registry.local:5000/ai/frontend:3.0.1", "3.0.1"),
        ("registry.local:5000/ai/frontend", None),
        ("nginx", None),
        ("repo/x:1.2@" + DIGEST, "1.2"),
        ("repo/x@" + DIGEST, None),
    ],
    ids=["registry-port", "no-tag-with-port", "bare", "tag-and-digest", "digest-only"],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


@pytest.mark.parametrize(
    ("workload", "rule", "value"),
    [
        ("ai/Deployment/frontend", "image_tag", "3.0.1"),  # the container named like the component
        ("ai/Deployment/frontend", "label:app.kubernetes.io/version", "3.0.1"),  # template fallback
        ("ai/Deployment/frontend", "annotation:driftctl.io/api-versions", "v1,v2"),  # kept raw
        ("ai/Deployment/frontend", "env:PARSER_API_VERSION", "v2"),
        ("ai/StatefulSet/db", "image_digest", DIGEST),
        (None, "helm:ai/docai:mcpHub.timeoutSeconds", 15),
        (None, "helm:parser:image.tag", "2.0.0"),
        (None, "helm:ai/docai:mcpHub.urls", ["a", "b"]),
    ],
    ids=[
        "image-tag",
        "label-template",
        "annotation-raw",
        "env",
        "digest-from-ref",
        "helm-ns",
        "helm-bare-name",
        "helm-list",
    ],
)
def test_rule_values(workload: str | None, rule: str, value: Any) -> None:
    facts = run(("frontend", workload, rule))
    assert facts.components["frontend"].to_dict() == {
        "workload": workload,
        "sources": {"version": rule},  # how it was read, for a release to be read alike
        "version": value,
    }
    assert facts.failures == ()


@pytest.mark.parametrize(
    ("workload", "rule", "needle"),
    [
        (
            "ai/Deployment/frontend",
            "env:API_TOKEN",
            "env API_TOKEN of container frontend comes from a secretKeyRef",
        ),
        ("ai/Deployment/frontend", "env:NOPE", "no container sets env NOPE"),
        (
            "ai/Deployment/frontend",
            "image_digest",
            "no single running digest for container frontend",
        ),
        ("ai/Deployment/frontend", "label:nope", "no label 'nope'"),
        (None, "helm:docai:mcpHub.timeoutSeconds", "ambiguous (ai/docai, other/docai)"),
        (None, "helm:ai/missing:x", "helm release ai/missing not found"),
        (None, "helm:ai/docai:mcpHub.nope", "has no value mcpHub.nope"),
        ("ai/Deployment/ghost", "image_tag", "workload ai/Deployment/ghost not found"),
    ],
    ids=[
        "env-secret-ref",
        "env-missing",
        "digest-drift",
        "label-missing",
        "helm-ambiguous",
        "helm-missing",
        "helm-path",
        "workload-missing",
    ],
)
def test_rule_misses_are_failures_naming_component_and_rule(
    workload: str | None, rule: str, needle: str
) -> None:
    facts = run(("frontend", workload, rule))
    assert facts.components["frontend"].version is None
    [failure] = facts.failures
    assert failure.target == "components/frontend" and failure.collector == "components"
    assert needle in failure.error
    if workload != "ai/Deployment/ghost":
        assert rule in failure.error


def test_helm_rules_read_what_the_templates_see_when_it_is_known() -> None:
    """computed_values holds the chart's defaults too: a tag left to the chart is still read."""
    known = snapshot(
        "s",
        helm={
            "ai/docai": helm_release(
                {"mcpHub": {"timeoutSeconds": 15}},
                computed_values={"mcpHub": {"timeoutSeconds": 15}, "image": {"tag": "1.8.0"}},
            )
        },
    )
    rule = ComponentRule("docai", None, (("version", "helm:ai/docai:image.tag"),))
    config = SiteConfig(site="s", source=Path("s.yaml"), components=(rule,))
    out = ComponentsCollector().collect(CollectContext(config=config, raw=None, known=known))  # type: ignore[arg-type]
    assert out.components["docai"].version == "1.8.0" and out.failures == ()
