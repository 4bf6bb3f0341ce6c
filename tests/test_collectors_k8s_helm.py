"""Helm release facts from release Secrets: the recorded real Secret, revisions, bad payloads."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from realdata_kit import real
from replay_k8s.objects import helm_secret, release_doc

from driftctl.collectors.helm import HelmCollector
from driftctl.collectors.interface import CollectContext, Facts
from driftctl.config import SiteConfig
from driftctl.model import Artifact, RawSet
from driftctl.strictjson import JsonObject


def pluto() -> dict[str, Any]:
    """FairwindsOps/pluto's recorded release Secret (in ../shared/realdata; skips when absent)."""
    doc = json.loads(real("helm-release-secret__pluto-demo2.json").read_text())
    assert isinstance(doc, dict)
    return doc


def run(secrets: list[dict[str, Any]]) -> Facts:
    raw = RawSet()
    raw.add(
        Artifact(
            "kubernetes/helm-secrets.json", json.dumps({"kind": "List", "items": secrets}).encode()
        )
    )
    config = SiteConfig(site="s", source=Path("s.yaml"))
    return HelmCollector().collect(CollectContext.first(config, raw))


def helm(facts: Facts) -> dict[str, JsonObject]:
    """The releases as the snapshot writes them."""
    return {key: release.to_dict() for key, release in facts.helm.items()}


def rel(
    rev: int, status: str, config: dict[str, Any] | None = None, name: str = "docai"
) -> dict[str, Any]:
    return helm_secret(release_doc(name, "ai", rev, status, "docai", f"1.{rev}.0", "2.0", config))


def test_recorded_real_release_secret() -> None:
    facts = run([pluto()])
    decoded = json.loads(real("helm-release-decoded__pluto-demo2.json").read_text())
    assert helm(facts) == {
        "demo2/demo2": {
            "chart": "basic-demo",
            "chart_version": "0.3.3",
            "app_version": "1.0",
            "revision": 1,
            "status": "deployed",
            "values": {},
            # Installed without user values: `helm get values --all` is the chart's defaults.
            "computed_values": decoded["chart"]["values"],
        }
    }
    assert facts.failures == ()
    assert "manifest" not in json.dumps(helm(facts)) and "templates" not in json.dumps(helm(facts))


def test_uncompressed_payload_is_read_too() -> None:
    doc = release_doc("plain", "ai", 1, "deployed", "c", "0.1.0", "0.1", {"a": {"b": 1}})
    payload = base64.b64encode(base64.b64encode(json.dumps(doc).encode())).decode()
    facts = run([helm_secret(doc, raw_payload=payload)])
    assert helm(facts)["ai/plain"]["values"] == {"a": {"b": 1}}


@pytest.mark.parametrize(
    ("revisions", "expected"),
    [
        ([(1, "superseded"), (2, "deployed"), (3, "failed")], (2, "deployed")),
        ([(1, "failed"), (2, "pending-upgrade")], (2, "pending-upgrade")),
        ([(5, "deployed"), (4, "superseded")], (5, "deployed")),
    ],
    ids=["deployed-beats-newer-failed", "none-deployed-highest", "order-independent"],
)
def test_current_revision(revisions: list[tuple[int, str]], expected: tuple[int, str]) -> None:
    facts = run([rel(r, s, {"timeoutSeconds": r}) for r, s in revisions])
    got = helm(facts)["ai/docai"]
    assert (got["revision"], got["status"]) == expected
    assert got["values"] == {"timeoutSeconds": expected[0]}


@pytest.mark.parametrize(
    "payload",
    [
        "bm90IGJhc2U2NCEh",  # base64 of "not base64!!"
        base64.b64encode(base64.b64encode(b"\x1f\x8b\x08garbage")).decode(),
        base64.b64encode(base64.b64encode(gzip.compress(b"[1, 2]"))).decode(),
        base64.b64encode(base64.b64encode(gzip.compress(b'{"name": "x"'))).decode(),
    ],
    ids=["single-base64", "bad-gzip", "json-not-object", "truncated-json"],
)
def test_malformed_release_is_a_failure_others_parsed(payload: str) -> None:
    broken = helm_secret(
        release_doc("broken", "ai", 1, "deployed", "x", "0.1.0", "0.1", None), raw_payload=payload
    )
    facts = run([broken, rel(1, "deployed", name="good")])
    assert list(helm(facts)) == ["ai/good"]
    [failure] = facts.failures
    assert failure.target == "helm/ai/broken" and "sh.helm.release.v1.broken.v1" in failure.error


def test_unreadable_newer_revision_makes_the_release_unknown() -> None:
    newer = rel(3, "deployed")
    newer["data"]["release"] = "bm90IGJhc2U2NCEh"
    facts = run([rel(2, "deployed"), newer])
    assert helm(facts) == {}
    assert [f.target for f in facts.failures] == ["helm/ai/docai"]


@pytest.mark.parametrize("metadata", [5, "x", [1], None], ids=["int", "str", "list", "null"])
def test_secret_with_non_mapping_metadata_is_skipped_not_a_crash(metadata: Any) -> None:
    facts = run(
        [
            {"kind": "Secret", "metadata": metadata, "type": "helm.sh/release.v1"},
            rel(1, "deployed", name="good"),
        ]
    )
    assert list(helm(facts)) == ["ai/good"]
