"""Load and strictly validate a policy file; every error names the file, the rule id and the key."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from driftctl.errors import InputError
from driftctl.policy.model import GateSeverity, Policy, Rule
from driftctl.policy.rules import REGISTRY
from driftctl.safeio import check_keys, expect_mapping
from driftctl.safeyaml import load_yaml_file, loads_yaml

COMMON_KEYS = {"id", "kind", "severity", "message"}
RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# Named as the user knows it: the README and the repository show manifests/compat.yaml, which is
# packaged unchanged as driftctl/data/compat.yaml.
DEFAULT_POLICY = "packaged default (manifests/compat.yaml)"


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path``, or the packaged default policy when ``path`` is None."""
    if path is None:
        data = resources.files("driftctl").joinpath("data", "compat.yaml").read_bytes()
        return parse_policy(loads_yaml(data, DEFAULT_POLICY), DEFAULT_POLICY)
    return parse_policy(load_yaml_file(path), str(path))


def parse_policy(doc: object, source: str) -> Policy:
    """Validate a decoded policy document; ``source`` names it in errors."""
    top = expect_mapping(doc, source)
    check_keys(top, {"rules"}, source, required={"rules"})
    raw_rules = top["rules"]
    if not isinstance(raw_rules, list):
        raise InputError(f"{source}: key 'rules' must be a list")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, source, index)
        if rule.id in seen:
            raise InputError(f"{source}: rule {rule.id!r}: duplicate id")
        seen.add(rule.id)
        rules.append(rule)
    return Policy(source=source, rules=tuple(rules))


def _parse_rule(raw: object, source: str, index: int) -> Rule:
    entry = expect_mapping(raw, f"{source}: rule #{index + 1}")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise InputError(f"{source}: rule #{index + 1}: missing required key 'id'")
    if not RULE_ID.fullmatch(rule_id):
        raise InputError(f"{source}: rule #{index + 1}: key 'id': bad rule id {rule_id!r}")
    where = f"{source}: rule {rule_id!r}"
    kind_name = entry.get("kind")
    if kind_name is None:
        raise InputError(f"{where}: missing required key 'kind'")
    kind = REGISTRY.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        known = ", ".join(sorted(REGISTRY))
        raise InputError(f"{where}: key 'kind': unknown kind {kind_name!r} (known: {known})")
    check_keys(entry, COMMON_KEYS | kind.keys, where, required={"severity"} | kind.required)
    severity = entry["severity"]
    if severity not in ("block", "warn"):
        raise InputError(f"{where}: key 'severity' must be block or warn, not {severity!r}")
    message = entry.get("message")
    if message is not None and not isinstance(message, str):
        raise InputError(f"{where}: key 'message' must be a string")
    specific = {k: v for k, v in entry.items() if k not in COMMON_KEYS}
    return Rule(
        id=rule_id,
        kind=kind.kind,
        severity=GateSeverity(severity),
        config=kind.parse(specific, where),
        message=message,
    )
