"""Site config (docs/site-config.md): strict YAML validation into frozen dataclasses."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from driftctl.dump_layout import SITE_ID_RE, WORKLOAD_KINDS
from driftctl.errors import InputError
from driftctl.safeio import check_keys, expect_mapping
from driftctl.safeyaml import load_yaml_file

RULE_RE = re.compile(
    r"^(?:image_tag|image_digest|label:[^\s]+|annotation:[^\s]+|env:[A-Za-z_][A-Za-z0-9_.-]*"
    r"|helm:[a-z0-9][a-z0-9.-]*(?:/[a-z0-9][a-z0-9.-]*)?:[^\s]+)$"
)


def check_site_id(site: object, where: str) -> str:
    """Validate a site id (docs/site-config.md) or raise InputError naming ``where``."""
    if not isinstance(site, str) or not SITE_ID_RE.fullmatch(site):
        raise InputError(f"{where}: site id {site!r} must match {SITE_ID_RE.pattern}")
    return site


# Bounds of every number in a site config (docs/site-config.md): a value outside is exit 2 naming
# the key, never an overflow deep in a socket call or a thread pool asked for 10^40 workers.
HOUR, DAY = 3600.0, 86400.0
TIMEOUT_RANGE = (0.0, HOUR)  # exclusive low, inclusive high
DEADLINE_RANGE = (0.0, DAY)
PAGE_SIZE_RANGE = (1, 10_000)
MAX_PAGES_RANGE = (1, 1_000_000)
CONCURRENCY_RANGE = (1, 1024)
PORT_RANGE = (1, 65535)


@dataclass(frozen=True)
class KubeSettings:
    """Where and how to reach the Kubernetes API; ``context`` None means current/in-cluster."""

    context: str | None = None
    namespaces: tuple[str, ...] = ()
    kubeconfig: str | None = None
    timeout_seconds: float = 20.0
    page_size: int = 500
    deadline_seconds: float = 300.0  # the whole Kubernetes phase
    max_pages: int = 1000  # per list: a server that pages for ever stops here


@dataclass(frozen=True)
class NodeTarget:
    """One node to reach over SSH."""

    name: str
    host: str
    port: int = 22


@dataclass(frozen=True)
class SshSettings:
    """How node facts are collected over SSH."""

    user: str | None = None
    identity_file: str | None = None
    known_hosts: str = "~/.ssh/known_hosts"
    nodes: tuple[NodeTarget, ...] | None = None  # None = InternalIP of each Kubernetes node
    timeout_seconds: float = 10.0
    concurrency: int = 16
    port: int = 22
    deadline_seconds: float | None = None
    ssh_config: str | None = "~/.ssh/config"
    use_agent: bool = True


@dataclass(frozen=True)
class ComponentRule:
    """How one component's version and attributes are read (docs/site-config.md)."""

    name: str
    workload: str | None
    attributes: tuple[tuple[str, str], ...]  # (attribute, rule) with "version" among them


@dataclass(frozen=True)
class SiteConfig:
    """A validated site config."""

    site: str
    source: Path
    kubernetes: KubeSettings | None = None
    components: tuple[ComponentRule, ...] = ()
    ssh: SshSettings | None = None
    fleet_key_file: str | None = None


def _seconds(value: object, where: str, bounds: tuple[float, float]) -> float:
    """A number of seconds in ``(low, high]``."""
    low, high = bounds
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low < value <= high
    ):
        raise InputError(
            f"{where}: expected seconds above {low:g} and at most {high:g}, got {value!r}"
        )
    return float(value)


def _count(value: object, where: str, bounds: tuple[int, int], what: str = "an integer") -> int:
    """An integer in ``[low, high]``."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{where}: expected {what} from {low} to {high}, got {value!r}")
    return value


def _port(value: object, where: str) -> int:
    return _count(value, where, PORT_RANGE, "a TCP port")


def _opt_str(raw: Mapping[str, object], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}.{key}: expected a string")
    return value


def _kube(given: object, where: str) -> KubeSettings:
    raw = {} if given is None else expect_mapping(given, where)
    allowed = {
        "context",
        "namespaces",
        "kubeconfig",
        "timeout_seconds",
        "page_size",
        "deadline_seconds",
        "max_pages",
    }
    check_keys(raw, allowed, where)
    default = KubeSettings()
    namespaces = raw.get("namespaces", [])
    if not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces):
        raise InputError(f"{where}.namespaces: expected a list of namespace names")
    return KubeSettings(
        context=_opt_str(raw, "context", where),
        namespaces=tuple(namespaces),
        kubeconfig=_opt_str(raw, "kubeconfig", where),
        timeout_seconds=_seconds(
            raw.get("timeout_seconds", default.timeout_seconds),
            f"{where}.timeout_seconds",
            TIMEOUT_RANGE,
        ),
        page_size=_count(
            raw.get("page_size", default.page_size), f"{where}.page_size", PAGE_SIZE_RANGE
        ),
        deadline_seconds=_seconds(
            raw.get("deadline_seconds", default.deadline_seconds),
            f"{where}.deadline_seconds",
            DEADLINE_RANGE,
        ),
        max_pages=_count(
            raw.get("max_pages", default.max_pages), f"{where}.max_pages", MAX_PAGES_RANGE
        ),
    )


def _nodes(raw: object, where: str) -> tuple[NodeTarget, ...] | None:
    if raw == "kubernetes":
        return None
    if not isinstance(raw, list):
        raise InputError(f"{where}: expected 'kubernetes' or a list of {{name, host, port}}")
    out: list[NodeTarget] = []
    for i, entry in enumerate(raw):
        item_where = f"{where}[{i}]"
        item = expect_mapping(entry, item_where)
        check_keys(item, {"name", "host", "port"}, item_where, {"name"})
        name, host = item["name"], item.get("host", item["name"])
        if not isinstance(name, str) or not isinstance(host, str) or not name or not host:
            raise InputError(f"{item_where}: name and host must be non-empty strings")
        port = _port(item.get("port", 22), f"{item_where}.port")
        if any(n.name == name for n in out):
            raise InputError(f"{item_where}: duplicate node name {name!r}")
        out.append(NodeTarget(name=name, host=host, port=port))
    return tuple(out)


def _ssh(given: object, where: str) -> SshSettings:
    raw = expect_mapping(given, where)
    allowed = {
        "user",
        "identity_file",
        "known_hosts",
        "nodes",
        "timeout_seconds",
        "concurrency",
        "port",
        "deadline_seconds",
        "ssh_config",
        "use_agent",
    }
    check_keys(raw, allowed, where)
    deadline = raw.get("deadline_seconds")
    use_agent = raw.get("use_agent", True)
    if not isinstance(use_agent, bool):
        raise InputError(f"{where}.use_agent: expected true or false")
    return SshSettings(
        user=_opt_str(raw, "user", where),
        identity_file=_opt_str(raw, "identity_file", where),
        known_hosts=_opt_str(raw, "known_hosts", where) or "~/.ssh/known_hosts",
        nodes=_nodes(raw.get("nodes", "kubernetes"), f"{where}.nodes"),
        timeout_seconds=_seconds(
            raw.get("timeout_seconds", 10.0), f"{where}.timeout_seconds", TIMEOUT_RANGE
        ),
        concurrency=_count(raw.get("concurrency", 16), f"{where}.concurrency", CONCURRENCY_RANGE),
        port=_port(raw.get("port", 22), f"{where}.port"),
        deadline_seconds=None
        if deadline is None
        else _seconds(deadline, f"{where}.deadline_seconds", DEADLINE_RANGE),
        ssh_config=_opt_str(raw, "ssh_config", where) if "ssh_config" in raw else "~/.ssh/config",
        use_agent=use_agent,
    )


def _workload(value: object, where: str) -> str | None:
    """A component's ``NAMESPACE/KIND/NAME``, or None when it names no workload."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = value.split("/")
        if len(parts) == 3 and parts[1] in WORKLOAD_KINDS and all(parts):
            return value
    raise InputError(
        f"{where}.workload: expected NAMESPACE/KIND/NAME with KIND one of "
        f"{', '.join(WORKLOAD_KINDS)}, got {value!r}"
    )


def _components(given: object, where: str) -> tuple[ComponentRule, ...]:
    raw = expect_mapping(given, where)
    out = []
    for name, given_spec in sorted(raw.items()):
        cwhere = f"{where}.{name}"
        spec = expect_mapping(given_spec, cwhere)
        workload = _workload(spec.get("workload"), cwhere)
        attrs = []
        for attr, rule in sorted(spec.items()):
            if attr == "workload":
                continue
            if attr == "sources":  # the snapshot records each attribute's rule under this name
                raise InputError(f"{cwhere}.sources: reserved name, not an attribute")
            if not isinstance(rule, str) or not RULE_RE.fullmatch(rule):
                raise InputError(
                    f"{cwhere}.{attr}: rule {rule!r} is not one of image_tag, image_digest, "
                    "label:K, annotation:K, env:NAME, helm:RELEASE:dotted.path"
                )
            needs_workload = not rule.startswith("helm:")
            if needs_workload and workload is None:
                raise InputError(f"{cwhere}.{attr}: rule {rule!r} needs a 'workload'")
            attrs.append((attr, rule))
        if "version" not in spec:
            raise InputError(f"{cwhere}: missing required key 'version'")
        out.append(ComponentRule(name=name, workload=workload, attributes=tuple(attrs)))
    return tuple(out)


def load_site_config(path: Path) -> SiteConfig:
    """Load and strictly validate a site config file (docs/site-config.md)."""
    where = str(path)
    raw = expect_mapping(load_yaml_file(path), where)
    check_keys(raw, {"site", "kubernetes", "components", "ssh", "redaction"}, where, {"site"})
    site = check_site_id(raw["site"], f"{where}: site")
    fleet_key_file = None
    if "redaction" in raw:
        red = expect_mapping(raw["redaction"], f"{where}: redaction")
        check_keys(red, {"fleet_key_file"}, f"{where}: redaction")
        fleet_key_file = _opt_str(red, "fleet_key_file", f"{where}: redaction")
    return SiteConfig(
        site=site,
        source=path,
        kubernetes=_kube(raw["kubernetes"], f"{where}: kubernetes")
        if "kubernetes" in raw
        else None,
        components=_components(raw.get("components") or {}, f"{where}: components"),
        ssh=_ssh(raw["ssh"], f"{where}: ssh") if raw.get("ssh") is not None else None,
        fleet_key_file=fleet_key_file,
    )
