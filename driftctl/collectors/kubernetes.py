"""Cluster identity facts: server version (``kubernetes/version.json``) and cluster uid."""

from __future__ import annotations

from driftctl.collectors.interface import CollectContext, Facts
from driftctl.dump_layout import NAMESPACE_PATH, VERSION_PATH
from driftctl.errors import InputError
from driftctl.parsers.kube_objects import mapping
from driftctl.snapshot import ABSENT, Absent, Failure, Kubernetes
from driftctl.strictjson import JsonObject, JsonValue, loads_json


def server_version_of(doc: JsonValue) -> JsonObject | None:
    """The server ``version.Info`` from ``kubectl version -o json`` or a bare ``/version`` body."""
    if not isinstance(doc, dict):
        return None
    info = doc.get("serverVersion", doc)
    if isinstance(info, dict) and isinstance(info.get("gitVersion"), str):
        return info
    return None


def _text(info: JsonObject, key: str) -> str | Absent:
    value = info.get(key)
    return value if isinstance(value, str) else ABSENT


class KubernetesIdentity:
    """Reads the server version and the cluster uid (uid of the kube-system namespace)."""

    name = "kubernetes"

    def collect(self, ctx: CollectContext) -> Facts:
        server_version: str | Absent = ABSENT
        platform: str | Absent = ABSENT
        cluster_uid: str | Absent = ABSENT
        failures: list[Failure] = []
        version = ctx.raw.get(VERSION_PATH)
        if version is None:
            failures.append(Failure("kubernetes/version", self.name, "no version output"))
        elif not version.ok:
            failures.append(Failure("kubernetes/version", self.name, version.describe_failure()))
        else:
            try:
                info = server_version_of(loads_json(version.data or b"", VERSION_PATH))
            except InputError as exc:
                info, error = None, str(exc)
            else:
                error = f"{VERSION_PATH}: no serverVersion.gitVersion"
            if info is None:
                failures.append(Failure("kubernetes/version", self.name, error))
            else:
                server_version, platform = _text(info, "gitVersion"), _text(info, "platform")
        namespace = ctx.raw.get(NAMESPACE_PATH)
        if namespace is None:
            failures.append(
                Failure("kubernetes/cluster-uid", self.name, "no kube-system namespace")
            )
        elif not namespace.ok:
            failures.append(
                Failure("kubernetes/cluster-uid", self.name, namespace.describe_failure())
            )
        else:
            try:
                meta = mapping(loads_json(namespace.data or b"", NAMESPACE_PATH), "metadata")
                cluster_uid = _text(meta, "uid")
                if cluster_uid is ABSENT:
                    raise InputError(f"{NAMESPACE_PATH}: no metadata.uid")
            except InputError as exc:
                failures.append(Failure("kubernetes/cluster-uid", self.name, str(exc)))
        identity = Kubernetes(
            server_version=server_version, cluster_uid=cluster_uid, platform=platform
        )
        return Facts(kubernetes=identity, failures=tuple(failures))
