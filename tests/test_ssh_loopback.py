"""SshSource against real loopback sshd daemons and real chronyd: facts, failures, time bounds."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nodes.chrony import Chrony
from nodes.sshd import Farm, Reply, keygen
from realdata_kit import A100_XML, fleet_output

from driftctl.config import NodeTarget, SiteConfig, SshSettings
from driftctl.dump_layout import QUERY_GPU_FIELDS
from driftctl.model import RawSet
from driftctl.pipeline import collect_site
from driftctl.sources.ssh import SshSource

TIMEOUT = 1.0
NO_DRIVER_NODE = ("utility", "ut-gpu2")  # the fleet node whose driver is not loaded
XML, CSV, TABLE = "-q -x", f"--query-gpu={QUERY_GPU_FIELDS} --format=csv", ""
# The fleet's own A100 output, and the same with its driver version cut out (an XML that gives no
# facts, so the collector falls back to the CSV form).
NO_DRIVER_XML = re.sub(rb"\s*<driver_version>[^<]*</driver_version>", b"", A100_XML.read_bytes())
FALLBACK_CSV = b"index, name, driver_version, mig.mode.current, uuid\n0, NVIDIA L40S, 595.58.03, [N/A], GPU-5b0c\n"
UNSYNCED_SHOW = b"Timezone=Europe/Berlin\nLocalRTC=no\nCanNTP=yes\nNTP=yes\nNTPSynchronized=no\n"


@dataclass
class Run:
    farm: Farm
    snapshot: dict[str, Any]
    raw: RawSet
    elapsed: float
    known_hosts_before: bytes

    def node(self, name: str) -> dict[str, Any]:
        nodes: dict[str, Any] = self.snapshot["nodes"]
        return nodes.get(name, {})

    def failures(self, name: str) -> list[str]:
        return [f["error"] for f in self.snapshot["failures"] if f["target"] == name]


def _settings(farm: Farm, names: list[str], extra: tuple[NodeTarget, ...] = ()) -> SshSettings:
    targets = tuple(NodeTarget(n, "127.0.0.1", farm.nodes[n].port) for n in names) + extra
    return SshSettings(
        user="root",
        identity_file=str(farm.identity),
        known_hosts=str(farm.known_hosts),
        nodes=targets,
        timeout_seconds=TIMEOUT,
        concurrency=8,
        ssh_config=None,
        use_agent=False,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    base = tmp_path_factory.mktemp("ssh-loopback")
    farm = Farm(base / "nodes")
    chrony = Chrony(base / "chrony")
    try:
        ok = farm.add("gpu-a100")
        ok.script("nvidia-smi", {XML: Reply(A100_XML)})
        ok.install("chronyc", chrony.chronyc("synced"))

        fallback = farm.add("gpu-fallback")
        fallback.script(
            "nvidia-smi",
            {
                XML: Reply(NO_DRIVER_XML),
                CSV: Reply(FALLBACK_CSV),
                TABLE: Reply(rc=9),
            },
        )
        fallback.install("chronyc", chrony.chronyc("drifted"))

        nodriver = farm.add("gpu-nodriver")
        nodriver.script(
            "nvidia-smi", {XML: Reply(fleet_output(*NO_DRIVER_NODE, "nvidia-smi.xml.stderr"), rc=9)}
        )
        nodriver.install("chronyc", chrony.chronyc("unsynced"))

        cpu = farm.add("cpu-timesyncd")
        cpu.script("timedatectl", {"show": Reply(UNSYNCED_SHOW)})

        old_systemd = farm.add("cpu-systemd219")  # CentOS 7: no `timedatectl show`
        old_systemd.script(
            "timedatectl",
            {
                "show": Reply(rc=1, stderr="Unknown operation show"),
                "": Reply(fleet_output("public-institution", "pi-w2", "timedatectl.txt")),
            },
        )

        hang = farm.add("gpu-hung")
        hang.script("nvidia-smi", {XML: Reply(hang=True)})
        hang.install("chronyc", chrony.chronyc("synced"))

        other = keygen(base / "other_host_key")
        farm.add("wrong-hostkey", known=other)
        farm.add("unknown-host", known=None)
        farm.add("wrong-clientkey", client_pub=keygen(base / "other_client_key"))
        silent = farm.add("silent")
        farm.start()
        silent.stop()
        chrony.wait_synced(("synced", "drifted"))

        names = sorted(farm.nodes)
        refused = NodeTarget("refused", "127.0.0.1", _closed_port())
        config = SiteConfig(
            site="lab", source=Path("lab.yaml"), ssh=_settings(farm, names, (refused,))
        )
        before = farm.known_hosts.read_bytes()
        start = time.monotonic()
        outcome = collect_site(config, sources=[SshSource()])
        elapsed = time.monotonic() - start
        yield Run(farm, outcome.snapshot.to_dict(), outcome.raw, elapsed, before)
    finally:
        farm.close()
        chrony.close()


def _closed_port() -> int:
    from nodes.sshd import free_port

    return free_port()


def test_healthy_gpu_node_facts_come_from_the_xml(run: Run) -> None:
    gpu = run.node("gpu-a100")["gpu"]
    assert gpu["source"] == "nvidia-smi"
    assert (gpu["driver_version"], gpu["cuda_version"]) == ("535.54.03", "12.2")
    assert gpu["devices"] == [{"name": "NVIDIA A100-SXM4-80GB", "mig": True}] * 4
    assert gpu["count"] == 4 and gpu["error"] is None
    # One exec per healthy node: both first forms in one session, as parallel-ssh would send.
    assert run.farm.nodes["gpu-a100"].execs() == [["nvidia-smi -q -x", "chronyc -c tracking"]]
    assert run.failures("gpu-a100") == []


def test_xml_without_driver_falls_back_to_csv_and_stops_there(run: Run) -> None:
    gpu = run.node("gpu-fallback")["gpu"]
    assert gpu["driver_version"] == "595.58.03"
    assert gpu["cuda_version"] is None  # the CSV form never reports CUDA: unknown, and said so
    assert any("CUDA version not reported" in f for f in run.failures("gpu-fallback"))
    # Round one asks every group's first form; only the group still unanswered goes on.
    assert run.farm.nodes["gpu-fallback"].execs() == [
        ["nvidia-smi -q -x", "chronyc -c tracking"],
        [f"nvidia-smi --query-gpu={QUERY_GPU_FIELDS} --format=csv"],
    ]


def test_driver_not_loaded_is_a_fact_and_a_failure_without_useless_retries(run: Run) -> None:
    gpu = run.node("gpu-nodriver")["gpu"]
    assert gpu["error"] == "driver-not-loaded"
    assert gpu["driver_version"] is None
    assert any("NVIDIA driver not loaded" in f for f in run.failures("gpu-nodriver"))
    assert run.farm.nodes["gpu-nodriver"].commands()[0] == "nvidia-smi -q -x"
    assert sum(c.startswith("nvidia-smi") for c in run.farm.nodes["gpu-nodriver"].commands()) == 1


def test_real_chrony_synced_client(run: Run) -> None:
    t = run.node("gpu-a100")["time"]
    assert t["source"] == "chrony" and t["synchronized"] is True
    assert abs(t["offset_seconds"]) < 0.05
    assert t["reference"] == "127.0.0.1" and t["stratum"] == 9  # the local stratum-8 server


def test_real_chrony_drifted_client_is_behind(run: Run) -> None:
    t = run.node("gpu-fallback")["time"]
    assert t["synchronized"] is True
    assert t["offset_seconds"] == pytest.approx(-2.5, abs=0.1)  # server +2.5 s: local clock behind


def test_real_chrony_unsynced_client(run: Run) -> None:
    t = run.node("gpu-nodriver")["time"]
    assert t["synchronized"] is False and t["leap_status"] == "Not synchronised"
    assert t["offset_seconds"] is None


def test_node_without_gpu_or_chrony_uses_timedatectl(run: Run) -> None:
    facts = run.node("cpu-timesyncd")
    assert facts["gpu"] is None
    assert facts["time"]["source"] is None and facts["time"]["synchronized"] is False
    assert run.farm.nodes["cpu-timesyncd"].execs() == [
        ["nvidia-smi -q -x", "chronyc -c tracking"],
        ["LC_ALL=C timedatectl show 2>/dev/null || LC_ALL=C timedatectl"],
    ]
    assert any("no GPU stack" in f for f in run.failures("cpu-timesyncd"))


def test_hung_command_costs_its_timeout_and_other_facts_survive(run: Run) -> None:
    assert f"command 'nvidia-smi -q -x' timed out after {TIMEOUT:.1f} s" in run.failures("gpu-hung")
    assert run.node("gpu-hung")["time"]["synchronized"] is True
    assert "gpu" not in run.node("gpu-hung")
    # The hung command closed its exec before chronyc ran; chronyc gets its own next round.
    assert run.farm.nodes["gpu-hung"].execs() == [
        ["nvidia-smi -q -x", "chronyc -c tracking"],
        ["chronyc -c tracking"],
    ]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("wrong-hostkey", "host key mismatch for wrong-hostkey (SHA256:"),
        ("unknown-host", "unknown host key for unknown-host (SHA256:"),
        ("wrong-clientkey", "authentication failed for user root"),
        ("silent", f"no SSH banner within {TIMEOUT:.1f} s"),
        ("refused", "connection refused"),
    ],
    ids=["host-key-mismatch", "unknown-host", "wrong-client-key", "sigstopped-sshd", "refused"],
)
def test_unreachable_nodes_become_one_line_failures(run: Run, node: str, expected: str) -> None:
    errors = run.failures(node)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert "\n" not in errors[0]
    assert run.node(node) == {}
    if node in run.farm.nodes:
        assert run.farm.nodes[node].commands() == []


def test_host_key_fingerprint_is_the_servers(run: Run) -> None:
    import base64
    import hashlib

    blob = base64.b64decode(run.farm.nodes["wrong-hostkey"].host_pub.split()[1])
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert run.failures("wrong-hostkey") == [f"host key mismatch for wrong-hostkey ({fp})"]


def test_known_hosts_is_never_modified(run: Run) -> None:
    assert run.farm.known_hosts.read_bytes() == run.known_hosts_before


def test_whole_site_is_bounded_by_the_slowest_timeout(run: Run) -> None:
    # Hung command and silent sshd each cost one timeout, in parallel with everything else.
    assert run.elapsed < 2 * TIMEOUT + 1.5, run.elapsed


def test_artifacts_are_in_dump_layout_with_rc_and_stderr(run: Run) -> None:
    art = run.raw.get("nodes/gpu-nodriver/nvidia-smi.xml")
    assert art is not None and art.rc == 9 and b"couldn't communicate" in (art.data or b"")
    missing = run.raw.get("nodes/cpu-timesyncd/nvidia-smi.xml")
    assert missing is not None and missing.rc == 127 and b"not found" in missing.stderr


def test_old_systemd_without_timedatectl_show_uses_the_plain_layout(run: Run) -> None:
    t = run.node("cpu-systemd219")["time"]
    assert t["source"] is None and t["synchronized"] is True  # which daemon: not in the output
