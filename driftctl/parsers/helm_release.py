"""Helm v3 release Secrets (``helm.sh/release.v1``): decode and pick the current revision."""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import zlib
from dataclasses import dataclass

from driftctl.errors import InputError
from driftctl.helm_coalesce import coalesce
from driftctl.parsers.kube_objects import mapping, str_map
from driftctl.strictjson import JsonObject, loads_json

GZIP_MAGIC = b"\x1f\x8b\x08"
MAX_RELEASE_BYTES = 64 * 1024 * 1024  # decompressed; Secrets themselves are capped at 1 MiB


class ReleaseError(Exception):
    """A release payload that cannot be decoded; ``str()`` is the one-line reason."""


@dataclass(frozen=True)
class HelmRevision:
    """The facts of one decoded release revision (no manifest, no templates: only metadata)."""

    namespace: str
    name: str
    revision: int
    status: str
    chart: str | None
    chart_version: str | None
    app_version: str | None
    values: JsonObject
    computed_values: JsonObject | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def decode_payload(data_release: str, where: str) -> JsonObject:
    """``data.release``: base64 (Kubernetes) → base64 (Helm) → gunzip if ``1f 8b 08`` → JSON."""
    try:
        helm_b64 = base64.b64decode(data_release, validate=True)
        blob = base64.b64decode(helm_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ReleaseError(f"{where}: data.release is not double base64") from None
    if blob[:3] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(blob)) as fh:
                blob = fh.read(MAX_RELEASE_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ReleaseError(f"{where}: release is not valid gzip ({exc})") from None
        if len(blob) > MAX_RELEASE_BYTES:
            raise ReleaseError(f"{where}: release larger than {MAX_RELEASE_BYTES} bytes")
    try:
        doc = loads_json(blob, where)
    except InputError as exc:
        raise ReleaseError(str(exc)) from None
    if not isinstance(doc, dict):
        raise ReleaseError(f"{where}: release is not a JSON object")
    return doc


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse_release_secret(secret: JsonObject) -> HelmRevision:
    """Decode one release Secret into a HelmRevision, or raise ReleaseError naming it."""
    meta = mapping(secret, "metadata")
    where = f"secret {meta.get('namespace')}/{meta.get('name')}"
    payload = mapping(secret, "data").get("release")
    if not isinstance(payload, str):
        raise ReleaseError(f"{where}: no data.release")
    doc = decode_payload(payload, where)
    labels = str_map(secret, "metadata", "labels")
    name = doc.get("name") if isinstance(doc.get("name"), str) else labels.get("name")
    namespace = doc.get("namespace") or meta.get("namespace")
    revision = doc.get("version")
    if not isinstance(name, str) or not isinstance(namespace, str):
        raise ReleaseError(f"{where}: release has no name or namespace")
    if isinstance(revision, bool) or not isinstance(revision, int):
        raise ReleaseError(f"{where}: release has no integer 'version' (revision)")
    status = _opt_str(mapping(doc, "info").get("status")) or labels.get("status") or "unknown"
    chart_meta = mapping(doc, "chart", "metadata")
    config = doc.get("config")
    if config is not None and not isinstance(config, dict):
        raise ReleaseError(f"{where}: release 'config' (user values) is not an object")
    defaults = mapping(doc, "chart").get("values")
    if defaults is not None and not isinstance(defaults, dict):
        raise ReleaseError(f"{where}: release 'chart.values' (chart defaults) is not an object")
    return HelmRevision(
        namespace=namespace,
        name=name,
        revision=revision,
        status=status,
        chart=_opt_str(chart_meta.get("name")),
        chart_version=_opt_str(chart_meta.get("version")),
        app_version=_opt_str(chart_meta.get("appVersion")),
        values=config or {},
        # What `helm get values --all` shows: the chart's defaults under the user's values.
        computed_values=coalesce(defaults or {}, config or {}),
    )


def current_revisions(releases: list[HelmRevision]) -> dict[str, HelmRevision]:
    """Per release: the highest deployed revision, else the highest revision with its status."""
    best: dict[str, HelmRevision] = {}
    for rel in releases:
        cur = best.get(rel.key)
        rank = (rel.status == "deployed", rel.revision)
        if cur is None or rank > (cur.status == "deployed", cur.revision):
            best[rel.key] = rel
    return best


def release_hint(secret: JsonObject) -> str:
    """``ns/name`` of a release Secret from its labels, for failures before decoding."""
    meta = mapping(secret, "metadata")
    labels = str_map(secret, "metadata", "labels")
    return f"{meta.get('namespace')}/{labels.get('name') or meta.get('name')}"
