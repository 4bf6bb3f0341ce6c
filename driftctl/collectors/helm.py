"""Collector placeholder (to be implemented): helm."""

from __future__ import annotations

from driftctl.collectors.interface import CollectContext
from driftctl.model import Facts


class Collector:
    """Placeholder until implemented."""

    name = "helm"

    def collect(self, ctx: CollectContext) -> Facts:
        return Facts()
