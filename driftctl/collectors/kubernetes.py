"""Cluster identity facts: server version (``kubernetes/version.json``) and cluster uid."""

from __future__ import annotations

from typing import Any

from driftctl.collectors.interface import CollectContext
from driftctl.dump_layout import NAMESPACE_PATH, VERSION_PATH
from driftctl.errors import InputError
from driftctl.model import Facts, Failure
from driftctl.safeio import loads_json


def server_version_of(doc: Any) -> dict[str, Any] | None:
    """The server ``version.Info`` from ``kubectl version -o json`` or a bare ``/version`` body."""
    if not isinstance(doc, dict):
        return None
    info = doc.get("serverVersion", doc)
    if isinstance(info, dict) and isinstance(info.get("gitVersion"), str):
        return info
    return None


class KubernetesIdentity:
    """Reads the server version and the cluster uid (uid of the kube-system namespace)."""

    name = "kubernetes"

    def collect(self, ctx: CollectContext) -> Facts:
        facts: dict[str, Any] = {}
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
                facts["server_version"] = info["gitVersion"]
                if isinstance(info.get("platform"), str):
                    facts["platform"] = info["platform"]
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
                doc = loads_json(namespace.data or b"", NAMESPACE_PATH)
                uid = doc["metadata"]["uid"]
                if not isinstance(uid, str):
                    raise TypeError
                facts["cluster_uid"] = uid
            except (InputError, KeyError, TypeError) as exc:
                msg = (
                    str(exc)
                    if isinstance(exc, InputError)
                    else f"{NAMESPACE_PATH}: no metadata.uid"
                )
                failures.append(Failure("kubernetes/cluster-uid", self.name, msg))
        return Facts({"kubernetes": facts} if facts else {}, tuple(failures))
