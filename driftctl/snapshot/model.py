"""The snapshot ``driftctl.snapshot/v1``: every fact a collection writes, as frozen dataclasses.

This module is the one statement of the snapshot's shape: the JSON Schema in
``docs/schemas/snapshot.schema.json`` is generated from it and docs/snapshot.md explains it.
``X | None`` is a learned "nothing" (JSON ``null``); ``X | Absent`` a key that may be missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Final, Literal

from driftctl.snapshot.codec import Model, Pattern
from driftctl.snapshot.enums import GpuSource, TimeSource
from driftctl.snapshot.jsonvalue import ABSENT, Absent, JsonValue

SNAPSHOT_SCHEMA: Final = "driftctl.snapshot/v1"
SITE_PATTERN: Final = r"[a-z0-9][a-z0-9-]{0,62}"


@dataclass(frozen=True)
class Failure(Model):
    """Something that could not be collected: a result, not an exception."""

    target: str
    collector: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"target": self.target, "collector": self.collector, "error": self.error}


@dataclass(frozen=True, kw_only=True)
class Kubernetes(Model):
    """Cluster identity; a key is absent when it could not be read (the reason is in failures)."""

    server_version: str | Absent = ABSENT
    cluster_uid: str | Absent = ABSENT
    platform: str | Absent = ABSENT


@dataclass(frozen=True, kw_only=True)
class Container(Model):
    """One container of a workload's pod template, joined with what its pods run."""

    image: str | None
    image_id: str | None  # the one digest the pods run; null when unknown or several
    env: Mapping[str, str]  # literal values; secret-looking names are left out
    env_from: Mapping[str, str] | Absent = ABSENT  # name -> secretKeyRef/configMapKeyRef/…
    image_ids: tuple[str, ...] | Absent = ABSENT  # every digest, when the pods disagree


@dataclass(frozen=True, kw_only=True)
class Workload(Model):
    """A Deployment, StatefulSet or DaemonSet, keyed ``<namespace>/<Kind>/<name>``."""

    kind: str
    replicas: int | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    template_labels: Mapping[str, str]
    template_annotations: Mapping[str, str]
    containers: Mapping[str, Container]
    nodes: tuple[str, ...] | None  # where its pods run; null when the pods could not be read


@dataclass(frozen=True, kw_only=True)
class Component(Model):
    """A component of the site config: its workload and the attributes its rules read."""

    EXTRA: ClassVar[str | None] = "attributes"

    workload: str | None
    sources: Mapping[str, str] | Absent = ABSENT  # attribute -> rule text, e.g. "image_tag"
    attributes: Mapping[str, JsonValue] = field(default_factory=dict)  # version, api_versions…

    def __post_init__(self) -> None:
        clash = {"workload", "sources"} & set(self.attributes)
        if clash:
            raise ValueError(f"component attribute names {sorted(clash)} are reserved")

    def get(self, attribute: str) -> JsonValue:
        """An attribute's value; None when the rule found nothing or there is no such rule."""
        return self.attributes.get(attribute)

    @property
    def version(self) -> JsonValue:
        return self.attributes.get("version")


@dataclass(frozen=True, kw_only=True)
class HelmRelease(Model):
    """The current revision of one Helm release, keyed ``<namespace>/<release>``."""

    chart: str | None
    chart_version: str | None
    app_version: str | None
    revision: int
    status: str
    values: Mapping[str, JsonValue]  # user-supplied values, secrets replaced by tokens
    computed_values: Mapping[str, JsonValue] | Absent = ABSENT  # chart defaults coalesced


@dataclass(frozen=True)
class GpuDevice(Model):
    """One GPU as nvidia-smi lists it; ``mig`` when MIG mode is enabled on it."""

    name: str
    mig: bool


@dataclass(frozen=True, kw_only=True)
class Gpu(Model):
    """A node's NVIDIA driver, CUDA and devices; ``error`` classifies why nvidia-smi failed."""

    source: GpuSource
    driver_version: str | None
    cuda_version: str | None
    product: str | Absent | None = ABSENT  # always written by the collectors of this version
    count: int | Absent | None = ABSENT
    devices: tuple[GpuDevice, ...] | Absent | None = ABSENT
    mig_strategy: str | Absent | None = ABSENT
    error: str | Absent | None = ABSENT


@dataclass(frozen=True, kw_only=True)
class TimeFacts(Model):
    """A node's clock: synchronised or not, signed offset (positive = local clock ahead)."""

    source: TimeSource | None
    synchronized: bool
    offset_seconds: float | None
    stratum: int | None
    leap_status: str | None
    reference: str | None
    root_dispersion: float | Absent | None = ABSENT
    root_delay: float | Absent | None = ABSENT
    error_bound_seconds: float | Absent | None = ABSENT
    error: str | Absent | None = ABSENT


@dataclass(frozen=True, kw_only=True)
class Node(Model):
    """One node: Kubernetes facts (absent if only SSH reached it), GPU and clock facts."""

    roles: tuple[str, ...] | Absent = ABSENT
    internal_ip: str | Absent | None = ABSENT
    kubelet_version: str | Absent | None = ABSENT
    container_runtime: str | Absent | None = ABSENT
    kernel_version: str | Absent | None = ABSENT
    os_image: str | Absent | None = ABSENT
    gpu: Gpu | Absent | None = ABSENT  # null: no GPU (or a GPU node whose labels are gone)
    time: TimeFacts | Absent | None = ABSENT

    def role_names(self) -> tuple[str, ...]:
        return () if isinstance(self.roles, Absent) else self.roles


@dataclass(frozen=True, kw_only=True)
class Snapshot(Model):
    """Everything one collection learned about one site."""

    schema: Literal["driftctl.snapshot/v1"] = SNAPSHOT_SCHEMA
    site: Annotated[str, Pattern(SITE_PATTERN)]
    collected_at: str
    kubernetes: Kubernetes = field(default_factory=Kubernetes)
    workloads: Mapping[str, Workload] = field(default_factory=dict)
    components: Mapping[str, Component] = field(default_factory=dict)
    helm: Mapping[str, HelmRelease] = field(default_factory=dict)
    nodes: Mapping[str, Node] = field(default_factory=dict)
    failures: tuple[Failure, ...] = ()


def known(value: object) -> bool:
    """Neither absent nor null: a fact that was learned."""
    return value is not None and value is not ABSENT
