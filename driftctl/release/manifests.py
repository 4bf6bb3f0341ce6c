"""Rendered Kubernetes YAML (``helm template``, ``kustomize build``): the workloads it ships."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from driftctl.dump_layout import WORKLOAD_KINDS
from driftctl.errors import InputError
from driftctl.release.model import Render
from driftctl.safeio import read_capped

MAX_RENDER_BYTES = 64 * 1024 * 1024
DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
# libyaml when present: 10x faster
_Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
# A Kubernetes object as YAML decodes it: string keys (a manifest's are), values of any kind.
KubeObject = dict[str, object]


def _documents(data: bytes, where: str) -> Iterator[tuple[int, int, object]]:
    """(number, line, value) of every document; YAML errors name the file and line."""
    loader = _Loader(data)
    number = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node() said there is one
            number += 1
            line = node.start_mark.line + 1
            yield number, line, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{where}:{at}: not YAML: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not YAML: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()


def _refuse_aliases(value: object, where: str) -> None:
    """A node reached twice is an alias; refused, so a 'billion laughs' cannot expand."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                raise InputError(f"{where}: YAML aliases are not allowed in a render")
            seen.add(id(node))
            stack.extend(node.values() if isinstance(node, dict) else node)


def _objects(doc: object, where: str) -> Iterator[KubeObject]:
    """The Kubernetes objects of one document: itself, or the items of a ``*List``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
        what = "no 'kind'" if isinstance(doc, dict) else f"a {type(doc).__name__}"
        raise InputError(f"{where}: not a Kubernetes object ({what})")
    if not isinstance(doc.get("apiVersion"), str):
        raise InputError(f"{where}: not a Kubernetes object (no 'apiVersion')")
    if doc["kind"].endswith("List") and "items" in doc:
        items = doc["items"]
        if not isinstance(items, list):
            raise InputError(f"{where}: {doc['kind']} 'items' is not a list")
        for index, item in enumerate(items):
            yield from _objects(item, f"{where}: item {index + 1}")
        return
    yield doc


def _workload(obj: KubeObject, where: str, namespace: str | None) -> tuple[str, KubeObject]:
    kind = obj["kind"]
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not DNS_NAME.fullmatch(name):
        raise InputError(f"{where}: {kind} has no valid metadata.name ({name!r})")
    assert isinstance(meta, dict)
    ns = meta.get("namespace")
    if ns is None:
        if namespace is None:
            raise InputError(
                f"{where}: {kind} {name} has no metadata.namespace; give --namespace "
                "(as for helm template -n)"
            )
        ns = namespace
    if not isinstance(ns, str) or not DNS_NAME.fullmatch(ns):
        raise InputError(f"{where}: {kind} {name}: bad metadata.namespace {ns!r}")
    # Namespace defaulting as the API server does it for `kubectl apply -n` / `helm -n`.
    return f"{ns}/{kind}/{name}", {**obj, "metadata": {**meta, "namespace": ns}}


def parse_manifests(data: bytes, where: str, namespace: str | None) -> dict[str, KubeObject]:
    """Workload objects of a render by ``ns/Kind/name``; anything that is not a Kubernetes
    object is bad input naming the document and its line."""
    workloads: dict[str, KubeObject] = {}
    for number, line, doc in _documents(data, where):
        if doc is None:  # an empty document between two '---'
            continue
        at = f"{where}: document {number} (line {line})"
        _refuse_aliases(doc, at)
        for obj in _objects(doc, at):
            if obj["kind"] not in WORKLOAD_KINDS:
                continue
            key, workload = _workload(obj, at, namespace)
            if key in workloads:
                raise InputError(f"{at}: {key} is rendered twice")
            workloads[key] = workload
    return workloads


def load_render(path: Path | None, namespace: str | None, stdin: bytes | None = None) -> Render:
    """``--manifests FILE`` (``-`` and ``stdin`` for standard input) as a Render."""
    if path is None or str(path) == "-":
        where = "--manifests -"
        data = stdin if stdin is not None else b""
        if len(data) > MAX_RENDER_BYTES:
            raise InputError(f"{where}: larger than {MAX_RENDER_BYTES} bytes")
    else:
        where = str(path)
        data = read_capped(path, MAX_RENDER_BYTES)
    workloads = parse_manifests(data, where, namespace)
    if not workloads:
        raise InputError(f"{where}: no Deployment, StatefulSet or DaemonSet in the render")
    return Render(source=where, workloads=workloads)
