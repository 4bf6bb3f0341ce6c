"""Live SSH node source (placeholder until implemented)."""

from __future__ import annotations

from driftctl.config import SiteConfig
from driftctl.errors import OperationalError
from driftctl.model import RawSet
from driftctl.progress import Progress


class SshSource:
    """Placeholder."""

    name = "ssh"

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Progress) -> None:
        raise OperationalError("live SSH collection is not implemented yet")
