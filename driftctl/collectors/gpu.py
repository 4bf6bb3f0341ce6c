"""Collector placeholder (to be implemented): gpu."""

from __future__ import annotations

from driftctl.collectors.interface import CollectContext
from driftctl.model import Facts


class Collector:
    """Placeholder until implemented."""

    name = "gpu"

    def collect(self, ctx: CollectContext) -> Facts:
        return Facts()
