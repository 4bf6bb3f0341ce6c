"""The writer never writes a bundle the importer would refuse: each reader cap is checked
before signing (exit 3 naming the member and the cap, nothing written), and each bundle the
writer refuses is one the reader refuses too."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
from bundle_kit import make_key, signer_line, snapshot, trust_file
from snapshot_kit import workload

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.limits import Limits
from driftctl.bundle.verify import verify_bundle
from driftctl.bundle.writer import write_bundle
from driftctl.errors import BundleRejected, OperationalError

SITE = "utility"
# Caps no test reaches: the bundle as it would be written without the checks.
UNBOUNDED = Limits(
    bundle_bytes=1 << 31,
    members=1 << 20,
    member_bytes=1 << 30,
    total_bytes=1 << 31,
    ratio=1 << 20,
    small_json_bytes=1 << 30,
    snapshot_values=1 << 30,
    snapshot_workloads=1 << 30,
)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("k"), SITE)[0]


def _workloads(n: int) -> dict[str, Any]:
    return {f"ns/Deployment/w{i}": workload() for i in range(n)}


CASES = [
    # (name, snapshot sections, evidence, redaction report, caps, what the refusal names)
    ("member", {}, [("nodes/n1/x.txt", b"x" * 200_000)], {}, {"member_bytes": 100_000},
     "member evidence/nodes/n1/x.txt is 200000 bytes, over the cap of 100000"),
    ("members", {}, [(f"nodes/n{i}/x.txt", b"x") for i in range(5)], {}, {"members": 5},
     "8 members, over the cap of 5"),
    ("small json", {}, [], {"pad": "x" * 5000}, {"small_json_bytes": 4096},
     "member redaction.json is"),
    ("total", {}, [("nodes/a/x.txt", b"x" * 200_000), ("nodes/b/x.txt", b"y" * 200_000)], {},
     {"total_bytes": 300_000}, "bytes unpacked, over the cap of 300000"),
    ("ratio", {}, [("nodes/a/x.txt", b"\0" * 3_000_000)], {}, {},
     "over the compression ratio cap of 100:1"),
    ("archive", {}, [("nodes/a/x.bin", os.urandom(300_000))], {}, {"bundle_bytes": 200_000},
     "over the cap of 200000"),
    ("workloads", {"workloads": _workloads(3)}, [], {}, {"snapshot_workloads": 2},
     "snapshot.json holds 3 workloads, over the cap of 2"),
    ("values", {"workloads": _workloads(3)}, [], {}, {"snapshot_values": 50},
     "JSON values, over the cap of 50"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sections", "evidence", "report", "caps", "named"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_a_bundle_over_a_reader_cap_is_not_written_and_the_reader_would_refuse_it(
    tmp_path: Path,
    key: SigningKey,
    sections: dict[str, Any],
    evidence: list[tuple[str, bytes]],
    report: dict[str, Any],
    caps: dict[str, int],
    named: str,
) -> None:
    limits = dataclasses.replace(Limits(), **caps)
    snap = snapshot(SITE, **sections)
    out, state = tmp_path / "out", tmp_path / "state"
    with pytest.raises(OperationalError, match="bundle not written: ") as refused:
        write_bundle(out, snap, evidence, report, key, "9.9", state_dir=state, limits=limits)
    assert named in str(refused.value) and "the importer would refuse it" in str(refused.value)
    assert not out.exists() or list(out.iterdir()) == []  # nothing written, not even temps
    # The same bundle written without the checks: the reader, with the same caps, refuses it.
    unchecked = tmp_path / "unchecked"
    written = write_bundle(
        unchecked, snap, evidence, report, key, "9.9", state_dir=state, limits=UNBOUNDED
    )
    assert written.seq == 1  # the refused attempt did not use a seq
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    with pytest.raises(BundleRejected):
        verify_bundle(written.path, trust, limits=limits)
    verify_bundle(written.path, trust, limits=UNBOUNDED)  # refused for that cap alone
