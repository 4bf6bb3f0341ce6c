"""Benchmark: CPU seconds to redact one hostile megabyte (goal < 1 s), per detector and layer,
as free text and as one value; a gzip bomb; distinct three-layer encodings; the fixture fleet.

Run by hand: ``.venv/bin/python tests/bench/bench_redact.py``; prints one line per case (the
best of three runs, CPU time of this process, so a loaded machine disturbs it less).
"""

from __future__ import annotations

import base64
import gzip
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchkit import goal_line  # noqa: E402
from test_redact import STRUCTURE_UNITS  # noqa: E402

from driftctl.config import load_site_config  # noqa: E402
from driftctl.pipeline import collect_site  # noqa: E402
from driftctl.redact import Redactor, redact_evidence, redact_snapshot  # noqa: E402

MB = 1_000_000
UNITS = {
    "tags": "<a>",
    "colons": "a:",
    "userinfo": "u:x@",
    "pem-headers": "-----BEGIN PRIVATE KEY-----",
    **STRUCTURE_UNITS,
}


def best(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def main() -> None:
    worst = 0.0
    for name, unit in UNITS.items():
        text = unit * (MB // len(unit))
        as_text = best(lambda text=text: Redactor(None).text(text))
        as_value = best(lambda text=text: Redactor(None).value({"v": text}))
        worst = max(worst, as_text, as_value)
        print(f"{name:20s} 1 MB as text {as_text:6.3f} s   as one value {as_value:6.3f} s")
    runs = [b64(b64(b64(f"password=x{n:08d}".encode()))).decode() for n in range(22_000)]
    distinct = " ".join(runs)
    t = best(lambda: Redactor(None).text(distinct))
    worst = max(worst, t)
    print(f"{'distinct 3-layer':20s} {len(distinct) / MB:.2f} MB, {len(runs)} runs: {t:6.3f} s")
    many = " ".join(
        b64(gzip.compress(b"password=x " * 95_000 + b"%d" % n, mtime=0)).decode()
        for n in range(360)
    )
    t = best(lambda: Redactor(None).text(many))
    worst = max(worst, t)
    print(f"{'gzip blobs':20s} {len(many) / MB:.2f} MB, 360 blobs of 1 MB text each: {t:6.3f} s")
    bomb = b64(gzip.compress(b"\0" * (200 << 20), mtime=0)).decode()
    t = best(lambda: Redactor(None).value({"v": bomb}))
    print(f"{'gzip bomb':20s} {len(bomb) / MB:.2f} MB encoding 200 MB zeros: {t:6.3f} s")
    print(f"worst hostile megabyte: {worst:.3f} s CPU")
    for site in sorted((ROOT / "fixtures" / "sites").iterdir()):
        config = load_site_config(site / "site.yaml")
        outcome = collect_site(config, from_dump=site / "dump")
        rules = {c.name: c.attributes for c in config.components}

        def redact(outcome=outcome, rules=rules) -> None:  # type: ignore[no-untyped-def]
            r = Redactor(bytes(32))
            redact_snapshot(r, outcome.snapshot.to_dict(), rules)
            redact_evidence(r, outcome.raw)

        raw = sum(len(a.data or b"") for a in outcome.raw)
        print(f"fixture {site.name:20s} {raw / 1e3:7.1f} kB raw: {best(redact) * 1e3:6.1f} ms")
    print(goal_line("worst hostile megabyte, CPU", worst, 1.0))


if __name__ == "__main__":
    main()
