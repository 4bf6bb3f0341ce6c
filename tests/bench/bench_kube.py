"""Benchmark: ``driftctl collect`` from a Kubernetes API vs kubectl listing the same resources.

Run by hand: ``.venv/bin/python tests/bench/bench_kube.py [--pods 10000 --workloads 2000
--releases 300] [--rounds 3]``; cluster scale: ``--pods 150000 --workloads 15000``.

A replay API server (tests/replay_k8s, its own process) serves a large site. Both sides are
whole processes with an empty ``HOME`` and the same kubeconfig, alternating:
``driftctl collect --config site.yaml --key K`` (lists version, kube-system, nodes,
deployments/statefulsets/daemonsets, pods and Helm release Secrets, parses, redacts, writes
and signs the bundle) and kubectl fetching the same resource list with as few processes as
it allows: ``kubectl version``, ``kubectl get namespace kube-system``, ``kubectl get
nodes,deployments,statefulsets,daemonsets,pods -A`` and ``kubectl get secrets -A -l
owner=helm``, all ``-o json`` to files (kubectl's discovery cache is warm after the first
round; driftctl needs none). Goals at 150k pods: ≤ 0.5× kubectl, ≤ 600 MiB peak RSS.
Also prints the air-gapped path (``driftctl dump-script`` with kubectl, then ``collect
--from-dump``; ``--dump-only`` times only that path, ``--dump-dir DIR`` keeps the dump there
and reuses it when it exists). Ratio last.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: replay_k8s
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchkit

from benchkit import alternate, driftctl_argv, isolated_home, machine, ratio_line, run


def serve(directory: Path, pods: int, workloads: int, releases: int) -> None:
    """Child: build the big site, serve it, print the kubeconfig path, run until stdin closes."""
    from replay_k8s.conftest import start_replay
    from replay_k8s.scenario import big_site

    replay = start_replay(directory, big_site(pods, workloads, releases))
    print(replay.kubeconfig, flush=True)
    sys.stdin.read()
    replay.server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--workloads", type=int, default=2_000)
    parser.add_argument("--releases", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dump-only", action="store_true", help="time only the air-gapped path")
    parser.add_argument("--dump-dir", type=Path, help="keep (or reuse) the dump here")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(Path(args.serve), args.pods, args.workloads, args.releases)

    from replay_k8s.conftest import kubectl_path

    kubectl = kubectl_path()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="driftctl-bench-kube-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", tmp, "--pods", str(args.pods),
             "--workloads", str(args.workloads), "--releases", str(args.releases)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert server.stdout is not None and server.stdin is not None
        kubeconfig = server.stdout.readline().strip()
        print(
            f"site: {args.pods} pods, {args.workloads} workloads, {args.releases} Helm releases "
            f"(replay server ready in {time.perf_counter() - t0:.1f} s)"
        )
        env = {**isolated_home(base), "KUBECONFIG": kubeconfig}
        run([*driftctl_argv(), "keygen", "--site", "bench", "--out-dir", str(base / "key")], env)
        config = base / "site.yaml"
        config.write_text("site: bench\nkubernetes: {}\n")
        ours_argv = [
            *driftctl_argv(), "collect", "--config", str(config),
            "--key", str(base / "key" / "bench_ed25519"), "--out-dir", str(base / "out"),
        ]  # fmt: skip
        k, out = shlex.quote(kubectl), shlex.quote(str(base / "kubectl"))
        theirs_script = (
            f"mkdir -p {out} && {k} version -o json > {out}/version.json"
            f" && {k} get namespace kube-system -o json > {out}/ns.json"
            f" && {k} get nodes,deployments,statefulsets,daemonsets,pods -A -o json > {out}/all.json"
            f" && {k} get secrets -A -l owner=helm -o json > {out}/helm.json"
        )
        if not args.dump_only:
            ours, theirs = alternate(
                [
                    ("driftctl collect", lambda: run(ours_argv, env)),
                    ("kubectl (4 gets)", lambda: run(["sh", "-c", theirs_script], env)),
                ],
                args.rounds,
            )
        script = base / "dump.sh"
        script.write_bytes(run([*driftctl_argv(), "dump-script"], env).stdout)
        dump = args.dump_dir or base / "dump"
        dumped_wall = 0.0
        if not (dump / "kubernetes" / "pods.json").is_file():
            kube_env = {**env, "KUBECTL": kubectl}
            dumped_wall = run(["sh", str(script), str(dump), "--no-nodes"], kube_env).wall
        from_dump = run([*ours_argv, "--from-dump", str(dump)], env)
        pods_bytes = (dump / "kubernetes" / "pods.json").stat().st_size
        server.stdin.close()
        server.wait(timeout=60)
    print(
        f"air-gapped path: dump script (kubectl) {dumped_wall:.2f} s (0: reused), then collect "
        f"--from-dump {from_dump.wall:.2f} s (peak RSS {from_dump.rss_mib:.0f} MiB; "
        f"pods.json {pods_bytes / 1e6:.0f} MB)"
    )
    if args.dump_only:
        return
    print(f"-- {args.rounds} rounds")
    print(ours.line())
    print(theirs.line())
    print(f"driftctl collect peak RSS {ours.rss:.0f} MiB (goal <= 600 MiB at 150k pods)")
    print(ratio_line(ours, theirs, "<= 0.5 at 150k pods"))


if __name__ == "__main__":
    main()
