"""Component facts (docs/site-config.md): version and attributes read by each configured rule."""

from __future__ import annotations

from collections.abc import Mapping

from driftctl.collectors.interface import CollectContext, Facts
from driftctl.collectors.workloads import container_env
from driftctl.config import ComponentRule
from driftctl.dump_layout import WORKLOADS_PATH
from driftctl.model import RawSet
from driftctl.parsers.kube_objects import (
    ListUnavailable,
    load_items,
    seq,
    workload_key,
)
from driftctl.snapshot import (
    Absent,
    Component,
    Container,
    Failure,
    HelmRelease,
    JsonValue,
    Workload,
)
from driftctl.snapshot.jsonvalue import json_copy


class RuleMiss(Exception):
    """A rule found nothing; ``str()`` says what was looked for."""


def image_tag(image: str) -> str | None:
    """The tag of an image reference (``reg:5000/repo:tag@sha256:…`` → ``tag``), or None."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


def _containers(workload: Workload, component: str) -> list[tuple[str, Container]]:
    """Containers in lookup order: the one named like the component first, then spec order."""
    items = list(workload.containers.items())
    named = [c for c in items if c[0] == component]
    return named + [c for c in items if c[0] != component]


def _main(workload: Workload, component: str) -> tuple[str, Container]:
    containers = _containers(workload, component)
    if not containers:
        raise RuleMiss("workload has no containers")
    return containers[0]


def _image_tag(workload: Workload, component: str) -> str:
    cname, container = _main(workload, component)
    image = container.image or ""
    tag = image_tag(image)
    if tag is None:
        raise RuleMiss(f"image {image!r} of container {cname} has no tag")
    return tag


def _image_digest(workload: Workload, component: str) -> str:
    cname, container = _main(workload, component)
    image = container.image or ""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    if not container.image_id:
        raise RuleMiss(f"no single running digest for container {cname}")
    return container.image_id


def _meta(workload: Workload, which: str, key: str) -> str:
    own = workload.labels if which == "labels" else workload.annotations
    template = workload.template_labels if which == "labels" else workload.template_annotations
    for values in (own, template):
        if key in values:
            return values[key]
    raise RuleMiss(f"no {which[:-1]} {key!r} on the workload or its pod template")


def _env(workload: Workload, component: str, name: str, raw_env: RawEnv) -> str:
    for cname, container in _containers(workload, component):
        env_from = {} if isinstance(container.env_from, Absent) else container.env_from
        if name in env_from:
            raise RuleMiss(f"env {name} of container {cname} comes from a {env_from[name]}")
        env = raw_env.get(cname) if raw_env else container.env
        if env and name in env:
            return env[name]
    raise RuleMiss(f"no container sets env {name}")


# Container name → literal env values, read from the raw workload object (facts keep no secrets).
RawEnv = dict[str, dict[str, str]]


def raw_env_index(raw: RawSet | None) -> dict[str, RawEnv]:
    """Env values of every container of every workload in ``kubernetes/workloads.json``."""
    try:
        items = load_items(raw, WORKLOADS_PATH) if raw is not None else []
    except ListUnavailable:
        return {}
    index: dict[str, RawEnv] = {}
    for obj in items:
        key = workload_key(obj)
        if key is None:
            continue
        index[key] = {
            name: container_env(c)[0]
            for c in seq(obj, "spec", "template", "spec", "containers")
            if isinstance(c, dict) and isinstance(name := c.get("name"), str)
        }
    return index


def _helm(helm: Mapping[str, HelmRelease], spec: str) -> JsonValue:
    release, _, path = spec.partition(":")
    if "/" in release:
        matches = [release] if release in helm else []
    else:
        matches = sorted(k for k in helm if k.split("/", 1)[1] == release)
    if len(matches) != 1:
        found = "not found" if not matches else f"ambiguous ({', '.join(matches)})"
        raise RuleMiss(f"helm release {release} {found}")
    # The values the chart's templates see (defaults included), when known; else the user's.
    chosen = helm[matches[0]]
    computed = chosen.computed_values
    value: JsonValue = dict(chosen.values if isinstance(computed, Absent) else computed)
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise RuleMiss(f"helm release {matches[0]} has no value {path}")
        value = value[part]
    return json_copy(value)


def evaluate(
    rule: str,
    component: str,
    workload: Workload | None,
    helm: Mapping[str, HelmRelease],
    raw_env: RawEnv | None = None,
) -> JsonValue:
    """The value one rule reads, or raise RuleMiss."""
    kind, _, arg = rule.partition(":")
    if kind == "helm":
        return _helm(helm, arg)
    if workload is None:
        raise RuleMiss("workload unknown")
    if kind == "image_tag":
        return _image_tag(workload, component)
    if kind == "image_digest":
        return _image_digest(workload, component)
    if kind in ("label", "annotation"):
        return _meta(workload, kind + "s", arg)
    if kind == "env":
        return _env(workload, component, arg, raw_env or {})
    raise RuleMiss(f"unknown rule kind {kind!r}")


def component_facts(
    spec: ComponentRule,
    workloads: Mapping[str, Workload],
    helm: Mapping[str, HelmRelease],
    raw_env: dict[str, RawEnv] | None = None,
) -> tuple[Component, list[Failure]]:
    """Facts and failures of one component."""
    target = f"components/{spec.name}"
    values: dict[str, JsonValue] = {}
    failures: list[Failure] = []
    workload = None
    if spec.workload is not None:
        workload = workloads.get(spec.workload)
        if workload is None and workloads:
            failures.append(Failure(target, "components", f"workload {spec.workload} not found"))
        elif workload is None:
            failures.append(
                Failure(
                    target, "components", f"workload {spec.workload} unknown (no workload facts)"
                )
            )
    for attr, rule in spec.attributes:
        try:
            env = (raw_env or {}).get(spec.workload or "")
            values[attr] = evaluate(rule, spec.name, workload, helm, env)
        except RuleMiss as exc:
            values[attr] = None
            if workload is not None or rule.startswith("helm:"):
                failures.append(Failure(target, "components", f"{attr} ({rule}): {exc}"))
    # ``sources`` says how each attribute was derived, so a release can be derived alike.
    sources = {attr: rule for attr, rule in spec.attributes}
    return Component(workload=spec.workload, sources=sources, attributes=values), failures


class ComponentsCollector:
    """Applies the site config's component rules to the workload and Helm facts."""

    name = "components"

    def collect(self, ctx: CollectContext) -> Facts:
        components: dict[str, Component] = {}
        failures: list[Failure] = []
        needs_env = any(
            r.startswith("env:") for c in ctx.config.components for _, r in c.attributes
        )
        raw_env = raw_env_index(ctx.raw) if needs_env else {}
        # The workloads and helm collectors ran before: their sections are complete here.
        known = ctx.known
        for spec in ctx.config.components:
            components[spec.name], failed = component_facts(
                spec, known.workloads, known.helm, raw_env
            )
            failures.extend(failed)
        return Facts(components=components, failures=tuple(failures))
