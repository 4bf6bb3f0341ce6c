"""Live Kubernetes API source (placeholder until implemented)."""

from __future__ import annotations

from driftctl.config import SiteConfig
from driftctl.errors import OperationalError
from driftctl.model import RawSet
from driftctl.progress import Progress


class KubeSource:
    """Placeholder."""

    name = "kubernetes"

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Progress) -> None:
        raise OperationalError("live Kubernetes collection is not implemented yet")
