"""Benchmark: `driftctl collect` (whole process) against hostile replay API servers.

Run: .venv/bin/python tests/bench/bench_kube_hostile.py [--root DIR] [--kill-after 60]

For each scenario — a normal site, a 512 MiB chunked /nodes reply, a server that always sends a
fresh continue token for pods, a server that answers /version and then drips every other
answer — it prints the wall time, the peak RSS of the collect process (wait4) and the failures
recorded in the bundle (peak RSS: the process's own VmHWM, see tests/kube_kit.py). ``--root`` runs another checkout's driftctl (e.g. ``../main``) to
measure before/after; a run that has not ended after ``--kill-after`` seconds is killed and
reported as such. The replay server runs in its own process, so its memory is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from benchkit import goal_line

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path[:0] = [str(TESTS), str(ROOT)]
MiB = 1024 * 1024

SCENARIOS: dict[str, dict[str, dict[str, Any]]] = {
    "normal": {},
    "nodes 512 MiB chunked": {"/api/v1/nodes": {"huge_body": 512 * MiB, "declare_length": False}},
    "pods endless continue": {"/api/v1/pods": {"endless_continue": True}},
    "drip after /version": {"*": {"drip": 0.05}, "/version": {}},
}


def serve(directory: Path) -> None:
    """Child: serve the small site; each stdin line is a JSON fault set to install, EOF stops."""
    from replay_k8s.conftest import start_replay
    from replay_k8s.scenario import small_site
    from replay_k8s.server import Fault

    replay = start_replay(directory, small_site())
    print(replay.kubeconfig, flush=True)
    for line in sys.stdin:
        faults = json.loads(line)
        replay.server.faults.clear()
        replay.server.faults.update({p: Fault(**spec) for p, spec in faults.items()})
        print("ok", flush=True)
    replay.server.stop()


def run_collect(
    root: Path, config: Path, key: Path, out: Path, kill_after: float
) -> dict[str, Any]:
    """One whole `driftctl collect` of ``root``'s code: wall, peak RSS, exit, bundled failures."""
    from kube_kit import run_driftctl

    before = set(out.glob("*.tar.gz"))
    args = ["collect", "--config", str(config), "--key", str(key), "--out-dir", str(out)]
    run = run_driftctl(args, root, {**os.environ, "PYTHONPATH": str(root)}, kill_after)
    failures: dict[str, str] = {}
    for bundle in set(out.glob("*.tar.gz")) - before:
        with tarfile.open(bundle) as tar:
            member = tar.extractfile("snapshot.json")
            snap = json.loads(member.read()) if member else {}
        for f in snap.get("failures", []):
            if f["collector"] == "kubernetes":  # what the API source recorded
                failures.setdefault(f["target"].removeprefix("kubernetes/"), f["error"])
    return {
        "wall": run.wall,
        "rss": run.peak_mib,
        "exit": "killed" if run.code is None else run.code,
        "failures": failures,
        "stderr": run.stderr.strip().splitlines()[-1:] if run.code else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose driftctl runs")
    parser.add_argument("--kill-after", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=2.0, help="kubernetes.timeout_seconds")
    parser.add_argument("--deadline", type=float, default=10.0, help="deadline_seconds, if known")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(Path(args.serve))

    from driftctl.bundle.keys import generate_key

    knows_deadline = "max_pages" in (args.root / "driftctl" / "config.py").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", tmp],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None and server.stdin is not None
        kubeconfig = server.stdout.readline().strip()
        key, _ = generate_key("bench-site", base / "keys")
        kube = f"kubeconfig: {kubeconfig}, timeout_seconds: {args.timeout:g}"
        if knows_deadline:
            kube += f", deadline_seconds: {args.deadline:g}"
        config = base / "site.yaml"
        config.write_text(f"site: bench-site\nkubernetes: {{{kube}}}\n")
        print(f"driftctl of {args.root}; kubernetes: {{{kube.split(', ', 1)[1]}}}")
        print(f"{'scenario':<24} {'exit':>6} {'wall s':>7} {'peak RSS MiB':>12}  failures")
        results: dict[str, dict[str, Any]] = {}
        for name, faults in SCENARIOS.items():
            server.stdin.write(json.dumps(faults) + "\n")
            server.stdin.flush()
            assert server.stdout.readline().strip() == "ok"
            res = run_collect(args.root, config, key, base / "out", args.kill_after)
            results[name] = res
            failed = "; ".join(
                f"{t}: {e.split(': ', 3)[-1][:60]}" for t, e in sorted(res["failures"].items())
            )
            print(
                f"{name:<24} {res['exit']!s:>6} {res['wall']:>7.1f} {res['rss']:>12.0f}  "
                f"{failed or '-'} {' '.join(res['stderr'])}"
            )
        server.stdin.close()
        server.wait(timeout=30)
        normal = results["normal"]
        hostile = [r for n, r in results.items() if n != "normal"]
        extra = max(r["rss"] - normal["rss"] for r in hostile)
        print(goal_line("worst peak RSS over the normal site's", extra, 64, "MiB"))
        slowest = max(r["wall"] for r in hostile)
        bound = args.deadline + normal["wall"]  # the deadline, plus what a normal run takes
        print(goal_line("slowest hostile run", slowest, bound))


if __name__ == "__main__":
    main()
