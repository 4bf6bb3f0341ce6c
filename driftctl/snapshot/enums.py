"""The closed sets of values that snapshots and reports share (their JSON spelling is the value)."""

from __future__ import annotations

from enum import StrEnum


class TimeSource(StrEnum):
    """Which daemon reported a node's clock facts (``null`` when the output does not say)."""

    CHRONY = "chrony"
    TIMESYNCD = "timesyncd"
    NTPD = "ntpd"


class GpuSource(StrEnum):
    """Where a node's GPU facts come from: nvidia-smi on the node, or GPU Feature Discovery labels."""

    NVIDIA_SMI = "nvidia-smi"
    GFD = "gfd"


class DriftSeverity(StrEnum):
    """How bad a difference between sites is; ``diff --fail-on`` picks the lowest that fails."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _DRIFT_RANK[self]


_DRIFT_RANK = {DriftSeverity.ERROR: 3, DriftSeverity.WARN: 2, DriftSeverity.INFO: 1}


class FindingKind(StrEnum):
    """Why a diff finding exists: sites differ, nodes or pods of one site differ, or unknown."""

    DRIFT = "drift"
    INTRA_SITE = "intra-site"
    UNKNOWN = "unknown"


class GateSeverity(StrEnum):
    """How much a preflight finding matters: ``block`` stops the push, ``warn`` lets it through."""

    BLOCK = "block"
    WARN = "warn"


class Verdict(StrEnum):
    """A site's preflight verdict (``pass|warn|block``); the overall one is ``pass`` or ``block``."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WARN = "warn"
    BLOCK = "block"
