"""A synthetic fleet for the diff benchmarks: real collector output, copied to N sites with drift.

One template site is written as a dump directory (Kubernetes objects from the replay server's
builders: workloads with their pods, Helm release Secrets with large values, nodes) and
collected by ``driftctl collect --dry-run --from-dump``, so every snapshot has exactly the
shape the collector writes today. Each site is that snapshot with a few values drifted
(Helm values, image tags, GPU drivers), signed with its own key, and imported into a store
with ``driftctl import`` — the path a user's bundles take.
"""

from __future__ import annotations

import copy
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: replay_k8s builders

from benchkit import driftctl_argv, run
from replay_k8s.objects import (
    DIGEST_A,
    DIGEST_B,
    KUBE_SYSTEM_UID,
    container,
    helm_secret,
    namespace,
    node,
    pod,
    release_doc,
    version_info,
)
from replay_k8s.objects import workload as wl

GPU_LABELS = {"nvidia.com/cuda.driver.major": "550", "nvidia.com/gpu.product": "NVIDIA-A100"}


def _list(items: list[dict[str, Any]]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def write_dump(root: Path, facts: int = 20_000, seed: int = 0) -> None:
    """A dump of a site with about ``facts`` flat facts (half Helm values, half workloads)."""
    rng = random.Random(seed)
    kube = root / "kubernetes"
    kube.mkdir(parents=True)
    n_workloads = max(1, facts // 30)
    n_releases = max(1, facts // 2000)
    per_release = max(1, facts // 2 // n_releases)
    nodes = [f"node-{i:03d}" for i in range(20)]
    node_objs = [
        node(n, f"10.0.0.{i + 1}", {**GPU_LABELS, "node-role.kubernetes.io/control-plane": "true"}
             if i < 3 else GPU_LABELS, 1)
        for i, n in enumerate(nodes)
    ]  # fmt: skip
    workloads, pods = [], []
    kinds = ("Deployment", "StatefulSet", "DaemonSet")
    for w in range(n_workloads):
        ns, kind = f"team-{w % 10:02d}", kinds[w % 3]
        env = [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": str(w % 5)}]
        obj = wl(
            kind,
            ns,
            f"app-{w:04d}",
            [
                container("main", f"registry.local/app-{w:04d}:1.{w % 7}.0", env),
                container("sidecar", "registry.local/ops/envoy:1.29"),
            ],
            {"app.kubernetes.io/version": f"1.{w % 7}.0"},
            {"team": ns},
            2,
        )
        workloads.append(obj)
        ids = {
            "main": f"registry.local/app-{w:04d}@{DIGEST_A}",
            "sidecar": f"registry.local/ops/envoy@{DIGEST_B}",
        }
        rs_hash = "5d8f7c6b9" if kind == "Deployment" else None
        pods.append(pod(obj, "00000", nodes[w % len(nodes)], ids, rs_hash))
    secrets = []
    for r in range(n_releases):
        groups = max(1, per_release // 50)
        values = {
            f"group{g}": {f"key{k}": rng.choice([k * g, f"v{k}", k % 2 == 0]) for k in range(50)}
            for g in range(groups)
        }
        doc = release_doc(
            f"rel-{r:03d}", f"team-{r % 10:02d}", 1, "deployed", f"chart{r}", "1.2.3", "2.0", values
        )
        secrets.append(helm_secret(doc))
    (kube / "version.json").write_text(json.dumps({"serverVersion": version_info()}))
    (kube / "namespace-kube-system.json").write_text(
        json.dumps(namespace("kube-system", KUBE_SYSTEM_UID))
    )
    (kube / "nodes.json").write_text(_list(node_objs))
    (kube / "workloads.json").write_text(_list(workloads))
    (kube / "pods.json").write_text(_list(pods))
    (kube / "helm-secrets.json").write_text(_list(secrets))


def template_snapshot(base: Path, facts: int) -> dict[str, Any]:
    """The redacted snapshot ``driftctl collect --dry-run`` makes of the template dump."""
    dump = base / "template-dump"
    write_dump(dump, facts)
    config = base / "template.yaml"
    config.write_text("site: template\nkubernetes: {}\n")
    out = run([*driftctl_argv(), "collect", "--config", str(config), "--from-dump", str(dump),
               "--dry-run"])  # fmt: skip
    snapshot: dict[str, Any] = json.loads(out.stdout)
    return snapshot


def _drift(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "-b"
    return value


def _leaves(tree: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value)
        else:
            yield tree, key


def site_snapshot(
    template: dict[str, Any], n: int, rng: random.Random, p: float = 0.002
) -> dict[str, Any]:
    """Site ``n``: the template with its own name and uid, and about ``p`` of Helm values,
    image tags and GPU drivers drifted."""
    snap = copy.deepcopy(template)
    snap["site"] = f"site-{n:03d}"
    snap.setdefault("kubernetes", {})["cluster_uid"] = f"uid-{n:03d}"
    for release in snap.get("helm", {}).values():
        for parent, key in _leaves(release.get("values") or {}):
            if rng.random() < p:
                parent[key] = _drift(parent[key], rng)
    for workload in snap.get("workloads", {}).values():
        for c in (workload.get("containers") or {}).values():
            if isinstance(c.get("image"), str) and rng.random() < p:
                c["image"] = c["image"].rsplit(":", 1)[0] + ":1.9.9"
    for facts in snap.get("nodes", {}).values():
        gpu = facts.get("gpu")
        if isinstance(gpu, dict) and rng.random() < 10 * p:
            gpu["driver_version"] = "535.104.05"
    return snap


def build_store(base: Path, sites: int, facts: int, seed: int = 42) -> tuple[Path, list[Path]]:
    """A store holding ``sites`` imported sites; also each snapshot as a JSON file (for peers)."""
    from driftctl.bundle.keys import generate_key, load_private_key
    from driftctl.bundle.writer import write_bundle

    template = template_snapshot(base, facts)
    rng = random.Random(seed)
    trust_lines, bundles, files = [], [], []
    (base / "snapshots").mkdir(exist_ok=True)
    for n in range(sites):
        snap = site_snapshot(template, n, rng)
        site = snap["site"]
        private, _ = generate_key(site, base / "keys")
        key = load_private_key(private)
        trust_lines.append(f'{site} namespaces="bundle@driftctl" {key.public_line()}')
        bundles.append(write_bundle(base / "bundles", snap, [], {"total": 0}, key, "bench").path)
        path = base / "snapshots" / f"{site}.json"
        path.write_text(json.dumps(snap))
        files.append(path)
    trust = base / "allowed_signers"
    trust.write_text("\n".join(trust_lines) + "\n")
    store = base / "store"
    for i in range(0, len(bundles), 100):
        chunk = [str(b) for b in bundles[i : i + 100]]
        run([*driftctl_argv(), "import", *chunk, "--trust", str(trust), "--store", str(store)])
    return store, files
