"""Categories and severities of facts (docs/diff.md), with overrides from the ignore file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from driftctl.snapshot import DriftSeverity
from driftctl.snapshot.path import compile_pattern, path_of

CATEGORIES = (
    "components",
    "images",
    "gpu",
    "time",
    "helm",
    "kubernetes",
    "workloads",
    "nodes",
    "labels",
    "other",
)
_LABELS = frozenset({"labels", "annotations", "template_labels", "template_annotations"})
E, W, INFO = DriftSeverity.ERROR, DriftSeverity.WARN, DriftSeverity.INFO


@lru_cache(maxsize=131072)
def classify(key: str) -> tuple[str, DriftSeverity]:
    """The category and default severity of a fact (``key``: its rendered path).

    Image and component version drift, GPU driver/CUDA and clock drift are errors; Helm values,
    workload settings and the Kubernetes version warnings; labels and everything else info.
    """
    path = path_of(key)
    top, inner = path[0], path[1:-1]
    last = path.last
    if not _LABELS.isdisjoint(inner):
        return "labels", INFO
    if top == "components":
        return "components", (INFO if last == "workload" else E)
    if top == "workloads":
        if "containers" in inner and last in ("image", "image_id"):
            return "images", E
        return "workloads", W
    if top == "helm":
        if "values" in inner:
            return "helm", W
        return "helm", (E if last in ("chart", "chart_version", "app_version") else W)
    if top == "kubernetes":
        return "kubernetes", W
    if top == "nodes":
        part = [s for s in path[1:] if isinstance(s, str)]
        if len(part) > 1 and part[0] == "gpu":
            return "gpu", (E if last in ("driver_version", "cuda_version") else W)
        if len(part) > 1 and part[0] == "time":
            if last in ("synchronized", "max_abs_offset_seconds"):
                return "time", E
            return "time", (W if last == "leap_status" else INFO)
        return "nodes", (W if last == "kubelet_version" else INFO)
    return "other", INFO


@dataclass(frozen=True)
class SeverityPolicy:
    """Overrides by category name or by path pattern (docs/diff.md); a matching pattern beats a
    category."""

    categories: Mapping[str, DriftSeverity] = field(default_factory=dict)
    globs: tuple[tuple[str, DriftSeverity], ...] = ()
    _cache: dict[str, tuple[str, DriftSeverity]] = field(default_factory=dict, compare=False)
    _compiled: tuple[tuple[re.Pattern[str], DriftSeverity], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        compiled = tuple((compile_pattern(g), s) for g, s in self.globs)
        object.__setattr__(self, "_compiled", compiled)

    def of(self, key: str) -> tuple[str, DriftSeverity]:
        """Category and effective severity of a rendered key (first matching pattern in file
        order wins)."""
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        category, severity = classify(key)
        severity = self.categories.get(category, severity)
        for pattern, override in self._compiled:
            if pattern.match(key):
                severity = override
                break
        self._cache[key] = (category, severity)
        return category, severity


def threshold(fail_on: str) -> int:
    """The lowest severity rank that fails the run; ``never`` fails nothing."""
    known = {s.value: s for s in DriftSeverity}
    return known[fail_on].rank if fail_on in known else 99
