"""The collector interface: artifacts and the facts learned so far in, typed snapshot parts out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from driftctl.config import SiteConfig
from driftctl.model import RawSet
from driftctl.snapshot import (
    Component,
    Failure,
    Gpu,
    HelmRelease,
    Kubernetes,
    Node,
    Snapshot,
    TimeFacts,
    Workload,
)


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What one collector learned: parts of the snapshot, and what it could not learn.

    Each part has its own merge rule (``pipeline.assemble``); the node parts are split by who
    learns them, because three collectors contribute to the same node.
    """

    kubernetes: Kubernetes | None = None  # the cluster identity, whole
    workloads: Mapping[str, Workload] = field(default_factory=dict)
    helm: Mapping[str, HelmRelease] = field(default_factory=dict)
    components: Mapping[str, Component] = field(default_factory=dict)
    nodes: Mapping[str, Node] = field(default_factory=dict)  # Kubernetes facts, GFD GPU included
    gpu: Mapping[str, Gpu | None] = field(default_factory=dict)  # a node's gpu, whole
    time: Mapping[str, TimeFacts] = field(default_factory=dict)  # a node's clock
    failures: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class CollectContext:
    """What a collector may read: the site config, the raw artifacts, the facts learned so far.

    ``known`` is the snapshot assembled from the collectors before this one (its ``failures``
    stay empty until the end): later collectors read earlier facts through the model.
    """

    config: SiteConfig
    raw: RawSet
    known: Snapshot

    @classmethod
    def first(cls, config: SiteConfig, raw: RawSet) -> CollectContext:
        """The context of a collector that runs first: nothing is known yet."""
        return cls(config, raw, Snapshot(site=config.site, collected_at=""))


class Collector(Protocol):
    """Turns raw artifacts into facts; never raises on bad data, records a Failure instead."""

    name: str

    def collect(self, ctx: CollectContext) -> Facts: ...
