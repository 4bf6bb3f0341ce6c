"""Where the snapshot holds free-form values (Helm values, labels, annotations, env, argv) and
where it holds facts under ids; and the entry points the collection job calls."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from driftctl.dump_layout import KUBE_DIR, NODES_DIR
from driftctl.model import Artifact
from driftctl.redact.lists import list_items, list_members
from driftctl.redact.names import is_neutral_name, is_secret_name
from driftctl.redact.redactor import Redactor, size_of
from driftctl.strictjson import JsonValue

HELM_VALUES = ("values", "computed_values")
WORKLOAD_MAPS = ("labels", "annotations", "template_labels", "template_annotations")
CONTAINER_VALUES = ("env", "command", "args")


def redact_evidence(
    redactor: Redactor, artifacts: Iterable[Artifact], member_cap: int | None = None
) -> list[tuple[str, bytes]]:
    """All evidence members, redacted, sorted by path; a List larger than ``member_cap`` is
    stored in parts (``pods.json`` → ``pods.part-001.json``, …), each a List of whole items
    in their order and at most the cap (docs/bundle.md)."""
    members: list[tuple[str, bytes]] = []
    for artifact in artifacts:
        for path, data in redactor.artifact(artifact, member_cap):
            items = list_items(data) if member_cap and len(data) > member_cap else None
            if items is None:
                members.append((path, data))
            else:  # a dump's List, judged whole
                members.extend(list_members(path, items, member_cap))
    return sorted(members)


def source_secret(rule: str) -> bool:
    """Does a component rule read a secret? ``env:DB_PASSWORD``, ``label:build-pass``,
    ``helm:rel:auth.username`` (below a secret key, as in the release's values)."""
    kind, _, arg = rule.partition(":")
    if kind in ("env", "label", "annotation"):
        return is_secret_name(arg)
    if kind == "helm":
        secret = False
        for part in arg.partition(":")[2].split("."):
            secret = is_secret_name(part) or (secret and not is_neutral_name(part))
        return secret
    return False


def secret_env_attributes(rules: Iterable[tuple[str, str]]) -> set[str]:
    """Component attributes read from a source whose name looks secret."""
    return {attr for attr, rule in rules if source_secret(rule)}


def _workload(redactor: Redactor, workload: JsonValue) -> object:
    if not isinstance(workload, dict):
        return redactor.facts(workload)
    out: dict[str, object] = {}
    for key, value in workload.items():
        if key in WORKLOAD_MAPS and isinstance(value, dict):
            out[key] = redactor.value(value)
        elif key == "containers" and isinstance(value, dict):
            out[key] = {name: _container(redactor, c) for name, c in value.items()}
        else:
            out[key] = redactor.fact_map({key: value})[key]
    return out


def _container(redactor: Redactor, container: JsonValue) -> object:
    if not isinstance(container, dict):
        return redactor.facts(container)
    free = {k: v for k, v in container.items() if k in CONTAINER_VALUES}
    judged = redactor.value(free)  # command and args judged together, as one argv
    assert isinstance(judged, dict)  # a mapping judged is a mapping (its nesting is 0)
    out: dict[str, object] = {}
    for key, value in container.items():
        if key in free:
            out[key] = judged[key]
        elif key == "env_from" and isinstance(value, dict):
            # env name → where it comes from (``secretKeyRef``): the name says nothing here.
            out[key] = {name: redactor.judge.tree(source) for name, source in value.items()}
        else:
            out[key] = redactor.fact_map({key: value})[key]
    return out


# A failure message may start with the dump path it is about ("kubernetes/helm-secrets.json: …"):
# our own name, not a key whose value is secret; only the rest is judged.
_OWN_PATH = re.compile(rf"((?:{KUBE_DIR}|{NODES_DIR})/[A-Za-z0-9._/-]{{1,300}}: )")


def _failure(redactor: Redactor, failure: JsonValue) -> object:
    if not isinstance(failure, dict) or not isinstance(error := failure.get("error"), str):
        return redactor.facts(failure)
    out = redactor.fact_map({k: v for k, v in failure.items() if k != "error"})
    prefix = _OWN_PATH.match(error)
    head = prefix.group(1) if prefix else ""
    rest = redactor.fact_map({"error": error[len(head) :]})["error"]
    out["error"] = head + rest if isinstance(rest, str) else rest
    return out


def _release(redactor: Redactor, release: JsonValue) -> object:
    if not isinstance(release, dict):
        return redactor.facts(release)
    return {
        k: redactor.value(v) if k in HELM_VALUES else redactor.fact_map({k: v})[k]
        for k, v in release.items()
    }


def _components(
    redactor: Redactor, components: JsonValue, rules: Mapping[str, Iterable[tuple[str, str]]]
) -> object:
    if not isinstance(components, dict):
        return redactor.facts(components)
    out: dict[str, object] = {}
    for name, component in components.items():
        if not isinstance(component, dict):
            out[name] = redactor.facts(component)
            continue
        secret = secret_env_attributes(rules.get(name, ()))
        out[name] = {
            attr: redactor.value(value, secret=True)
            if attr in secret
            else redactor.fact_map({attr: value})[attr]
            for attr, value in component.items()
        }
    return out


def redact_snapshot(
    redactor: Redactor,
    snapshot: Mapping[str, JsonValue],
    component_rules: Mapping[str, Iterable[tuple[str, str]]],
) -> dict[str, object]:
    """A redacted copy of a snapshot (dict in, dict out; the input is not changed).

    Helm values, workload labels/annotations and container env/argv are judged as free-form
    values (names, inherited secrecy, shapes, layers); component attributes like the source
    they were read from; everything else as facts under ids.
    """
    redactor._file = "snapshot.json"
    redactor.budget.grant(size_of(snapshot))
    out: dict[str, object] = {}
    for section, value in snapshot.items():
        if section == "helm" and isinstance(value, dict):
            out[section] = {key: _release(redactor, rel) for key, rel in value.items()}
        elif section == "workloads" and isinstance(value, dict):
            out[section] = {key: _workload(redactor, w) for key, w in value.items()}
        elif section == "components":
            out[section] = _components(redactor, value, component_rules)
        elif section == "failures" and isinstance(value, list):
            out[section] = [_failure(redactor, failure) for failure in value]
        else:
            out[section] = redactor.facts(value)
    return out
