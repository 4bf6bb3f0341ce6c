"""Benchmark: driftctl's Kubernetes collection vs ``kubectl get … -A -o json`` on a large replay site.

Run: .venv/bin/python tests/bench/bench_kube.py [--pods 10000 --workloads 2000 --releases 300]
Prints wall time of each, the ratio (goal <= 1.5) and driftctl's peak RSS (goal <= 400 MB).
The replay server runs in its own process so neither side is measured with its memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path[:0] = [str(TESTS), str(ROOT)]


def serve(directory: Path, pods: int, workloads: int, releases: int) -> None:
    """Child: build the big site, serve it, print the kubeconfig path, run until stdin closes."""
    from replay_k8s.conftest import start_replay
    from replay_k8s.scenario import big_site

    replay = start_replay(directory, big_site(pods, workloads, releases))
    print(replay.kubeconfig, flush=True)
    sys.stdin.read()
    replay.server.stop()


def collect(kubeconfig: str) -> None:
    """Child: KubeSource.acquire + every collector, as `driftctl collect` runs them."""
    from driftctl.config import KubeSettings, SiteConfig
    from driftctl.model import RawSet
    from driftctl.pipeline import run_collectors
    from driftctl.progress import NullProgress
    from driftctl.sources.kube import KubeSource

    config = SiteConfig(
        site="bench", source=Path("bench.yaml"), kubernetes=KubeSettings(kubeconfig=kubeconfig)
    )
    t0 = time.perf_counter()
    raw = RawSet()
    KubeSource().acquire(config, raw, NullProgress())
    t1 = time.perf_counter()
    snap = run_collectors(config, raw, "2026-01-01T00:00:00Z").to_dict()
    t2 = time.perf_counter()
    counts = {k: len(snap[k]) for k in ("workloads", "helm", "nodes")}
    print(
        json.dumps(
            {
                "acquire": t1 - t0,
                "parse": t2 - t1,
                "counts": counts,
                "failures": len(snap["failures"]),
                "artifact_bytes": sum(len(a.data or b"") for a in raw),
            }
        )
    )


def from_dump(directory: str) -> None:
    """Child: collect the same facts from a dump written by the dump script."""
    from driftctl.config import KubeSettings, SiteConfig
    from driftctl.pipeline import collect_site

    config = SiteConfig(site="bench", source=Path("bench.yaml"), kubernetes=KubeSettings())
    t0 = time.perf_counter()
    snap = collect_site(config, from_dump=Path(directory)).snapshot.to_dict()
    counts = {k: len(snap[k]) for k in ("workloads", "helm", "nodes")}
    print(json.dumps({"parse": time.perf_counter() - t0, "counts": counts}))


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one child process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err[-500:]}")
        out.seek(0)
        text = out.read().decode()
    return wall, usage.ru_maxrss / 1024, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--workloads", type=int, default=2_000)
    parser.add_argument("--releases", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--collect", help=argparse.SUPPRESS)
    parser.add_argument("--from-dump", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(Path(args.serve), args.pods, args.workloads, args.releases)
    if args.collect:
        return collect(args.collect)
    if args.from_dump:
        return from_dump(args.from_dump)

    from replay_k8s.conftest import kubectl_path

    kubectl = str(kubectl_path())
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                tmp,
                "--pods",
                str(args.pods),
                "--workloads",
                str(args.workloads),
                "--releases",
                str(args.releases),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None and server.stdin is not None
        kubeconfig = server.stdout.readline().strip()
        print(
            f"site: {args.pods} pods, {args.workloads} workloads, {args.releases} Helm releases "
            f"(replay server ready in {time.perf_counter() - t0:.1f}s)"
        )
        env = {**os.environ, "KUBECONFIG": kubeconfig, "PYTHONPATH": str(ROOT)}
        kube_cmd = [
            kubectl,
            "get",
            "pods,deployments,statefulsets,daemonsets,secrets",
            "-A",
            "-o",
            "json",
        ]
        ours_cmd = [sys.executable, __file__, "--collect", kubeconfig]
        k_times, d_times, d_rss, k_rss = [], [], [], []
        detail = {}
        for _ in range(args.rounds):
            wall, rss, out = timed(kube_cmd, env)
            k_times.append(wall)
            k_rss.append(rss)
            assert len(json.loads(out)["items"]) >= args.pods
            wall, rss, out = timed(ours_cmd, env)
            d_times.append(wall)
            d_rss.append(rss)
            detail = json.loads(out)
        from driftctl.sources.kube_dumpscript import render_dump_script

        script = Path(tmp) / "dump.sh"
        script.write_text(render_dump_script())
        dump_env = {**env, "KUBECTL": kubectl}
        dump_wall, _, _ = timed(["sh", str(script), f"{tmp}/dump", "--no-nodes"], dump_env)
        parse_wall, parse_rss, out = timed(
            [sys.executable, __file__, "--from-dump", f"{tmp}/dump"], env
        )
        dumped = json.loads(out)
        server.stdin.close()
        server.wait(timeout=30)
    k, d = min(k_times), min(d_times)
    print(
        f"kubectl get … -A -o json : {k:.2f}s best of {args.rounds} (peak RSS {max(k_rss):.0f} MB)"
    )
    print(
        f"driftctl acquire+collect : {d:.2f}s best of {args.rounds} "
        f"(acquire {detail['acquire']:.2f}s, parse {detail['parse']:.2f}s, incl. interpreter start)"
    )
    print(f"ratio driftctl/kubectl   : {d / k:.2f}  (goal <= 1.5)")
    print(
        f"dump script (kubectl)    : {dump_wall:.2f}s; collect --from-dump {parse_wall:.2f}s "
        f"(parse {dumped['parse']:.2f}s, peak RSS {parse_rss:.0f} MB, facts {dumped['counts']})"
    )
    print(f"driftctl peak RSS        : {max(d_rss):.0f} MB  (goal <= 400 MB)")
    print(
        f"facts: {detail['counts']}, failures: {detail['failures']}, "
        f"artifact bytes: {detail['artifact_bytes'] / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
