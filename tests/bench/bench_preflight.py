"""Benchmark: preflight over 50 sites × 100 rules (goal ≤ 1 s); prints the figures."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent.parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from policy_builders import NOW, Snap, platform, stamp

from driftctl.formats import Format
from driftctl.formats.preflight import render
from driftctl.policy.evaluate import evaluate
from driftctl.policy.load import parse_policy
from driftctl.release.file import parse_release

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


def main() -> None:
    gpus = {
        f"gpu-{n}": {"driver_version": "550.54.15", "cuda_version": "12.4"} for n in range(NODES)
    }
    snaps = [
        Snap(
            f"site-{i:02d}",
            i,
            stamp(),
            platform(
                f"site-{i:02d}",
                frontend=f"{2 + i % 2}.3.1",
                gpus=gpus,
                mcp={"timeoutSeconds": 3 + i % 3},
            ),
        )
        for i in range(SITES)
    ]
    t0 = time.perf_counter()
    policy = parse_policy({"rules": rules()}, "bench.yaml")
    release = parse_release(
        {
            "release": "b",
            "components": {"parser": {"version": "2.0.0", "api_versions": ["v1", "v2"]}},
        },
        "r",
    )
    t1 = time.perf_counter()
    report = evaluate(policy, release, snaps, now=NOW)
    t2 = time.perf_counter()
    text = render(report, Format.JSON)
    t3 = time.perf_counter()
    findings = sum(len(s.findings) for s in report.sites)
    print(f"sites={SITES} rules={RULES} gpu-nodes/site={NODES} findings={findings}")
    print(f"load policy: {t1 - t0:.3f} s")
    print(f"evaluate:    {t2 - t1:.3f} s  (goal <= 1 s)")
    print(f"render json: {t3 - t2:.3f} s  ({len(text)} bytes)")
    print(f"total:       {t3 - t0:.3f} s")


if __name__ == "__main__":
    main()
