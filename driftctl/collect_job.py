"""The whole collection job for one site: collect, redact, bundle, sign (the core of ``collect``)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from driftctl import __version__
from driftctl.bundle.limits import Limits
from driftctl.bundle.site_key import check_key_for_site, load_signer
from driftctl.bundle.writer import write_bundle
from driftctl.config import SiteConfig
from driftctl.errors import OperationalError
from driftctl.pipeline import collect_site
from driftctl.progress import Progress
from driftctl.redact import Redactor, load_fleet_key, redact_evidence, redact_snapshot
from driftctl.snapshot import Failure, JsonValue, ModelError, Snapshot


@dataclass(frozen=True)
class JobResult:
    """What one collection produced: the redacted snapshot and, unless a dry run, the bundle."""

    snapshot: Snapshot
    redaction: Mapping[str, JsonValue]  # redaction.json
    bundle: Path | None = None
    sig: Path | None = None
    seq: int | None = None

    @property
    def failures(self) -> tuple[Failure, ...]:
        return self.snapshot.failures

    @property
    def redacted(self) -> int:
        """How many values redaction replaced."""
        total = self.redaction.get("total")
        return total if isinstance(total, int) else 0


def with_context(config: SiteConfig, context: str | None) -> SiteConfig:
    """The config with ``--context`` applied (it wins over the config's ``kubernetes.context``)."""
    if context is None or config.kubernetes is None:
        return config
    return dataclasses.replace(
        config, kubernetes=dataclasses.replace(config.kubernetes, context=context)
    )


def fleet_key_path(config: SiteConfig, override: Path | None) -> Path | None:
    """``--fleet-key``, else ``$DRIFTCTL_FLEET_KEY``, else the config's ``redaction.fleet_key_file``."""
    if override is not None:
        return override
    env = os.environ.get("DRIFTCTL_FLEET_KEY")
    if env:
        return Path(env)
    if config.fleet_key_file:
        path = Path(config.fleet_key_file).expanduser()
        return path if path.is_absolute() else config.source.parent / path
    return None


def run_collect(
    config: SiteConfig,
    key_path: Path | None,
    out_dir: Path,
    from_dump: Path | None = None,
    fleet_key: Path | None = None,
    passphrase: str | None = None,
    progress: Progress | None = None,
    state_dir: Path | None = None,
    dry_run: bool = False,
) -> JobResult:
    """Collect one site and write its signed bundle (or, for a dry run, only return the snapshot)."""
    signing_key = None
    if not dry_run:
        assert key_path is not None
        signing_key = load_signer(key_path, passphrase)  # fail before a long collection
        check_key_for_site(signing_key, key_path, config.site)
    key_file = fleet_key_path(config, fleet_key)
    redactor = Redactor(load_fleet_key(key_file) if key_file else None)
    # The redactor judges the Kubernetes lists' items as they arrive: the evidence is never
    # parsed again nor held as objects (docs/redaction.md).
    outcome = collect_site(config, from_dump=from_dump, progress=progress, judge=redactor)
    outcome.raw.release_items()  # the collectors are done with them; the evidence is judged
    rules = {c.name: c.attributes for c in config.components}
    # Redaction works on the JSON form; what it returns must still be a snapshot.
    redacted = redact_snapshot(redactor, outcome.snapshot.to_dict(), rules)
    try:
        snapshot = Snapshot.from_dict(redacted, f"{config.site}: redacted snapshot")
    except ModelError as exc:  # redaction changed the shape: our bug, never the input's
        raise OperationalError(f"internal error: {exc}") from None
    # Paths relative to evidence/; a List over the reader's member cap is stored in parts.
    evidence = redact_evidence(redactor, outcome.raw, Limits().member_bytes)
    report = redactor.report()
    if dry_run or signing_key is None:
        return JobResult(snapshot=snapshot, redaction=report)
    written = write_bundle(
        out_dir, snapshot.to_dict(), evidence, report, signing_key, __version__, state_dir=state_dir
    )
    return JobResult(snapshot, report, written.path, written.sig_path, written.seq)
