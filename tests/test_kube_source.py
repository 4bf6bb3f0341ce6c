"""The live Kubernetes source against the replay API server: facts, paging, faults, TLS, auth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from replay_k8s.conftest import CONTEXT, TOKEN, Replay, replay_k8s, write_kubeconfig
from replay_k8s.objects import DIGEST_A, KUBE_SYSTEM_UID
from replay_k8s.server import Fault
from replay_k8s.tls import other_ca_pem

from driftctl.config import ComponentRule, KubeSettings, SiteConfig, load_site_config
from driftctl.errors import InputError, OperationalError
from driftctl.model import RawSet
from driftctl.pipeline import collect_site
from driftctl.progress import NullProgress
from driftctl.sources.kube import KubeSource

__all__ = ["replay_k8s"]


def site(kubeconfig: Path, **kube: Any) -> SiteConfig:
    settings = KubeSettings(kubeconfig=str(kubeconfig), **kube)
    return SiteConfig(site="replay-site", source=Path("site.yaml"), kubernetes=settings)


def collect(kubeconfig: Path, **kube: Any) -> dict[str, Any]:
    return collect_site(site(kubeconfig, **kube), sources=[KubeSource()]).snapshot.to_dict()


def failures_of(snapshot: dict[str, Any], target: str) -> list[str]:
    return [f["error"] for f in snapshot["failures"] if f["target"] == target]


def test_live_collection_reads_every_fact_family(replay_k8s: Replay) -> None:
    snap = collect(replay_k8s.kubeconfig, page_size=2)
    assert snap["kubernetes"] == {
        "server_version": "v1.29.3",
        "platform": "linux/amd64",
        "cluster_uid": KUBE_SYSTEM_UID,
    }
    parser = snap["workloads"]["ai-platform/Deployment/parser"]
    assert parser["containers"]["parser"]["image_id"] == DIGEST_A
    assert parser["nodes"] == ["cp-a30", "worker-1"]
    assert snap["nodes"]["cp-a30"]["gpu"]["driver_version"] == "535.183.01"
    assert snap["helm"]["ai-platform/docai"]["revision"] == 2
    assert snap["helm"]["demo2/demo2"]["chart_version"] == "0.3.3"
    # Only GETs, every list paged with the configured page size.
    methods = {m for m, _ in replay_k8s.server.requests}
    assert methods == {"GET"}
    pods = [p for _, p in replay_k8s.server.requests if p.startswith("/api/v1/pods")]
    assert len(pods) == 4 and all("limit=2" in p for p in pods)


def test_kubeconfig_from_site_yaml_and_context_override(replay_k8s: Replay, tmp_path: Path) -> None:
    # Two contexts: the current one points at a dead port, the configured one at the replay server.
    kc = write_kubeconfig(tmp_path / "kc", replay_k8s.url, replay_k8s.pki.ca_pem)
    text = kc.read_text().replace(f"current-context: {CONTEXT}", "current-context: nowhere")
    text = text.replace(
        "contexts:\n",
        "contexts:\n- context: {cluster: dead, user: replay-user}\n  name: nowhere\n",
        1,
    )
    text = text.replace(
        "clusters:\n", "clusters:\n- cluster: {server: 'https://127.0.0.1:9'}\n  name: dead\n", 1
    )
    kc.write_text(text)
    cfg = tmp_path / "site.yaml"
    cfg.write_text(
        f"site: bank\nkubernetes: {{context: {CONTEXT}, kubeconfig: {kc}, namespaces: [ai-platform]}}\n"
    )
    snap = collect_site(load_site_config(cfg), sources=[KubeSource()]).snapshot.to_dict()
    assert sorted(snap["workloads"]) == [
        "ai-platform/Deployment/frontend",
        "ai-platform/Deployment/parser",
        "ai-platform/StatefulSet/vector-db",
    ]
    assert list(snap["helm"]) == ["ai-platform/docai"]
    paths = [p for _, p in replay_k8s.server.requests]
    assert "/api/v1/namespaces/ai-platform/secrets?labelSelector=owner%3Dhelm&limit=500" in paths
    assert not any(p.startswith("/api/v1/secrets") for p in paths)


def test_kubeconfig_env_is_used(replay_k8s: Replay, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(replay_k8s.kubeconfig))
    config = SiteConfig(site="s", source=Path("s.yaml"), kubernetes=KubeSettings())
    snap = collect_site(config, sources=[KubeSource()]).snapshot.to_dict()
    assert snap["kubernetes"]["cluster_uid"] == KUBE_SYSTEM_UID


def test_401_is_operational_error_naming_context_and_server(
    replay_k8s: Replay, tmp_path: Path
) -> None:
    kc = write_kubeconfig(tmp_path / "kc", replay_k8s.url, replay_k8s.pki.ca_pem, token="wrong")
    with pytest.raises(OperationalError) as err:
        collect(kc)
    msg = str(err.value)
    assert "401" in msg and f"context {CONTEXT}" in msg and replay_k8s.url in msg
    assert "\n" not in msg


def test_wrong_ca_is_operational_error_with_tls_reason(replay_k8s: Replay, tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", replay_k8s.url, other_ca_pem())
    with pytest.raises(OperationalError) as err:
        collect(kc)
    msg = str(err.value)
    assert "certificate verify failed" in msg and replay_k8s.url in msg
    assert replay_k8s.server.requests == []  # nothing was sent over an unverified channel


def test_insecure_skip_tls_verify_is_refused(replay_k8s: Replay, tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", replay_k8s.url, replay_k8s.pki.ca_pem)
    text = kc.read_text().replace(
        "certificate-authority-data:", "insecure-skip-tls-verify: true\n    x:"
    )
    kc.write_text(text)
    with pytest.raises(InputError, match="always verifies"):
        collect(kc)


def test_403_on_secrets_costs_only_helm(replay_k8s: Replay) -> None:
    replay_k8s.server.faults["/api/v1/secrets"] = Fault(status=403)
    snap = collect(replay_k8s.kubeconfig)
    assert snap["helm"] == {}
    errors = failures_of(snap, "kubernetes/helm-secrets")
    assert any("HTTP 403 Forbidden" in e for e in errors), errors
    assert snap["workloads"] and snap["nodes"] and snap["kubernetes"]["cluster_uid"]


@pytest.mark.parametrize(
    ("path", "target", "fault"),
    [
        ("/api/v1/pods", "kubernetes/pods", Fault(status=500)),
        ("/apis/apps/v1/statefulsets", "kubernetes/workloads", Fault(delay=3.0)),
        ("/api/v1/nodes", "kubernetes/nodes", Fault(status=404)),
        # every byte within the read timeout, the whole body never: one timeout, not hours
        ("/api/v1/nodes", "kubernetes/nodes", Fault(drip=0.05)),
        ("/api/v1/nodes", "kubernetes/nodes", Fault(drip=0.05, drip_headers=True)),
    ],
    ids=["pods-500", "statefulsets-timeout", "nodes-404", "body-dripping", "headers-dripping"],
)
def test_one_failing_list_is_recorded_others_collected(
    replay_k8s: Replay, path: str, target: str, fault: Fault
) -> None:
    replay_k8s.server.faults[path] = fault
    started = time.monotonic()
    snap = collect(replay_k8s.kubeconfig, timeout_seconds=0.5)
    assert time.monotonic() - started < 2.5  # one timeout, no silent retries
    assert failures_of(snap, target), snap["failures"]
    assert snap["helm"]["ai-platform/docai"]["status"] == "deployed"
    if target == "kubernetes/pods":
        parser = snap["workloads"]["ai-platform/Deployment/parser"]
        assert parser["containers"]["parser"]["image_id"] is None
        assert parser["nodes"] is None
    else:
        assert snap["kubernetes"]["server_version"] == "v1.29.3"


def test_410_on_continue_restarts_the_list_once(replay_k8s: Replay) -> None:
    replay_k8s.server.faults["/api/v1/pods"] = Fault(status=410, on_continue=True, times=1)
    snap = collect(replay_k8s.kubeconfig, page_size=3)
    assert not failures_of(snap, "kubernetes/pods")
    assert snap["workloads"]["ai-platform/Deployment/parser"]["nodes"] == ["cp-a30", "worker-1"]
    firsts = [p for _, p in replay_k8s.server.requests if p == "/api/v1/pods?limit=3"]
    assert len(firsts) == 2


def test_410_twice_is_a_failure(replay_k8s: Replay) -> None:
    replay_k8s.server.faults["/api/v1/pods"] = Fault(status=410, on_continue=True)
    snap = collect(replay_k8s.kubeconfig, page_size=3)
    assert any("HTTP 410" in e for e in failures_of(snap, "kubernetes/pods"))


def test_unreachable_server_fails_fast_and_records_every_target(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:9", other_ca_pem())
    raw = RawSet()
    KubeSource().acquire(site(kc, timeout_seconds=1), raw, NullProgress())
    assert raw.artifacts == {}
    assert len(raw.failures) == 6
    with pytest.raises(OperationalError, match="nothing could be collected"):
        collect(kc, timeout_seconds=1)


def test_missing_context_is_input_error(replay_k8s: Replay) -> None:
    with pytest.raises(InputError, match="kubeconfig"):
        collect(replay_k8s.kubeconfig, context="no-such-context")


def test_configured_missing_workload_is_a_failure(replay_k8s: Replay) -> None:
    rule = ComponentRule("ghost", "ai-platform/Deployment/ghost", (("version", "image_tag"),))
    config = SiteConfig(
        site="s",
        source=Path("s.yaml"),
        kubernetes=KubeSettings(kubeconfig=str(replay_k8s.kubeconfig)),
        components=(rule,),
    )
    snap = collect_site(config, sources=[KubeSource()]).snapshot.to_dict()
    assert snap["components"]["ghost"]["version"] is None
    assert failures_of(snap, "components/ghost") == [
        "workload ai-platform/Deployment/ghost not found"
    ]


def test_pods_artifact_is_slim(replay_k8s: Replay) -> None:
    raw = RawSet()
    KubeSource().acquire(site(replay_k8s.kubeconfig), raw, NullProgress())
    pods = raw.artifacts["kubernetes/pods.json"].text()
    assert "PARSER_API_VERSION" not in pods and "imageID" in pods and "ownerReferences" in pods
    workloads = raw.artifacts["kubernetes/workloads.json"].text()
    assert '"kind":"StatefulSet"' in workloads


def test_in_cluster_service_account_is_used_without_a_kubeconfig(
    replay_k8s: Replay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubernetes.config import incluster_config

    from driftctl.sources import kube_client

    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text(TOKEN)
    (sa / "ca.crt").write_bytes(replay_k8s.pki.ca_pem)
    monkeypatch.setattr(kube_client, "SA_TOKEN", sa / "token")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(sa / "token"))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(sa / "ca.crt"))
    host, port = replay_k8s.url.removeprefix("https://").rsplit(":", 1)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    cfg = SiteConfig(site="replay-site", source=Path("site.yaml"), kubernetes=KubeSettings())
    snap = collect_site(cfg, sources=[KubeSource()]).snapshot.to_dict()
    assert snap["kubernetes"]["cluster_uid"] == KUBE_SYSTEM_UID
    assert snap["failures"] == collect(replay_k8s.kubeconfig)["failures"]
    # the service-account CA is verified like any other: a wrong one is refused
    (sa / "ca.crt").write_bytes(other_ca_pem())
    with pytest.raises(OperationalError, match=r"in-cluster|certificate"):
        collect_site(cfg, sources=[KubeSource()])
