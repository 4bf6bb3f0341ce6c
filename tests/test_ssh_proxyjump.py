"""~/.ssh/config resolution (HostName, User, Port, IdentityFile) and ProxyJump through a real bastion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nodes.sshd import Farm, Reply, keygen
from realdata_kit import A100_XML

from driftctl.config import NodeTarget, SiteConfig, SshSettings
from driftctl.model import Artifact, RawSet
from driftctl.progress import NullProgress
from driftctl.sources.ssh import SshSource
from driftctl.sources.ssh_paramiko import SSHConfig
from driftctl.sources.ssh_resolve import Hop, resolve


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    base = tmp_path_factory.mktemp("ssh-jump")
    farm = Farm(base / "nodes")
    try:
        farm.add("bastion", log_level="DEBUG1")
        farm.add("bad-bastion", known=keygen(base / "other_host_key"))
        for name in ("behind", "direct", "behind-bad"):
            farm.add(name).script("nvidia-smi", {"-q -x": Reply(A100_XML)})
        farm.start()
        ssh_config = base / "ssh_config"
        ssh_config.write_text(
            "\n".join(
                [
                    "Host jump",
                    f"  HostName 127.0.0.1\n  Port {farm.nodes['bastion'].port}",
                    "Host badjump",
                    f"  HostName 127.0.0.1\n  Port {farm.nodes['bad-bastion'].port}",
                    "Host node-behind",
                    f"  HostName 127.0.0.1\n  Port {farm.nodes['behind'].port}\n  ProxyJump root@jump",
                    "Host node-behind-bad",
                    f"  HostName 127.0.0.1\n  Port {farm.nodes['behind-bad'].port}\n  ProxyJump badjump",
                    "Host node-direct",
                    f"  HostName 127.0.0.1\n  Port {farm.nodes['direct'].port}",
                    "Host *",
                    f"  User root\n  IdentityFile {farm.identity}",
                    "",
                ]
            )
        )
        farm.ssh_config = ssh_config  # type: ignore[attr-defined]
        yield farm
    finally:
        farm.close()


def _acquire(
    farm: Farm, targets: tuple[NodeTarget, ...] | None, raw: RawSet | None = None
) -> RawSet:
    settings = SshSettings(
        user=None,
        identity_file=None,  # from ssh_config
        known_hosts=str(farm.known_hosts),
        nodes=targets,
        timeout_seconds=2.0,
        ssh_config=str(farm.ssh_config),  # type: ignore[attr-defined]
        use_agent=False,
    )
    raw = raw or RawSet()
    SshSource().acquire(SiteConfig("lab", Path("lab.yaml"), ssh=settings), raw, NullProgress())
    return raw


def test_ssh_config_gives_hostname_port_user_and_identity(farm: Farm) -> None:
    raw = _acquire(farm, (NodeTarget("direct", "node-direct"),))
    assert raw.failures == []
    art = raw.get("nodes/direct/nvidia-smi.xml")
    assert art is not None and art.rc == 0 and b"535.54.03" in (art.data or b"")
    assert "Accepted publickey for root" in farm.nodes["direct"].sshd_log()


def test_proxyjump_goes_through_the_bastion(farm: Farm) -> None:
    raw = _acquire(farm, (NodeTarget("behind", "node-behind"),))
    assert raw.failures == []
    assert raw.get("nodes/behind/nvidia-smi.xml") is not None
    target_port = farm.nodes["behind"].port
    bastion_log = farm.nodes["bastion"].sshd_log()
    assert f"target 127.0.0.1 port {target_port}" in bastion_log  # direct-tcpip on the bastion
    assert farm.nodes["bastion"].commands() == []  # nothing runs on the bastion itself


def test_bastion_host_key_is_verified_too(farm: Farm) -> None:
    raw = _acquire(farm, (NodeTarget("behind-bad", "node-behind-bad"),))
    errors = [f.error for f in raw.failures]
    assert len(errors) == 1 and errors[0].startswith(
        "via bastion badjump: host key mismatch for badjump (SHA256:"
    )
    assert farm.nodes["behind-bad"].commands() == []


def test_nodes_from_kubernetes_internal_ips(farm: Farm) -> None:
    """``nodes: kubernetes``: each node's InternalIP, its dir named after the node."""
    nodes = {
        "kind": "NodeList",
        "apiVersion": "v1",
        "items": [
            {
                "metadata": {"name": "k8s-direct"},
                "status": {"addresses": [{"type": "InternalIP", "address": "node-direct"}]},
            },
            {
                "metadata": {"name": "k8s-noip"},
                "status": {"addresses": [{"type": "Hostname", "address": "x"}]},
            },
        ],
    }
    raw = RawSet()
    raw.add(Artifact("kubernetes/nodes.json", json.dumps(nodes).encode()))
    _acquire(farm, None, raw)
    assert raw.get("nodes/k8s-direct/nvidia-smi.xml") is not None
    assert [(f.target, f.error) for f in raw.failures] == [
        ("k8s-noip", "node has no InternalIP address")
    ]


def test_nodes_from_kubernetes_without_a_node_list_is_a_failure(farm: Farm) -> None:
    raw = _acquire(farm, None)
    assert [f.target for f in raw.failures] == ["kubernetes/nodes"]
    assert raw.artifacts == {}


def test_unreadable_identity_file_stops_the_source_with_one_line(
    farm: Farm, tmp_path: Path
) -> None:
    from driftctl.errors import OperationalError

    missing = tmp_path / "no_such_key"
    settings = SshSettings(
        identity_file=str(missing),
        known_hosts=str(farm.known_hosts),
        nodes=(NodeTarget("direct", "node-direct"),),
        ssh_config=None,
        use_agent=False,
    )
    with pytest.raises(OperationalError, match=f"ssh.identity_file: {missing}: cannot load key"):
        SshSource().acquire(
            SiteConfig("lab", Path("lab.yaml"), ssh=settings), RawSet(), NullProgress()
        )


def test_ssh_agent_identity(farm: Farm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not shutil.which("ssh-agent"):
        pytest.skip("ssh-agent is not installed")
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.02)
        env = {"SSH_AUTH_SOCK": str(sock), "PATH": "/usr/bin:/bin"}
        subprocess.run(
            ["ssh-add", "-q", str(farm.identity)], env=env, check=True, capture_output=True
        )
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        settings = SshSettings(
            user="root",
            identity_file=None,
            known_hosts=str(farm.known_hosts),
            nodes=(NodeTarget("direct", "127.0.0.1", farm.nodes["direct"].port),),
            timeout_seconds=2.0,
            ssh_config=None,  # no IdentityFile anywhere: only the agent holds the key
            use_agent=True,
        )
        raw = RawSet()
        SshSource().acquire(SiteConfig("lab", Path("lab.yaml"), ssh=settings), raw, NullProgress())
        assert raw.failures == []
        assert raw.get("nodes/direct/nvidia-smi.xml") is not None
        monkeypatch.delenv("SSH_AUTH_SOCK")
        raw = RawSet()
        SshSource().acquire(SiteConfig("lab", Path("lab.yaml"), ssh=settings), raw, NullProgress())
        assert [f.error for f in raw.failures] == [
            "authentication failed for user root (no identity file and no ssh-agent)"
        ]
    finally:
        agent.kill()
        agent.wait(timeout=5)


def test_ssh_config_values_are_read_as_paramiko_gives_them() -> None:
    """Port comes as a string and IdentityFile as a list (every line, in order), whatever
    paramiko's stubs say; an explicit value still beats ssh_config."""
    cfg = SSHConfig.from_text(
        "Host n1\n  HostName 10.0.0.5\n  Port 2222\n  User ops\n"
        "  IdentityFile ~/.ssh/a\n  IdentityFile /keys/b\n  ProxyJump jump:2200\n"
    )
    endpoint = resolve(NodeTarget("n1", "n1"), SshSettings(), cfg)
    assert endpoint.target == Hop(
        "n1", "10.0.0.5", 2222, "ops", (os.path.expanduser("~/.ssh/a"), "/keys/b")
    )
    assert [(j.host, j.port) for j in endpoint.jumps] == [("jump", 2200)]
    explicit = resolve(NodeTarget("n1", "n1"), SshSettings(identity_file="/k/c", port=22), cfg)
    assert explicit.target.identity_files == ("/k/c",) and explicit.target.port == 2222
