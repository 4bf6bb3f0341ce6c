"""Benchmark: the whole ``driftctl preflight`` CLI on 50 sites × 200 workloads from rendered
manifests (goal ≤ 1.5 s) and from a chart rendered per site (helm's share reported apart).

Run by hand: ``.venv/bin/python tests/bench/bench_gate.py [--sites 50] [--workloads 200]``.
Setup (not timed): every site is the capital fixture collected by the real pipeline, grown to
N workloads with a component each, signed with its own key and imported into a store.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchkit import goal_line  # noqa: E402

from driftctl.bundle import NAMESPACE  # noqa: E402
from driftctl.bundle.keys import generate_key, load_private_key  # noqa: E402
from driftctl.bundle.writer import write_bundle  # noqa: E402
from driftctl.config import load_site_config  # noqa: E402
from driftctl.pipeline import collect_site  # noqa: E402

NS = "ai-platform"
HELM = ROOT / ".cache" / "tools" / "bin" / "helm"


def service(i: int) -> str:
    return f"svc-{i:03d}"


def base_snapshot(workloads: int) -> dict[str, Any]:
    """capital as its collector sees it, plus generated services up to ``workloads``."""
    config = load_site_config(ROOT / "fixtures" / "sites" / "capital" / "site.yaml")
    snap = collect_site(config, ROOT / "fixtures" / "sites" / "capital" / "dump").snapshot.to_dict()
    template = snap["workloads"][f"{NS}/Deployment/parser"]
    for i in range(workloads - len(snap["workloads"])):
        key = f"{NS}/Deployment/{service(i)}"
        snap["workloads"][key] = {
            **template,
            "annotations": {"driftctl.io/api-versions": "v1,v2"},
            "containers": {service(i): {**template["containers"]["parser"], "env": {}}},
        }
        snap["components"][service(i)] = {
            "workload": key,
            "version": "1.0.0",
            "api_versions": "v1,v2",
            "sources": {
                "version": "image_tag",
                "api_versions": "annotation:driftctl.io/api-versions",
            },
        }
    return snap


def deployment(name: str, tag: str, labels: dict[str, str], annotations: dict[str, str]) -> str:
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name, **labels}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": f"registry.local/ai/{name}:{tag}",
                            "env": [{"name": "PARSER_API_VERSION", "value": "v2"}],
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "resources": {"limits": {"cpu": "2", "memory": "4Gi"}},
                        }
                    ]
                },
            },
        },
    }
    return f"---\n# Source: bench/templates/{name}.yaml\n" + yaml.safe_dump(doc, sort_keys=False)


def render(workloads: int) -> str:
    """What `helm template` prints for the release: every service at a new version."""
    api = {"driftctl.io/api-versions": "v2"}
    docs = [
        deployment("frontend", "3.0.1", {"app.kubernetes.io/version": "3.0.1"}, {}),
        deployment("parser", "2.0.0", {}, api),
        deployment("docai", "1.8.0", {}, {}),
    ]
    docs += [deployment(service(i), "1.1.0", {}, api) for i in range(workloads - 3)]
    return "".join(docs)


def chart(base: Path, workloads: int, sites: list[str]) -> tuple[Path, Path]:
    """A chart printing the same render from values, and one values file per site."""
    root = base / "chart"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 1.0.0\n")
    names = ["parser", "docai", *(service(i) for i in range(workloads - 3))]
    (root / "values.yaml").write_text(
        yaml.safe_dump({"tag": "1.1.0", "services": names, "frontend": "3.0.1"})
    )
    (root / "templates" / "all.yaml").write_text(
        "{{- range .Values.services }}\n---\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata:\n  name: {{ . }}\n  annotations: {driftctl.io/api-versions: v2}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: {{ . }}\n"
        '          image: "registry.local/ai/{{ . }}:{{ $.Values.tag }}"\n{{- end }}\n'
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\n"
        "  labels: {app.kubernetes.io/version: {{ .Values.frontend | quote }}}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: frontend\n"
        '          image: "registry.local/ai/frontend:{{ .Values.frontend }}"\n'
        "          env: [{name: PARSER_API_VERSION, value: v2}]\n"
    )
    values = base / "site-values"
    values.mkdir()
    for site in sites:
        (values / f"{site}.yaml").write_text(f"site: {site}\nregistry: registry.{site}.local\n")
    return root, values


def build(base: Path, sites: int, workloads: int) -> tuple[Path, list[str]]:
    snap = base_snapshot(workloads)
    names = [f"site-{i:02d}" for i in range(sites)]
    trust = []
    bundles = base / "bundles"
    for name in names:
        private, _ = generate_key(name, base / "keys")
        key = load_private_key(private)
        trust.append(f'{name} namespaces="{NAMESPACE}" {key.public_line()}')
        write_bundle(bundles, {**snap, "site": name}, [], {"total": 0}, key, "bench", base / "st")
    (base / "allowed_signers").write_text("\n".join(trust) + "\n")
    store = base / "store"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "driftctl",
            "import",
            *map(str, sorted(bundles.glob("*.tar.gz"))),
            "--trust",
            str(base / "allowed_signers"),
            "--store",
            str(store),
        ],
        check=True,
        capture_output=True,
    )
    return store, names


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args], capture_output=True, text=True, cwd=ROOT
    )
    elapsed = time.perf_counter() - started
    if res.returncode not in (0, 1):
        raise SystemExit(f"preflight failed ({res.returncode}): {res.stderr}")
    return elapsed, res


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--workloads", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", help="build in this directory and keep it (for profiling)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        t0 = time.perf_counter()
        store, sites = build(base, args.sites, args.workloads)
        manifests = base / "render.yaml"
        manifests.write_text(render(args.workloads))
        chart_dir, site_values = chart(base, args.workloads, sites)
        print(
            f"setup: {args.sites} sites x {args.workloads} workloads imported, render "
            f"{manifests.stat().st_size // 1024} KiB, in {time.perf_counter() - t0:.1f} s"
        )
        common = ["--store", str(store), "--format", "json", "--namespace", NS]
        best = min(
            timed(["preflight", "--manifests", str(manifests), *common])[0]
            for _ in range(args.repeat)
        )
        _, res = timed(["preflight", "--manifests", str(manifests), *common])
        print(f"--manifests: {best:.2f} s whole CLI, best of {args.repeat} (goal <= 1.5 s)")
        print(f"  {res.stderr.strip()}")
        chart_args = [
            "-v",
            "preflight",
            "--chart",
            str(chart_dir),
            "--site-values",
            str(site_values),
            "--release-name",
            "bench",
            "--helm",
            str(HELM),
            *common,
        ]
        total, res = timed(chart_args)
        match = re.search(r"helm template: (\d+) render\(s\) .* in ([0-9.]+) s", res.stderr)
        helm = float(match.group(2)) if match else float("nan")
        renders = match.group(1) if match else "?"
        print(
            f"--chart: {total:.2f} s whole CLI, of which helm template {helm:.2f} s "
            f"({renders} renders, 4 at a time), driftctl {total - helm:.2f} s"
        )
        print(goal_line("preflight --manifests, best wall", best, 1.5))


if __name__ == "__main__":
    main()
