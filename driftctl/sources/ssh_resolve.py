"""Which nodes to reach over SSH and how: config list or Kubernetes InternalIPs, plus ~/.ssh/config."""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass

from driftctl.config import NodeTarget, SshSettings
from driftctl.dump_layout import NODE_NAME_RE, NODES_PATH
from driftctl.errors import InputError
from driftctl.model import Failure, RawSet
from driftctl.parsers.kube_objects import ListUnavailable, load_items, mapping, seq
from driftctl.sources.ssh_paramiko import SSHConfig

JUMP_RE = re.compile(r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]]+\]|[^:\s]+)(?::(?P<port>\d+))?$")
MAX_JUMPS = 4


@dataclass(frozen=True)
class Hop:
    """One SSH server to authenticate to: the node itself or a ProxyJump bastion."""

    alias: str
    host: str
    port: int
    user: str
    identity_files: tuple[str, ...] = ()

    @property
    def known_hosts_name(self) -> str:
        """The name OpenSSH writes into known_hosts for this host and port."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


@dataclass(frozen=True)
class Endpoint:
    """A node and the chain of hops to it (jumps first, then the target)."""

    node: str
    target: Hop
    jumps: tuple[Hop, ...] = ()


def load_ssh_config(settings: SshSettings) -> SSHConfig | None:
    """The user's ssh_config, or None when not configured or absent (a missing file is normal)."""
    if not settings.ssh_config:
        return None
    path = os.path.expanduser(settings.ssh_config)
    if not os.path.isfile(path):
        return None
    try:
        return SSHConfig.from_path(path)
    except Exception as exc:  # paramiko raises plain ConfigParseError/ValueError types
        raise InputError(f"{path}: ssh_config not understood: {exc}") from exc


def nodes_from_kubernetes(raw: RawSet) -> tuple[list[NodeTarget], list[Failure]]:
    """Every node of ``kubernetes/nodes.json`` at its InternalIP, named after the node."""
    try:
        items = load_items(raw, NODES_PATH)
    except ListUnavailable as exc:
        return [], [Failure("kubernetes/nodes", "ssh", f"no node list to reach over SSH: {exc}")]
    targets: list[NodeTarget] = []
    failures: list[Failure] = []
    for node in items:
        name = mapping(node, "metadata").get("name")
        if not isinstance(name, str):
            continue
        ips = [
            a.get("address")
            for a in seq(node, "status", "addresses")
            if isinstance(a, dict) and a.get("type") == "InternalIP"
        ]
        if not ips or not isinstance(ips[0], str):
            failures.append(Failure(name, "ssh", "node has no InternalIP address"))
            continue
        targets.append(NodeTarget(name=name, host=ips[0]))
    return targets, failures


def _lookup(cfg: SSHConfig | None, alias: str) -> dict[str, object]:
    # object, not the str its stubs say: paramiko gives IdentityFile as a list of paths.
    return dict(cfg.lookup(alias)) if cfg is not None else {"hostname": alias}


def _identity_files(entry: dict[str, object]) -> tuple[str, ...]:
    found = entry.get("identityfile", ())
    return tuple(str(path) for path in found) if isinstance(found, list) else ()


def _hop(
    alias: str, cfg: SSHConfig | None, settings: SshSettings, user: str | None, port: int | None
) -> Hop:
    """Explicit values (driftctl config, jump spec) beat ssh_config, which beats defaults."""
    try:
        entry = _lookup(cfg, alias)
    except ImportError:  # paramiko's stand-in for the Invoke it would need
        raise InputError(
            f"{settings.ssh_config}: 'Match exec' is not supported: driftctl runs no command "
            "from ssh_config (use Match host/user, or list the nodes in the site config)"
        ) from None
    configured = entry.get("port")
    ports = [port, int(configured) if isinstance(configured, str) else None, settings.port]
    identities = (settings.identity_file,) if settings.identity_file else _identity_files(entry)
    return Hop(
        alias=alias,
        host=str(entry.get("hostname", alias)),
        port=next(p for p in ports if p is not None),
        user=user or settings.user or str(entry.get("user") or "") or getpass.getuser(),
        identity_files=tuple(os.path.expanduser(i) for i in identities),
    )


def _jumps(spec: str, cfg: SSHConfig | None, settings: SshSettings, node: str) -> tuple[Hop, ...]:
    if spec.strip().lower() == "none":
        return ()
    hops = []
    for part in spec.split(","):
        match = JUMP_RE.fullmatch(part.strip())
        if not match:
            raise InputError(f"ssh_config: ProxyJump {part!r} for {node} is not [user@]host[:port]")
        host = match.group("host").strip("[]")
        port = int(match.group("port")) if match.group("port") else None
        # A bastion's own User/IdentityFile come from its ssh_config entry, not the node's.
        hops.append(_hop(host, cfg, SshSettings(port=settings.port), match.group("user"), port))
    if len(hops) > MAX_JUMPS:
        raise InputError(f"ssh_config: ProxyJump for {node} has more than {MAX_JUMPS} hops")
    return tuple(hops)


def resolve(target: NodeTarget, settings: SshSettings, cfg: SSHConfig | None) -> Endpoint:
    """The hops to ``target``; raises InputError for a name unfit as a dump directory."""
    if not NODE_NAME_RE.fullmatch(target.name):
        raise InputError(f"ssh.nodes: node name {target.name!r} is not a safe directory name")
    port = target.port if target.port != 22 else None
    hop = _hop(target.host, cfg, settings, None, port)
    hop = Hop(target.name, hop.host, hop.port, hop.user, hop.identity_files)
    jump = _lookup(cfg, target.host).get("proxyjump")
    return Endpoint(target.name, hop, _jumps(str(jump), cfg, settings, target.name) if jump else ())
