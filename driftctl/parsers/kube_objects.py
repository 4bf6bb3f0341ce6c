"""Kubernetes object lists (docs/dump-layout.md): loading, image ids, pod → workload ownership."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import overload

from driftctl.config import SiteConfig
from driftctl.dump_layout import WORKLOAD_KINDS
from driftctl.errors import InputError
from driftctl.model import RawSet
from driftctl.strictjson import JsonArray, JsonObject, JsonValue, loads_json


class ListUnavailable(Exception):
    """An object list could not be read; ``str()`` is the one-line reason."""


def load_items(raw: RawSet, path: str) -> list[JsonObject]:
    """The ``items`` of a ``*List`` artifact, or raise ListUnavailable saying why not."""
    artifact = raw.get(path)
    if artifact is None:
        raise ListUnavailable(f"{path}: not collected")
    if not artifact.ok:
        raise ListUnavailable(f"{path}: {artifact.describe_failure()}")
    if artifact.items is not None:  # parsed once by the live source, checked as strict JSON
        return [item for item in artifact.items if isinstance(item, dict)]  # type: ignore[misc]
    try:
        doc = loads_json(artifact.data or b"", path)
    except InputError as exc:
        raise ListUnavailable(str(exc)) from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ListUnavailable(f"{path}: not a Kubernetes List (no 'items')")
    return [item for item in items if isinstance(item, dict)]


@overload
def mapping(obj: JsonValue, *keys: str) -> JsonObject: ...
@overload
def mapping(obj: object, *keys: str) -> Mapping[str, object]: ...
def mapping(obj: object, *keys: str) -> Mapping[str, object]:
    """``obj[k1][k2]…`` if every step is a mapping, else ``{}``: JSON in, JSON out (a rendered
    manifest read as YAML may hold other values, such as timestamps)."""
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else {}


@overload
def seq(obj: JsonValue, *keys: str) -> JsonArray: ...
@overload
def seq(obj: object, *keys: str) -> Sequence[object]: ...
def seq(obj: object, *keys: str) -> Sequence[object]:
    """``obj[k1]…[kn]`` if it is a list, else ``[]``: JSON in, JSON out (as ``mapping``)."""
    *head, last = keys
    value = mapping(obj, *head).get(last)
    return value if isinstance(value, list) else []


def str_map(obj: object, *keys: str) -> dict[str, str]:
    """A string-to-string mapping such as labels or annotations (non-strings dropped)."""
    return {k: v for k, v in mapping(obj, *keys).items() if isinstance(v, str)}


def normalize_image_id(image_id: str) -> str | None:
    """The ``sha256:…`` repo digest from a containerStatuses ``imageID``.

    ``docker-pullable://repo@sha256:…`` and ``docker.io/x@sha256:…`` give the part after the last
    ``@``; a bare ``sha256:<id>`` is the local image id, not a repo digest, and is kept as is.
    """
    image_id = image_id.strip()
    if not image_id:
        return None
    if "@" in image_id:
        return image_id.rsplit("@", 1)[1] or None
    for prefix in ("docker-pullable://", "docker://", "containerd://"):
        image_id = image_id.removeprefix(prefix)
    return image_id


def namespace_filter(config: SiteConfig) -> Callable[[str], bool]:
    """Whether a namespace is in scope: the configured ``kubernetes.namespaces``, or all.

    A dump may hold every namespace while the config names a few; filtering here gives the
    same facts as a live collection that listed only those namespaces.
    """
    wanted = frozenset(config.kubernetes.namespaces) if config.kubernetes else frozenset()
    return (lambda ns: ns in wanted) if wanted else (lambda ns: True)


def workload_key(obj: JsonObject, kind: str | None = None) -> str | None:
    """``<ns>/<Kind>/<name>`` of a workload object, or None when it lacks a name."""
    meta = mapping(obj, "metadata")
    name, namespace = meta.get("name"), meta.get("namespace") or "default"
    found = kind or obj.get("kind")
    if not isinstance(name, str) or not isinstance(namespace, str) or found not in WORKLOAD_KINDS:
        return None
    return f"{namespace}/{found}/{name}"


def pod_owner(pod: JsonObject) -> str | None:
    """The workload key owning a pod: Pod→ReplicaSet→Deployment, Pod→StatefulSet, Pod→DaemonSet.

    The Deployment is derived from the ReplicaSet name minus ``-<pod-template-hash>`` (the label
    the Deployment controller puts on both), so ReplicaSets need not be listed.
    """
    meta = mapping(pod, "metadata")
    namespace = meta.get("namespace") or "default"
    owners = [o for o in seq(pod, "metadata", "ownerReferences") if isinstance(o, dict)]
    owner = next((o for o in owners if o.get("controller") is True), owners[0] if owners else None)
    name = owner.get("name") if owner is not None else None
    if owner is None or not isinstance(name, str):
        return None
    kind = owner.get("kind")
    if kind in ("StatefulSet", "DaemonSet"):
        return f"{namespace}/{kind}/{name}"
    if kind == "ReplicaSet":
        pth = str_map(pod, "metadata", "labels").get("pod-template-hash")
        if pth and name.endswith("-" + pth):
            return f"{namespace}/Deployment/{name[: -len(pth) - 1]}"
    return None


def pod_images(pod: JsonObject) -> Iterator[tuple[str, str | None]]:
    """``(container name, normalised image id)`` for every regular container status of a pod."""
    for status in seq(pod, "status", "containerStatuses"):
        if isinstance(status, dict) and isinstance(name := status.get("name"), str):
            image_id = status.get("imageID")
            yield (
                name,
                normalize_image_id(image_id) if isinstance(image_id, str) else None,
            )


def slim_pod(pod: JsonObject) -> JsonObject:
    """Only what the collectors read from a pod: less memory, and no env values in evidence."""
    meta = mapping(pod, "metadata")
    labels = str_map(pod, "metadata", "labels")
    slim_meta: JsonObject = {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "ownerReferences": [
            {k: o.get(k) for k in ("apiVersion", "kind", "name", "controller") if k in o}
            for o in seq(pod, "metadata", "ownerReferences")
            if isinstance(o, dict)
        ],
    }
    if "pod-template-hash" in labels:
        slim_meta["labels"] = {"pod-template-hash": labels["pod-template-hash"]}
    statuses: JsonArray = [
        {k: s.get(k) for k in ("name", "image", "imageID") if k in s}
        for s in seq(pod, "status", "containerStatuses")
        if isinstance(s, dict)
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": slim_meta,
        "spec": {"nodeName": mapping(pod, "spec").get("nodeName")},
        "status": {"containerStatuses": statuses},
    }
