"""manifests/: read-only RBAC and the collect CronJob parse, apply (dry run) and say what they must."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from replay_k8s.conftest import Replay, kubectl_path, replay_k8s

from driftctl.config import load_site_config

__all__ = ["replay_k8s"]

MANIFESTS = Path(__file__).parent.parent / "manifests"


def docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]


def by_kind(name: str, kind: str) -> list[dict[str, Any]]:
    return [d for d in docs(name) if d["kind"] == kind]


def test_rbac_is_read_only_and_secrets_are_namespaced() -> None:
    verbs = {v for d in docs("rbac.yaml") for rule in d.get("rules", []) for v in rule["verbs"]}
    assert verbs == {"get", "list"}
    [cluster_role] = by_kind("rbac.yaml", "ClusterRole")
    granted = {r for rule in cluster_role["rules"] for r in rule["resources"]}
    assert granted == {
        "nodes",
        "namespaces",
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
    }
    [role] = by_kind("rbac.yaml", "Role")
    assert role["rules"][0]["resources"] == ["secrets"]
    subjects = [s for d in docs("rbac.yaml") for s in d.get("subjects", [])]
    assert subjects and all(s["name"] == "driftctl" for s in subjects)


def test_cronjob_runs_collect_with_config_key_and_bundle_volume(tmp_path: Path) -> None:
    [cron] = by_kind("cronjob.yaml", "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"] == [
        "driftctl",
        "collect",
        "--config",
        "/etc/driftctl/site.yaml",
        "--key",
        "/etc/driftctl/key/site_ed25519",
        "--out-dir",
        "/bundles",
    ]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/etc/driftctl/key"]]["secret"]["secretName"] == "driftctl-site-key"
    assert volumes[mounts["/bundles"]]["persistentVolumeClaim"]["claimName"] == "driftctl-bundles"
    assert volumes[mounts["/etc/driftctl/site.yaml"]]["configMap"]["name"] == "driftctl-site"
    assert pod["serviceAccountName"] == "driftctl"
    # The embedded site config is valid for driftctl itself.
    [cm] = by_kind("cronjob.yaml", "ConfigMap")
    site = tmp_path / "site.yaml"
    site.write_text(cm["data"]["site.yaml"])
    config = load_site_config(site)
    assert config.kubernetes is not None and config.kubernetes.context is None


@pytest.mark.parametrize("name", ["rbac.yaml", "cronjob.yaml"], ids=["rbac", "cronjob"])
def test_kubectl_apply_dry_run_accepts_the_manifests(replay_k8s: Replay, name: str) -> None:
    res = subprocess.run(
        [
            kubectl_path(),
            "--kubeconfig",
            str(replay_k8s.kubeconfig),
            "--cache-dir",
            str(replay_k8s.kubeconfig.parent / "kube-cache"),
            "apply",
            "--dry-run=client",
            "--validate=false",
            "-o",
            "name",
            "-f",
            str(MANIFESTS / name),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.split()) == len(docs(name))
    assert {m for m, _ in replay_k8s.server.requests} == {"GET"}
