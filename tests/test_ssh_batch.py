"""Batched node commands: one exec per round on real sshd, outputs split back byte for byte."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from nodes.sshd import Farm, Reply

from driftctl.config import NodeTarget, SiteConfig, SshSettings
from driftctl.model import RawSet
from driftctl.progress import NullProgress
from driftctl.sources.ssh import SshSource
from driftctl.sources.ssh_batch import Frames, FramingError, script

TAG = "@driftctl-end-0123456789abcdef"
# An nvidia-smi failure that is not driver-level, without a trailing newline, with bytes that
# are no UTF-8, on both streams: the batch must hand it back exactly as one exec would.
ODD_STDOUT = b"partial\x00\xff output\nwithout newline"
ODD_STDERR = "nvidia-smi: strange failure"


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    base = tmp_path_factory.mktemp("ssh-batch")
    farm = Farm(base / "nodes")
    try:
        odd = farm.add("odd")
        odd.script("nvidia-smi", {"-q -x": Reply(ODD_STDOUT, rc=3, stderr=ODD_STDERR)})
        forced = farm.add("forced")  # a restricted key: the node runs its own command, not ours
        (forced.root / "dispatch").write_text("#!/bin/sh\necho 'this key may only run backups'\n")
        farm.start()
        yield farm
    finally:
        farm.close()


def _acquire(farm: Farm, node: str) -> RawSet:
    settings = SshSettings(
        user="root",
        identity_file=str(farm.identity),
        known_hosts=str(farm.known_hosts),
        nodes=(NodeTarget(node, "127.0.0.1", farm.nodes[node].port),),
        timeout_seconds=2.0,
        ssh_config=None,
        use_agent=False,
    )
    raw = RawSet()
    SshSource().acquire(SiteConfig("lab", Path("lab.yaml"), ssh=settings), raw, NullProgress())
    return raw


def test_batched_outputs_come_back_byte_for_byte(farm: Farm) -> None:
    raw = _acquire(farm, "odd")
    xml = raw.get("nodes/odd/nvidia-smi.xml")
    assert xml is not None
    assert (xml.data, xml.stderr, xml.rc) == (ODD_STDOUT, ODD_STDERR.encode() + b"\n", 3)
    # chronyc and the other nvidia-smi forms are missing here: exit 127 from the node's shell.
    chrony = raw.get("nodes/odd/chronyc-tracking.csv")
    assert chrony is not None and chrony.rc == 127 and chrony.data == b""
    assert b"chronyc" in chrony.stderr
    assert farm.nodes["odd"].execs()[0] == ["nvidia-smi -q -x", "chronyc -c tracking"]


def test_a_node_that_runs_something_else_is_a_one_line_failure(farm: Farm) -> None:
    raw = _acquire(farm, "forced")
    assert raw.node_names() == []
    assert [f.error for f in raw.failures] == [
        "command 'nvidia-smi -q -x' ended without its end mark (exit 0)"
    ]


def test_the_script_runs_under_a_strict_posix_sh() -> None:
    line = script(["printf 'a\\nb'", "exit_not_found_xyz", "echo err >&2; false"], TAG)
    done = subprocess.run(["dash", "-c", line], capture_output=True, timeout=10)
    out, err = Frames(TAG, with_status=True), Frames(TAG, with_status=False)
    out.feed(done.stdout)
    err.feed(done.stderr)
    assert [status for _, status in out.frames] == [0, 127, 1]
    assert [data for data, _ in out.frames] == [b"a\nb", b"", b""]
    assert err.frames[0][0] == b"" and b"exit_not_found_xyz" in err.frames[1][0]
    assert err.frames[2][0] == b"err\n"


@pytest.mark.parametrize("chunk", [1, 7, 4096], ids=["bytewise", "small", "whole"])
def test_frames_split_the_same_whatever_the_chunking(chunk: int) -> None:
    stream = f"one\n{TAG}:0:0\ntwo\n\n{TAG}:1:17\n".encode()
    frames = Frames(TAG, with_status=True)
    for i in range(0, len(stream), chunk):
        frames.feed(stream[i : i + chunk])
    assert frames.frames == [(b"one", 0), (b"two\n", 17)]
    assert frames.pending == b""


def test_a_mark_of_another_nonce_or_index_is_plain_output() -> None:
    frames = Frames(TAG, with_status=True)
    frames.feed(f"x\n@driftctl-end-ffff:0:0\n\n{TAG}:1:0\ny\n{TAG}:0:2\n".encode())
    assert frames.frames == [(f"x\n@driftctl-end-ffff:0:0\n\n{TAG}:1:0\ny".encode(), 2)]


def test_an_unreadable_exit_status_is_refused() -> None:
    frames = Frames(TAG, with_status=True)
    with pytest.raises(FramingError, match="unreadable exit status"):
        frames.feed(f"\n{TAG}:0:1x\n".encode())
