"""The snapshot model: typed facts of one site, strict JSON conversion, fact paths, shared enums.

The model layer: it imports nothing from collectors, diff, policy, bundle, store or cli.
"""

from driftctl.snapshot.codec import Model, ModelError
from driftctl.snapshot.enums import (
    DriftSeverity,
    FindingKind,
    GateSeverity,
    GpuSource,
    TimeSource,
    Verdict,
)
from driftctl.snapshot.jsonvalue import ABSENT, Absent, JsonValue
from driftctl.snapshot.model import (
    SNAPSHOT_SCHEMA,
    Component,
    Container,
    Failure,
    Gpu,
    GpuDevice,
    HelmRelease,
    Kubernetes,
    Node,
    Snapshot,
    TimeFacts,
    Workload,
)
from driftctl.snapshot.path import FactPath, PathError, Selector

__all__ = [
    "ABSENT",
    "SNAPSHOT_SCHEMA",
    "Absent",
    "Component",
    "Container",
    "DriftSeverity",
    "FactPath",
    "Failure",
    "FindingKind",
    "GateSeverity",
    "Gpu",
    "GpuDevice",
    "GpuSource",
    "HelmRelease",
    "JsonValue",
    "Kubernetes",
    "Model",
    "ModelError",
    "Node",
    "PathError",
    "Selector",
    "Snapshot",
    "TimeFacts",
    "TimeSource",
    "Verdict",
    "Workload",
]
