"""Workload facts: containers, images and digests (from pods), labels, replicas, nodes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from driftctl.collectors.fields import NotAFact, required_text, text
from driftctl.collectors.interface import CollectContext, Facts
from driftctl.dump_layout import PODS_PATH, WORKLOADS_PATH
from driftctl.parsers.kube_objects import (
    ListUnavailable,
    load_items,
    mapping,
    namespace_filter,
    pod_images,
    pod_owner,
    seq,
    str_map,
    workload_key,
)
from driftctl.redact import is_secret_name
from driftctl.snapshot import ABSENT, Container, Failure, Workload
from driftctl.strictjson import JsonObject

# Carries a copy of the whole spec, env values included: never copied into a snapshot.
DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})


def _annotations(obj: Mapping[str, object], *keys: str) -> dict[str, str]:
    return {k: v for k, v in str_map(obj, *keys).items() if k not in DROPPED_ANNOTATIONS}


def container_env(container: Mapping[str, object]) -> tuple[dict[str, str], dict[str, str]]:
    """``(values, sources)`` of a container's env: literal values, and the names set from a
    Secret/ConfigMap (``secretKeyRef``…), which are named, never resolved."""
    env: dict[str, str] = {}
    env_from: dict[str, str] = {}
    for var in seq(container, "env"):
        if not isinstance(var, dict) or not isinstance(var.get("name"), str):
            continue
        if isinstance(var.get("value"), str):
            env[var["name"]] = var["value"]
        elif isinstance(var.get("valueFrom"), dict):
            env_from[var["name"]] = next(iter(var["valueFrom"]), "valueFrom")
        else:
            env[var["name"]] = ""
    return env, env_from


def container_facts(container: Mapping[str, object], name: str) -> Container:
    """Image and env of one container; values of secret-looking env names stay out of facts
    (defence in depth: the redactor judges the rest; the components collector reads those from
    the raw object when a rule names them)."""
    env, env_from = container_env(container)
    public = {k: v for k, v in env.items() if not is_secret_name(k)}
    return Container(
        image=text(container.get("image"), f"container {name}: image"),
        image_id=None,
        env=public,
        env_from=env_from if env_from else ABSENT,
    )


def workload_facts(obj: Mapping[str, object]) -> Workload:
    """Facts of one Deployment/StatefulSet/DaemonSet object (pods not yet joined: no nodes);
    raise NotAFact when a value it reads is not of its fact's type."""
    spec = mapping(obj, "spec")
    containers = {
        c["name"]: container_facts(c, c["name"])
        for c in seq(obj, "spec", "template", "spec", "containers")
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    }
    replicas = spec.get("replicas")
    return Workload(
        kind=required_text(obj.get("kind"), "kind"),
        # bool is an int to Python, not to the model
        replicas=replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else None,
        labels=str_map(obj, "metadata", "labels"),
        annotations=_annotations(obj, "metadata", "annotations"),
        template_labels=str_map(obj, "spec", "template", "metadata", "labels"),
        template_annotations=_annotations(obj, "spec", "template", "metadata", "annotations"),
        containers=containers,
        nodes=(),
    )


def join_pods(workloads: dict[str, Workload], pods: list[JsonObject]) -> list[Failure]:
    """Fill ``image_id`` and ``nodes`` from the pods each workload owns; flag digest drift."""
    digests: dict[tuple[str, str], set[str]] = defaultdict(set)
    nodes: dict[str, set[str]] = defaultdict(set)
    for pod in pods:
        owner = pod_owner(pod)
        if owner is None or owner not in workloads:
            continue
        node = mapping(pod, "spec").get("nodeName")
        if isinstance(node, str) and node:
            nodes[owner].add(node)
        for container, image_id in pod_images(pod):
            if image_id:
                digests[(owner, container)].add(image_id)
    failures = []
    for key, facts in workloads.items():
        containers = dict(facts.containers)
        for cname, cfacts in facts.containers.items():
            found = tuple(sorted(digests.get((key, cname), ())))
            if len(found) == 1:
                containers[cname] = replace(cfacts, image_id=found[0])
            elif len(found) > 1:
                containers[cname] = replace(cfacts, image_ids=found)
                failures.append(
                    Failure(
                        f"workloads/{key}",
                        "workloads",
                        f"containers differ: {cname} runs {len(found)} digests: {', '.join(found)}",
                    )
                )
        nodes_of = tuple(sorted(nodes.get(key, ())))
        workloads[key] = replace(facts, nodes=nodes_of, containers=containers)
    return failures


class WorkloadsCollector:
    """Reads ``workloads.json`` and joins ``pods.json`` through ownerReferences."""

    name = "workloads"

    def collect(self, ctx: CollectContext) -> Facts:
        try:
            items = load_items(ctx.raw, WORKLOADS_PATH)
        except ListUnavailable as exc:
            return Facts(failures=(Failure("kubernetes/workloads", self.name, str(exc)),))
        workloads: dict[str, Workload] = {}
        failures: list[Failure] = []
        in_scope = namespace_filter(ctx.config)
        for obj in items:
            key = workload_key(obj)
            if key is None or not in_scope(key.split("/", 1)[0]):
                continue
            try:
                workloads[key] = workload_facts(obj)
            except NotAFact as exc:  # the workload is unknown, not half known
                failures.append(Failure(f"workloads/{key}", self.name, str(exc)))
        try:
            pods = load_items(ctx.raw, PODS_PATH)
        except ListUnavailable as exc:
            failures.append(
                Failure("kubernetes/pods", self.name, f"image digests and nodes unknown: {exc}")
            )
            workloads = {k: replace(w, nodes=None) for k, w in workloads.items()}
        else:
            failures.extend(join_pods(workloads, pods))
        return Facts(workloads=workloads, failures=tuple(failures))
