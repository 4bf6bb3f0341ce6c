"""Namespace tier (root only): a blackholed node and a refusing node cost at most their timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftctl.config import NodeTarget, SiteConfig, SshSettings
from driftctl.model import RawSet
from driftctl.progress import NullProgress
from driftctl.sources.ssh import SshSource

pytestmark = pytest.mark.netns
TIMEOUT = 1.5
SUBNET = f"10.200.{os.getpid() % 200 + 20}"


def _sh(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        pytest.skip(f"namespace setup failed: {' '.join(argv)}: {done.stderr.strip()}")


@pytest.fixture(scope="module")
def netns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (the loopback tier still runs)")
    if not shutil.which("ip") or not shutil.which("nft"):
        pytest.skip("iproute2 and nftables are needed for the namespace tier")
    ns, host_if, ns_if = f"dctl{os.getpid()}", f"dch{os.getpid()}", f"dcn{os.getpid()}"
    had_run_netns = Path("/run/netns").exists()
    tmp = tmp_path_factory.mktemp("netns")
    try:
        _sh("ip", "netns", "add", ns)
        _sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        _sh("ip", "link", "set", ns_if, "netns", ns)
        _sh("ip", "addr", "add", f"{SUBNET}.1/24", "dev", host_if)
        _sh("ip", "link", "set", host_if, "up")
        _sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{SUBNET}.2/24", "dev", ns_if)
        _sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up")
        _sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        rules = tmp / "rules.nft"
        rules.write_text(
            "table inet dctl {\n  chain input {\n    type filter hook input priority 0;\n"
            "    tcp dport 22 drop\n    tcp dport 23 reject with tcp reset\n  }\n}\n"
        )
        _sh("ip", "netns", "exec", ns, "nft", "-f", str(rules))
        yield ns
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if not had_run_netns and Path("/run/netns").exists() and not os.listdir("/run/netns"):
            while subprocess.run(["umount", "/run/netns"], capture_output=True).returncode == 0:
                pass  # ip netns may have mounted it more than once
            subprocess.run(["rmdir", "/run/netns"], capture_output=True)


def test_blackholed_and_refused_nodes_are_bounded_failures(netns: str, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    targets = (
        NodeTarget("blackholed", f"{SUBNET}.2", 22),
        NodeTarget("no-such-host", f"{SUBNET}.3", 22),
        NodeTarget("refused", f"{SUBNET}.2", 23),
    )
    settings = SshSettings(
        known_hosts=str(known_hosts),
        nodes=targets,
        timeout_seconds=TIMEOUT,
        ssh_config=None,
        use_agent=False,
    )
    raw = RawSet()
    start = time.monotonic()
    SshSource().acquire(SiteConfig("lab", Path("lab.yaml"), ssh=settings), raw, NullProgress())
    elapsed = time.monotonic() - start
    errors = {f.target: f.error for f in raw.failures}
    assert errors == {
        "blackholed": f"connect timed out after {TIMEOUT:.1f} s",
        "no-such-host": f"connect timed out after {TIMEOUT:.1f} s",
        "refused": "connection refused",
    }
    assert TIMEOUT - 0.1 <= elapsed <= TIMEOUT + 1.0, elapsed
    assert raw.artifacts == {}
