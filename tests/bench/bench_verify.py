"""Benchmark: ``driftctl verify`` vs the stock pipeline an admin runs by hand, and vs ssh-keygen alone.

Run by hand: ``.venv/bin/python tests/bench/bench_verify.py [--mb 20,200] [--rounds 5]
[--baseline DIR]``.

Two kinds of bundle, each with ``--mb`` MB of evidence: random bytes (the .tar.gz is as large
as the evidence; inflating it is nearly free) and pod-list JSON text (compresses about 6:1, so
inflating and hashing the members is real work). Three whole processes, alternating:
``driftctl verify B --trust T``; the stock pipeline ``ssh-keygen -Y verify … && tar -tzf B &&
sha256sum B`` (signature, archive walk, the file's digest, as a reviewer with only OpenSSH and
coreutils checks a bundle); and ``ssh-keygen -Y verify`` alone, the floor (it neither inflates
nor lists anything). Goals: driftctl ≤ 0.5× the pipeline on both kinds, ≤ 2× ssh-keygen on
random contents, peak RSS independent of the size. The ratio to the pipeline is printed last.
``--baseline DIR`` adds a fourth side, another checkout's ``DIR/.venv/bin/driftctl verify`` on
the same bundle in the same rounds (before/after figures taken back to back).
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: driftctl
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bench/: benchkit

from benchkit import Series, alternate, driftctl_argv, machine, ratio_line, run

from driftctl.bundle import NAMESPACE
from driftctl.bundle.keys import load_private_key
from driftctl.bundle.writer import write_bundle
from driftctl.snapshot import Snapshot

CHUNK = 32 << 20  # under the reader's member cap
SITE = "bench"


def random_evidence(total: int, rng: random.Random) -> list[tuple[str, bytes]]:
    out, i = [], 0
    while total > 0:
        n = min(CHUNK, total)
        out.append((f"nodes/n{i:03d}/nvidia-smi.xml", rng.randbytes(n)))
        total -= n
        i += 1
    return out


def pod(i: int, rng: random.Random) -> dict[str, object]:
    """One pod as ``kubectl get pods -o json`` lists it: names, uids, IPs vary; shape repeats."""
    app = f"app{rng.randrange(400)}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{app}-{rng.getrandbits(40):010x}-{rng.getrandbits(20):05x}",
            "namespace": f"team{rng.randrange(40)}",
            "uid": f"{rng.getrandbits(128):032x}",
            "resourceVersion": str(rng.randrange(10**8)),
            "labels": {"app": app, "pod-template-hash": f"{rng.getrandbits(40):010x}"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": f"{app}-rs", "controller": True}],
        },
        "spec": {
            "nodeName": f"node-{rng.randrange(500):03d}",
            "containers": [
                {
                    "name": "main",
                    "image": f"registry.local/ai/{app}:1.{rng.randrange(30)}.{rng.randrange(9)}",
                    "resources": {"limits": {"cpu": "2", "memory": "4Gi"}},
                    "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "N", "value": str(i)}],
                }
            ],
        },
        "status": {
            "phase": "Running",
            "podIP": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            "containerStatuses": [
                {"name": "main", "ready": True, "restartCount": rng.randrange(3),
                 "imageID": f"registry.local/ai/{app}@sha256:{rng.getrandbits(256):064x}"}
            ],
        },
    }  # fmt: skip


def text_evidence(total: int, rng: random.Random) -> list[tuple[str, bytes]]:
    out, i, n = [], 0, 0
    while total > 0:
        items, size = [], 0
        while size < min(CHUNK, total) - 4096:
            line = json.dumps(pod(n, rng), indent=2)
            items.append(line)
            size += len(line) + 2
            n += 1
        data = '{"apiVersion": "v1", "kind": "List", "items": [\n' + ",\n".join(items) + "\n]}\n"
        out.append((f"nodes/n{i:03d}/nvidia-smi.xml", data.encode()))
        total -= len(data)
        i += 1
    return out


def build(base: Path, kind: str, mb: int) -> tuple[Path, Path]:
    """A signed bundle with ``mb`` MB of ``kind`` evidence, and its trust store."""
    out = run([*driftctl_argv(), "keygen", "--site", SITE, "--out-dir", str(base / "key")])
    trust = base / "allowed_signers"
    trust.write_text(out.stdout.decode().splitlines()[0] + "\n")
    key = load_private_key(base / "key" / f"{SITE}_ed25519")
    rng = random.Random(f"{kind}-{mb}")
    evidence = (random_evidence if kind == "random" else text_evidence)(mb << 20, rng)
    snapshot = Snapshot(site=SITE, collected_at="2026-11-22T00:00:00Z").to_dict()
    written = write_bundle(base / "out", snapshot, evidence, {"total": 0}, key, "bench")
    return written.path, trust


def bench(
    kind: str, mb: int, rounds: int, baseline: Path | None = None
) -> tuple[Series, Series, Series]:
    with tempfile.TemporaryDirectory(prefix="driftctl-bench-verify-") as tmp:
        bundle, trust = build(Path(tmp), kind, mb)
        keygen = [
            "ssh-keygen", "-Y", "verify", "-f", str(trust), "-I", SITE, "-n", NAMESPACE,
            "-s", f"{bundle}.sig",
        ]  # fmt: skip
        pipeline = (
            f"{shlex.join(keygen)} < {shlex.quote(str(bundle))} >/dev/null"
            f" && tar -tzf {shlex.quote(str(bundle))} >/dev/null"
            f" && sha256sum {shlex.quote(str(bundle))} >/dev/null"
        )
        ours_argv = [*driftctl_argv(), "verify", str(bundle), "--trust", str(trust)]
        sides = [
            ("driftctl verify", lambda: run(ours_argv)),
            ("stock pipeline", lambda: run(["sh", "-c", pipeline])),
            ("ssh-keygen -Y verify", lambda: run(keygen, stdin=bundle)),
        ]
        if baseline is not None:
            theirs = [str(baseline / ".venv" / "bin" / "driftctl"), *ours_argv[-4:]]
            sides.append((f"verify of {baseline.name}", lambda: run(theirs)))
        ours, stock, floor, *before = alternate(sides, rounds)
        size = bundle.stat().st_size / 1e6
        print(f"-- {kind} evidence, {mb} MB in the bundle's members; the .tar.gz is {size:.0f} MB")
        for series in (ours, stock, floor, *before):
            print(series.line())
        print(
            f"   driftctl / pipeline {ours.median / stock.median:.2f}, "
            f"driftctl / ssh-keygen {ours.median / floor.median:.2f} (medians)"
        )
        for other in before:
            print(f"   {ours.name} / {other.name}: {ours.median / other.median:.2f} (medians), "
                  f"CPU {ours.cpu / other.cpu:.2f}")  # fmt: skip
        return ours, stock, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", default="20,200", help="evidence sizes in MB, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout, timed alongside")
    args = parser.parse_args()
    print(machine())
    sizes = [int(s) for s in args.mb.split(",")]
    final: dict[str, tuple[Series, Series, Series]] = {}
    rss: dict[str, list[float]] = {}
    for kind in ("random", "text"):
        for mb in sizes:
            final[kind] = bench(kind, mb, args.rounds, args.baseline)
            rss.setdefault(kind, []).append(final[kind][0].rss)
    for kind, values in rss.items():
        sizes_rss = ", ".join(f"{mb} MB: {r:.0f} MiB" for mb, r in zip(sizes, values, strict=True))
        print(f"driftctl verify peak RSS, {kind}: {sizes_rss} (goal: flat)")
    ours, _, floor = final["random"]
    print(ratio_line(ours, floor, "<= 2 on random contents").replace("ratio", "floor ratio", 1))
    for kind in ("random", "text"):
        ours, stock, _ = final[kind]
        print(ratio_line(ours, stock, "<= 0.5").replace("ratio", f"ratio ({kind})", 1))


if __name__ == "__main__":
    main()
