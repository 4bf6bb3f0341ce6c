"""The source interface: fill a RawSet with artifacts in dump layout (docs/dump-layout.md)."""

from __future__ import annotations

from typing import Protocol

from driftctl.config import SiteConfig
from driftctl.model import RawSet
from driftctl.progress import Progress


class Source(Protocol):
    """Acquires raw artifacts for one site; failures are recorded in ``raw``, never raised.

    Raise ``OperationalError`` only when the source as a whole cannot start in a way the user
    must fix (e.g. 401 from the API: the credentials are wrong for every request).
    """

    name: str

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Progress) -> None: ...
