"""The collector interface: artifacts (and the facts so far) in, a partial snapshot out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from driftctl.config import SiteConfig
from driftctl.model import Facts, RawSet


@dataclass(frozen=True)
class CollectContext:
    """What a collector may read: the site config, the raw artifacts, the facts learned so far."""

    config: SiteConfig
    raw: RawSet
    facts: Mapping[str, Any]


class Collector(Protocol):
    """Turns raw artifacts into facts; never raises on bad data, records a Failure instead."""

    name: str

    def collect(self, ctx: CollectContext) -> Facts: ...
