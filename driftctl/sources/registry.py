"""Which sources run for a collection: a dump directory, or the live API then SSH."""

from __future__ import annotations

from pathlib import Path

from driftctl.config import SiteConfig
from driftctl.sources.dump import DumpSource
from driftctl.sources.interface import Source
from driftctl.sources.kube import KubeSource


def sources_for(config: SiteConfig, from_dump: Path | None) -> list[Source]:
    """The sources for this run, in order."""
    if from_dump is not None:
        return [DumpSource(from_dump)]
    chosen: list[Source] = []
    if config.kubernetes is not None:
        chosen.append(KubeSource())
    if config.ssh is not None:
        # After kube: `nodes: kubernetes` reads the InternalIPs from kubernetes/nodes.json.
        # Start-up time: paramiko (about 0.3 s) loads only for a site that has SSH.
        from driftctl.sources.ssh import SshSource

        chosen.append(SshSource())
    return chosen
