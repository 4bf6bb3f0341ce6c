"""The test builders make the snapshots the collectors make: the same fields, nothing invented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bundle_kit import snapshot as bundle_snapshot
from policy_builders import financial_group, public_institution
from schema_kit import validator
from snapshot_kit import (
    clock,
    component,
    container,
    gpu,
    helm_release,
    node,
    snapshot_dict,
    typed,
    workload,
)

from driftctl.config import load_site_config
from driftctl.pipeline import collect_site

SITES = Path(__file__).parent.parent / "fixtures" / "sites"
FLEET = sorted(p.name for p in SITES.iterdir() if (p / "site.yaml").exists())


def fields(doc: Any, schema: dict[str, Any] | None = None, path: str = "") -> set[str]:
    """Every field path of a snapshot, free keys (node names, labels…) written ``*``.

    Which objects have free keys comes from the published schema; below Helm values and
    component attributes (any JSON) nothing is a field.
    """
    root = validator("snapshot").schema
    schema = root if schema is None else schema
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    for option in schema.get("anyOf", ()):
        if option.get("type") != "null" and doc is not None:
            return fields(doc, option, path)
    out = {path} if path else set()
    if isinstance(doc, dict) and "properties" in schema:
        for key, value in doc.items():
            sub = schema["properties"].get(key)
            out |= fields(value, sub, f"{path}.{key}") if sub else {f"{path}.<attribute>"}
    elif isinstance(doc, dict) and isinstance(schema.get("additionalProperties"), dict):
        for value in doc.values():
            out |= fields(value, schema["additionalProperties"], f"{path}.*")
    elif isinstance(doc, list) and "items" in schema:
        for value in doc:
            out |= fields(value, schema["items"], f"{path}[]")
    return out


@pytest.fixture(scope="module")
def collector_fields() -> set[str]:
    found: set[str] = set()
    for site in FLEET:
        config = load_site_config(SITES / site / "site.yaml")
        found |= fields(collect_site(config, from_dump=SITES / site / "dump").snapshot.to_dict())
    return found


def every_builder() -> list[dict[str, Any]]:
    """What the test suite builds: the kit's parts in each variant, and the older builders."""
    gfd = {"source": "gfd", "driver_version": "535.104.05", "cuda_version": "12.2",
           "product": "NVIDIA A30", "count": 1, "mig_strategy": "single"}  # fmt: skip
    measured = clock(root_delay=0.001, root_dispersion=0.002, error_bound_seconds=0.003)
    kit = snapshot_dict(
        "kit",
        kubernetes={"server_version": "v1.29.3", "cluster_uid": "u", "platform": "linux/amd64"},
        workloads={
            "ns/Deployment/a": workload(
                {
                    "a": container(
                        "r/a:1", "sha256:aa", env={"A": "1"}, env_from={"S": "secretKeyRef"}
                    )
                },
                ["n1"],
                labels={"app": "a"},
                annotations={"x": "y"},
                template_labels={"app": "a"},
            )
        },
        components={
            "a": component("ns/Deployment/a", version="1", sources={"version": "image_tag"})
        },
        helm={"ns/a": helm_release({"x": 1})},
        nodes={
            "n1": node(gpu=gpu(), time=measured),
            "n2": node(gpu=gfd, time=clock(False, None)),
            "n3": node(["control-plane"], gpu=None, time=clock()),
            "n4": node(gpu=gpu(None, None, devices=None, error="driver-not-loaded")),
        },
        failures=[{"target": "t", "collector": "c", "error": "e"}],
    )
    older = [bundle_snapshot("b")] + [s.snapshot.to_dict() for s in financial_group()]
    return [kit, *older, public_institution().snapshot.to_dict()]


def test_every_builder_makes_a_valid_snapshot() -> None:
    for doc in every_builder():
        typed(doc)  # strict: unknown, missing or mistyped keys fail here


def test_builders_emit_only_fields_the_collectors_write(collector_fields: set[str]) -> None:
    built = set().union(*(fields(d) for d in every_builder()))
    invented = built - collector_fields
    assert not invented, f"builders invent fields the collectors never write: {sorted(invented)}"


def test_builders_can_make_every_field_the_collectors_write(collector_fields: set[str]) -> None:
    built = set().union(*(fields(d) for d in every_builder()))
    missing = collector_fields - built
    assert not missing, f"collectors write fields no builder makes: {sorted(missing)}"
