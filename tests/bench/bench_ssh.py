"""Benchmark: driftctl's SSH node collection vs parallel-ssh on 50 loopback sshd nodes.

Run by hand: ``.venv/bin/python tests/bench/bench_ssh.py [--nodes 50] [--concurrency 16]``.
Prints wall times, their ratio (goal ≤ 1.2) and the time with 5 nodes SIGSTOPped
(goal ≤ connect timeout + 2 s). Needs root or a user that may run sshd, and Debian's pssh.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: driftctl
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the node fixtures

from nodes.chrony import Chrony
from nodes.sshd import Farm, Reply
from realdata_kit import A100_XML

from driftctl.collectors import clock, gpu
from driftctl.config import NodeTarget, SiteConfig, SshSettings
from driftctl.model import RawSet
from driftctl.pipeline import run_collectors
from driftctl.progress import NullProgress
from driftctl.sources.ssh import SshSource
from driftctl.strictjson import JsonObject

COMMANDS = ("nvidia-smi -q -x", "chronyc -c tracking")


def driftctl_run(farm: Farm, concurrency: int, timeout: float) -> tuple[float, JsonObject, int]:
    settings = SshSettings(
        user="root",
        identity_file=str(farm.identity),
        known_hosts=str(farm.known_hosts),
        nodes=tuple(NodeTarget(n, "127.0.0.1", node.port) for n, node in farm.nodes.items()),
        timeout_seconds=timeout,
        concurrency=concurrency,
        ssh_config=None,
        use_agent=False,
    )
    config = SiteConfig("bench", Path("bench.yaml"), ssh=settings)
    start = time.monotonic()
    raw = RawSet()
    SshSource().acquire(config, raw, NullProgress())
    collectors = (gpu.GpuCollector(), clock.ClockCollector())
    snapshot = run_collectors(config, raw, "2026-01-01T00:00:00Z", collectors).to_dict()
    failures = snapshot["failures"]
    assert isinstance(failures, list)
    return time.monotonic() - start, snapshot, len(failures)


def pssh_run(farm: Farm, concurrency: int, timeout: float, out: Path) -> tuple[float, int]:
    hosts = out / "hosts"
    hosts.write_text("".join(f"127.0.0.1:{n.port} root\n" for n in farm.nodes.values()))
    shutil.rmtree(out / "o", ignore_errors=True)
    argv = [
        "parallel-ssh", "-h", str(hosts), "-p", str(concurrency), "-t", str(int(timeout) + 5),
        "-o", str(out / "o"), "-e", str(out / "e"),
        "-O", f"IdentityFile={farm.identity}", "-O", f"UserKnownHostsFile={farm.known_hosts}",
        "-O", "GlobalKnownHostsFile=/dev/null", "-O", "StrictHostKeyChecking=yes",
        "-O", "BatchMode=yes", "-O", f"ConnectTimeout={int(timeout)}", "-x", "-F /dev/null",
        "; ".join(COMMANDS),
    ]  # fmt: skip
    start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    ok = done.stdout.count("[SUCCESS]")
    return elapsed, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="driftctl-bench-"))
    farm = Farm(base / "nodes")
    chrony = Chrony(base / "chrony")
    try:
        for i in range(args.nodes):
            node = farm.add(f"node-{i:02d}")
            node.script("nvidia-smi", {"-q -x": Reply(A100_XML)})
            node.install("chronyc", chrony.chronyc("synced"))
        farm.start()
        chrony.wait_synced(("synced",))
        ours, theirs = [], []
        for _ in range(args.rounds):
            elapsed, snapshot, failures = driftctl_run(farm, args.concurrency, args.timeout)
            assert failures == 0, f"driftctl had {failures} failures"
            ours.append(elapsed)
            elapsed, ok = pssh_run(farm, args.concurrency, args.timeout, base)
            assert ok == args.nodes, f"parallel-ssh succeeded on {ok} of {args.nodes}"
            theirs.append(elapsed)
        d, p = statistics.median(ours), statistics.median(theirs)
        print(f"nodes={args.nodes} concurrency={args.concurrency} rounds={args.rounds}")
        print(
            f"driftctl (acquire + gpu/clock parse): median {d:.3f} s  runs {[round(x, 3) for x in ours]}"
        )
        print(
            f"parallel-ssh (same commands)        : median {p:.3f} s  runs {[round(x, 3) for x in theirs]}"
        )
        print(f"ratio driftctl / parallel-ssh       : {d / p:.2f}  (goal <= 1.2)")

        silent = list(farm.nodes.values())[:5]
        for node in silent:
            node.stop()
        elapsed, snapshot, failures = driftctl_run(farm, args.concurrency, args.timeout)
        nodes = snapshot["nodes"]
        assert isinstance(nodes, dict)
        print(
            f"5 of {args.nodes} nodes SIGSTOPped: {elapsed:.3f} s, {len(nodes)} nodes with facts, "
            f"{failures} failures (goal <= timeout {args.timeout:.1f} + 2 = {args.timeout + 2:.1f} s)"
        )
    finally:
        farm.close()
        chrony.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
