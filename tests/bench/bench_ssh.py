"""Benchmark: ``driftctl collect`` over SSH vs ``parallel-ssh``, whole processes, same key exchange.

Run by hand (root, Debian's pssh): ``.venv/bin/python tests/bench/bench_ssh.py [--nodes 50,200]``.

Both sides are whole processes started as a user starts them: ``driftctl collect --config
site.yaml --key K`` (imports, SSH, parsing, bundle written and signed) and ``parallel-ssh`` running
the same two commands on the same loopback sshd nodes with the same concurrency and timeout,
alternating. Every sshd allows only ``curve25519-sha256``, ``aes128-ctr`` and ``hmac-sha2-256``,
so OpenSSH cannot pick its post-quantum exchange while paramiko gets the cheaper one: the
script prints what one node's sshd logged for each client. ``HOME`` is an empty directory for
both. Also prints driftctl with 5 nodes SIGSTOPped (goal: at most one connect timeout more
than the healthy run). Ratio last, goal ≤ 1.1. ``--baseline DIR`` adds a third side, another
checkout's ``DIR/.venv/bin/driftctl collect`` on the same nodes in the same rounds.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the node fixtures
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bench/: benchkit

from benchkit import Sample, alternate, driftctl_argv, isolated_home, machine, ratio_line, run
from nodes.chrony import Chrony
from nodes.sshd import Farm, Reply
from realdata_kit import A100_XML

COMMANDS = ("nvidia-smi -q -x", "chronyc -c tracking")
# What paramiko (5.x) and OpenSSH (9.x) both implement; each sshd accepts nothing else.
MATCHED = (
    "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org",
    "Ciphers aes128-ctr",
    "MACs hmac-sha2-256",
)


def write_site(base: Path, farm: Farm, concurrency: int, timeout: float) -> Path:
    config = base / "site.yaml"
    config.write_text(
        "site: bench\n"
        "ssh:\n"
        "  user: root\n"
        f"  identity_file: {farm.identity}\n"
        f"  known_hosts: {farm.known_hosts}\n"
        "  use_agent: false\n"
        "  ssh_config: null\n"
        f"  timeout_seconds: {timeout}\n"
        f"  concurrency: {concurrency}\n"
        "  nodes:\n"
        + "".join(
            f"    - {{name: {name}, host: 127.0.0.1, port: {node.port}}}\n"
            for name, node in farm.nodes.items()
        )
    )
    return config


def pssh_argv(base: Path, farm: Farm, concurrency: int, timeout: float) -> list[str]:
    hosts = base / "hosts"
    hosts.write_text("".join(f"127.0.0.1:{n.port} root\n" for n in farm.nodes.values()))
    return [
        "parallel-ssh", "-h", str(hosts), "-p", str(concurrency), "-t", str(int(timeout) + 5),
        "-o", str(base / "pssh-out"), "-e", str(base / "pssh-err"),
        "-O", f"IdentityFile={farm.identity}", "-O", f"UserKnownHostsFile={farm.known_hosts}",
        "-O", "GlobalKnownHostsFile=/dev/null", "-O", "StrictHostKeyChecking=yes",
        "-O", "BatchMode=yes", "-O", f"ConnectTimeout={int(timeout)}",
        "-x", "-F /dev/null -o KexAlgorithms=curve25519-sha256",
        "; ".join(COMMANDS),
    ]  # fmt: skip


def negotiated(log: str) -> list[str]:
    """The key exchanges one sshd logged (LogLevel DEBUG1: ``kex: algorithm: …``).

    ``curve25519-sha256@libssh.org`` (paramiko's name) is the same algorithm as
    ``curve25519-sha256`` (RFC 8731), so the two count as one.
    """
    names = re.findall(r"kex: algorithm: (\S+)", log)
    return sorted({n.removesuffix("@libssh.org") for n in names})


def bench(
    nodes: int, concurrency: int, timeout: float, rounds: int, baseline: Path | None = None
) -> None:
    base = Path(tempfile.mkdtemp(prefix="driftctl-bench-ssh-"))
    farm = Farm(base / "nodes")
    chrony = Chrony(base / "chrony")
    try:
        for i in range(nodes):
            node = farm.add(f"node-{i:03d}", log_level="DEBUG1" if i == 0 else "ERROR")
            node.script("nvidia-smi", {"-q -x": Reply(A100_XML)})
            node.install("chronyc", chrony.chronyc("synced"))
            with (node.root / "sshd_config").open("a") as fh:
                fh.write("\n".join(MATCHED) + "\n")
        farm.start()
        chrony.wait_synced(("synced",))
        env = isolated_home(base)
        keydir = base / "key"
        run([*driftctl_argv(), "keygen", "--site", "bench", "--out-dir", str(keydir)], env)
        config = write_site(base, farm, concurrency, timeout)
        ours_argv = [
            *driftctl_argv(), "collect", "--config", str(config),
            "--key", str(keydir / "bench_ed25519"), "--out-dir", str(base / "out"),
        ]  # fmt: skip
        theirs_argv = pssh_argv(base, farm, concurrency, timeout)

        def ours() -> Sample:
            sample = run(ours_argv, env)
            lines = sample.stdout.decode().split()
            assert len(lines) == 2 and lines[0].endswith(".tar.gz"), sample.stdout
            return sample

        def theirs() -> Sample:
            shutil.rmtree(base / "pssh-out", ignore_errors=True)
            sample = run(theirs_argv, env)
            ok = sample.stdout.count(b"[SUCCESS]")
            assert ok == nodes, f"parallel-ssh succeeded on {ok} of {nodes}"
            return sample

        sides = [("driftctl collect", ours), ("parallel-ssh", theirs)]
        if baseline is not None:
            base_argv = [str(baseline / ".venv" / "bin" / "driftctl"), *ours_argv[1:]]
            sides.append((f"collect of {baseline.name}", lambda: run(base_argv, env)))
        first = farm.nodes["node-000"]
        mine, peer, *other = alternate(sides, rounds)
        kex = negotiated(first.sshd_log())
        print(
            f"-- {nodes} nodes, concurrency {concurrency}, timeout {timeout:.0f} s, {rounds} rounds"
        )
        print(f"key exchange logged by node-000's sshd (both clients): {', '.join(kex)}")
        assert len(kex) == 1, f"clients negotiated different kex: {kex}"
        print(mine.line())
        print(peer.line())
        for series in other:
            print(series.line())
            print(
                f"   driftctl collect / {series.name}: {mine.median / series.median:.2f} (medians)"
            )

        for node in list(farm.nodes.values())[:5]:
            node.stop()
        silent = run(ours_argv, env)
        print(
            f"driftctl collect, 5 of {nodes} nodes SIGSTOPped: {silent.wall:.3f} s, "
            f"+{silent.wall - mine.median:.3f} s over the healthy median "
            f"(goal: at most one timeout more, {timeout:.0f} s)"
        )
        print(ratio_line(mine, peer, "<= 1.1"))
    finally:
        farm.close()
        chrony.close()
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", default="50,200", help="node counts, comma-separated")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="another checkout, timed alongside")
    args = parser.parse_args()
    print(machine())
    for n in (int(x) for x in args.nodes.split(",")):
        bench(n, args.concurrency, args.timeout, args.rounds, args.baseline)


if __name__ == "__main__":
    main()
