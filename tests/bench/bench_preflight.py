"""Benchmark: ``driftctl preflight`` over 50 sites × 100 rules from a store (goal ≤ 1 s).

Run by hand: ``.venv/bin/python tests/bench/bench_preflight.py [--rounds 5]``.

A whole process as a user runs it: ``driftctl preflight --release R --policy P --store S
--format json`` over 50 imported sites with 40 GPU nodes each and 100 rules (20 of each kind).
No other tool answers this question, so the ratio printed last is over ``driftctl --version``:
what the preflight costs beyond starting driftctl at all.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: driftctl
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: policy_builders
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bench/: benchkit

from benchkit import alternate, driftctl_argv, machine, ratio_line, run
from policy_builders import platform

from driftctl.bundle.keys import generate_key, load_private_key
from driftctl.bundle.writer import write_bundle

SITES = 50
RULES = 100
NODES = 40


def rules() -> list[dict[str, Any]]:
    """100 rules, 20 of each kind, so every kind's cost shows."""
    out: list[dict[str, Any]] = []
    for i in range(RULES // 5):
        out += [
            {
                "id": f"api-{i}",
                "kind": "api-contract",
                "severity": "block",
                "consumer": {"component": "frontend", "attribute": "parser_api"},
                "provider": {"component": "parser", "attribute": "api_versions"},
            },
            {
                "id": f"pair-{i}",
                "kind": "version-pair",
                "severity": "block",
                "when": {"component": "frontend", "version": f">={i % 4}.0"},
                "require": {"component": "parser", "version": ">=1.0,<4"},
            },
            {
                "id": f"gpu-{i}",
                "kind": "gpu",
                "severity": "block",
                "component": "parser",
                "cuda": f">=12.{i % 9}",
            },
            {
                "id": f"time-{i}",
                "kind": "time",
                "severity": "block",
                "nodes": "all",
                "max_offset_seconds": 0.5,
            },
            {
                "id": f"value-{i}",
                "kind": "value",
                "severity": "warn",
                "path": "helm.ai-platform/docai.values.mcpHub.timeoutSeconds",
                "max": 5,
                "same_across_sites": i % 2 == 0,
            },
        ]
    return out


def build_store(base: Path) -> Path:
    gpus = {
        f"gpu-{n}": {"driver_version": "550.54.15", "cuda_version": "12.4"} for n in range(NODES)
    }
    trust_lines, bundles = [], []
    for i in range(SITES):
        site = f"site-{i:02d}"
        snap = platform(
            site, frontend=f"{2 + i % 2}.3.1", gpus=gpus, mcp={"timeoutSeconds": 3 + i % 3}
        )
        key = load_private_key(generate_key(site, base / "keys")[0])
        trust_lines.append(f'{site} namespaces="bundle@driftctl" {key.public_line()}')
        bundles.append(str(write_bundle(base / "bundles", snap, [], {}, key, "bench").path))
    trust = base / "allowed_signers"
    trust.write_text("\n".join(trust_lines) + "\n")
    store = base / "store"
    run([*driftctl_argv(), "import", *bundles, "--trust", str(trust), "--store", str(store)])
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    print(machine())
    with tempfile.TemporaryDirectory(prefix="driftctl-bench-preflight-") as tmp:
        base = Path(tmp)
        store = build_store(base)
        policy = base / "policy.yaml"
        policy.write_text(json.dumps({"rules": rules()}))  # JSON is YAML
        release = base / "release.yaml"
        release.write_text(
            json.dumps(
                {
                    "release": "b",
                    "components": {"parser": {"version": "2.0.0", "api_versions": ["v1", "v2"]}},
                }
            )
        )
        argv = [
            *driftctl_argv(), "preflight", "--release", str(release), "--policy", str(policy),
            "--store", str(store), "--format", "json", "--max-age", "10000d",
        ]  # fmt: skip
        floor, ours = alternate(
            [
                ("driftctl --version", lambda: run([*driftctl_argv(), "--version"])),
                ("driftctl preflight", lambda: run(argv, ok=(0, 1))),
            ],
            rounds,
        )
        report = json.loads(ours.samples[-1].stdout)
        findings = sum(len(s["findings"]) for s in report["sites"].values())
    print(f"-- {SITES} sites x {RULES} rules, {NODES} GPU nodes per site: {findings} findings")
    print(floor.line())
    print(ours.line())
    print(f"goal: preflight <= 1 s (median {ours.median:.3f} s)")
    print(ratio_line(ours, floor, "the cost beyond start-up"))


if __name__ == "__main__":
    main()
