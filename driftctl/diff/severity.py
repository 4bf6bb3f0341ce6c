"""Categories and severities of facts (design §9), with overrides from the ignore file."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache


class Severity(StrEnum):
    """How bad a difference is; ``--fail-on`` picks the lowest that fails the run."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warn": 2, "info": 1}[self.value]


FAIL_ON = ("error", "warn", "info", "never")
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
_LABELS = (".labels.", ".annotations.", ".template_labels.", ".template_annotations.")
E, W, INFO = Severity.ERROR, Severity.WARN, Severity.INFO


@lru_cache(maxsize=131072)
def classify(key: str) -> tuple[str, Severity]:
    """The category and default severity of a flattened key.

    Image and component version drift, GPU driver/CUDA and clock drift are errors; Helm values,
    workload settings and the Kubernetes version warnings; labels and everything else info.
    """
    top, _, rest = key.partition(".")
    last = key.rsplit(".", 1)[-1]
    if any(mark in key for mark in _LABELS):
        return "labels", INFO
    if top == "components":
        return "components", (INFO if last == "workload" else E)
    if top == "workloads":
        if ".containers." in key and last in ("image", "image_id"):
            return "images", E
        return "workloads", W
    if top == "helm":
        if ".values." in key:
            return "helm", W
        return "helm", (E if last in ("chart", "chart_version", "app_version") else W)
    if top == "kubernetes":
        return "kubernetes", W
    if top.startswith("nodes"):
        if rest.startswith("gpu."):
            return "gpu", (E if last in ("driver_version", "cuda_version") else W)
        if rest.startswith("time."):
            if last in ("synchronized", "max_abs_offset_seconds"):
                return "time", E
            return "time", (W if last == "leap_status" else INFO)
        return "nodes", (W if last == "kubelet_version" else INFO)
    return "other", INFO


def is_category(name: str) -> bool:
    return name in CATEGORIES


@dataclass(frozen=True)
class SeverityPolicy:
    """Overrides by category name or by fnmatch glob on the key; a matching glob beats a category."""

    categories: Mapping[str, Severity] = field(default_factory=dict)
    globs: tuple[tuple[str, Severity], ...] = ()
    _cache: dict[str, tuple[str, Severity]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple((re.compile(fnmatch.translate(g)), s) for g, s in self.globs)
        object.__setattr__(self, "_compiled", compiled)

    def of(self, key: str) -> tuple[str, Severity]:
        """Category and effective severity of ``key`` (first matching glob in file order wins)."""
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        category, severity = classify(key)
        severity = self.categories.get(category, severity)
        for pattern, override in getattr(self, "_compiled", ()):
            if pattern.match(key):
                severity = override
                break
        self._cache[key] = (category, severity)
        return category, severity


def threshold(fail_on: str) -> int:
    """The lowest severity rank that fails the run; ``never`` fails nothing."""
    return {"error": 3, "warn": 2, "info": 1}.get(fail_on, 99)
