"""Normalisation: equal things (quantities, image refs, versions, key order, tokens) never differ."""

from __future__ import annotations

from typing import Any

import pytest
from snapshot_kit import diff_dicts, helm_release, snapshot_dict

from driftctl.diff.normalize import comparable, image_identity, key_kind, parse_quantity

EQUAL = [
    ("helm.r.values.resources.limits.cpu", "1000m", "1"),
    ("helm.r.values.resources.limits.cpu", "0.5", "500m"),
    ("helm.r.values.resources.limits.cpu", 0.5, "500m"),
    ("helm.r.values.resources.requests.memory", "1Gi", "1024Mi"),
    ("helm.r.values.cache.size", "2Gi", "2048Mi"),  # a quantity string outside resources
    ("workloads.a/Deployment/x.containers.c.image", "nginx", "docker.io/library/nginx:latest"),
    ("workloads.a/Deployment/x.containers.c.image", "reg.a.local/ai/p:1.0", "reg.b:5000/ai/p:1.0"),
    (
        "workloads.a/Deployment/x.containers.c.image",
        "reg.a/ai/p:1.0@sha256:" + "a" * 64,
        "reg.b/ai/p:1.1@sha256:" + "a" * 64,
    ),
    (
        "workloads.a/Deployment/x.containers.c.image_id",
        "docker-pullable://reg.a/ai/p@sha256:" + "b" * 64,
        "sha256:" + "b" * 64,
    ),
    ("kubernetes.server_version", "v1.29.3+k3s1", "1.29.3"),
    ("kubernetes.server_version", "v1.29.3-eks-ad4801", "1.29.3"),
    ("helm.r.chart_version", "v4.2.0", "4.2.0"),
    ("nodes.gpu.cuda_version", 12.4, "12.4"),
    ("helm.r.values.map", {"b": 1, "a": 2}, {"a": 2, "b": 1}),
    ("helm.r.values.map", {"a": 1, "managedFields": [1]}, {"a": 1}),
    ("helm.r.values.token", "$dctok$v1$0a1b2c3d$" + "Q" * 22, "$dctok$v1$0a1b2c3d$" + "Q" * 22),
]
DIFFERENT = [
    ("helm.r.values.resources.limits.cpu", "1", "2"),
    ("helm.r.values.timeout", "5m", "300"),  # not a resource key: "5m" may be a duration
    ("workloads.a/Deployment/x.containers.c.image", "reg.a/ai/p:1.0", "reg.a/ai/p:1.1"),
    ("workloads.a/Deployment/x.containers.c.image", "reg.a/ai/p:1.0", "reg.a/other/p:1.0"),
    (
        "workloads.a/Deployment/x.containers.c.image",
        "reg.a/ai/p@sha256:" + "a" * 64,
        "reg.a/ai/p@sha256:" + "c" * 64,
    ),
    ("kubernetes.server_version", "v1.29.3", "v1.29.4"),
    ("kernel", "5.15.0-91-generic", "5.15.0-105-generic"),
    ("helm.r.values.flag", True, "true"),
    ("helm.r.values.flag", True, 1),
    ("helm.r.values.token", "$dctok$v1$0a1b2c3d$" + "Q" * 22, "$dctok$v1$0a1b2c3d$" + "R" * 22),
]


@pytest.mark.parametrize(("key", "a", "b"), EQUAL, ids=[f"{a}={b}" for _, a, b in EQUAL])
def test_equal_values_compare_equal(key: str, a: Any, b: Any) -> None:
    kind = key_kind(key)
    assert comparable(kind, a) == comparable(kind, b)


@pytest.mark.parametrize(("key", "a", "b"), DIFFERENT, ids=[f"{a}!={b}" for _, a, b in DIFFERENT])
def test_different_values_compare_different(key: str, a: Any, b: Any) -> None:
    kind = key_kind(key)
    assert comparable(kind, a) != comparable(kind, b)


@pytest.mark.parametrize(
    "value",
    ["<redacted>", "postgres://app:<redacted>@db:5432/x", ["a", "<redacted>"], None],
    ids=["marker", "marker-in-uri", "marker-in-list", "null"],
)
def test_redacted_and_null_are_unknown(value: Any) -> None:
    assert comparable("plain", value) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1000m", 1), ("1Gi", 1024**3), ("1e3", 1000), ("1.5k", 1500), ("abc", None), ("1Gb", None)],
    ids=["milli", "gibi", "exponent", "kilo", "word", "bad-suffix"],
)
def test_parse_quantity(text: str, expected: int | None) -> None:
    assert parse_quantity(text) == expected


def test_image_identity_drops_registry_host_and_keeps_digest() -> None:
    assert image_identity("localhost:5000/ai/p:2") == "ai/p:2"
    assert image_identity("nginx@sha256:" + "d" * 64) == "library/nginx@sha256:" + "d" * 64


def _site(name: str, **over: Any) -> dict[str, Any]:
    helm = {"ns/r": helm_release({}, chart="c")}
    return snapshot_dict(name, f"2026-11-2{len(name) % 9}T00:00:00Z", **({"helm": helm} | over))


def _release(**fields: Any) -> dict[str, Any]:
    return helm_release(fields.pop("values"), **fields)


def test_noise_only_snapshots_show_no_drift() -> None:
    a = _site(
        "a",
        kubernetes={"server_version": "v1.29.3+k3s1", "cluster_uid": "u1"},
        helm={
            "ns/r": _release(
                chart="c",
                chart_version="v1.0.0",
                revision=7,
                values={"resources": {"limits": {"cpu": "1000m"}}, "x": {"p": 1, "q": 2}},
            )
        },
    )
    b = _site(
        "b",
        kubernetes={"server_version": "1.29.3", "cluster_uid": "u2"},
        helm={
            "ns/r": _release(
                chart="c",
                chart_version="1.0.0",
                revision=3,
                values={
                    "x": {"q": 2, "p": 1, "resourceVersion": "991", "status": {"ok": True}},
                    "resources": {"limits": {"cpu": 1}},
                },
            )
        },
    )
    report = diff_dicts([("a", a), ("b", b)])
    assert report.findings == (), [f.key for f in report.findings]
    assert report.facts > 0


def test_displayed_value_stays_the_original() -> None:
    a = _site("a", kubernetes={"server_version": "v1.29.3+k3s1", "cluster_uid": "u"})
    b = _site("b", kubernetes={"server_version": "v1.30.0", "cluster_uid": "u"})
    (finding,) = diff_dicts([("a", a), ("b", b)]).findings
    assert finding.values == {"a": "v1.29.3+k3s1", "b": "v1.30.0"}
