"""The collect pipeline: site config → sources → collectors → typed snapshot (docs/snapshot.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from driftctl.collectors.interface import CollectContext, Collector, Facts
from driftctl.collectors.registry import COLLECTORS
from driftctl.config import SiteConfig
from driftctl.errors import OperationalError
from driftctl.model import Failure, ItemJudge, RawSet
from driftctl.progress import NullProgress, Progress
from driftctl.snapshot import ABSENT, JsonValue, ModelError, Node, Snapshot
from driftctl.sources.interface import Source
from driftctl.sources.registry import sources_for

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class CollectOutcome:
    """The snapshot of one site and the raw artifacts it was parsed from."""

    snapshot: Snapshot
    raw: RawSet

    @property
    def failures(self) -> tuple[Failure, ...]:
        return self.snapshot.failures


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC with second precision and a ``Z`` suffix."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _node(before: Node | None, kube: Node) -> Node:
    """A node's Kubernetes facts; GPU and clock facts already learned stay, since nvidia-smi
    beats GPU labels (in registry order none are: the nodes collector runs first)."""
    if before is None:
        return kube
    gpu = kube.gpu if before.gpu is ABSENT else before.gpu
    return replace(kube, gpu=gpu, time=before.time)


def assemble(known: Snapshot, facts: Facts) -> Snapshot:
    """``known`` with one collector's facts added, each part by its own rule:

    - ``kubernetes``: the identity, whole (one collector learns it);
    - ``workloads``, ``helm``, ``components``: entries added by key;
    - ``nodes``: a node's Kubernetes facts create or replace its entry, keeping GPU and clock
      facts learned before; ``gpu`` replaces a node's GPU facts whole (the gpu collector folds
      the GFD label facts into its own), ``time`` sets its clock facts; either creates the node
      when only SSH reached it.

    Collectors that learned nothing about a part leave it as it was.
    """
    nodes = dict(known.nodes)
    for name, node in facts.nodes.items():
        nodes[name] = _node(nodes.get(name), node)
    for name, gpu in facts.gpu.items():
        nodes[name] = replace(nodes.get(name, Node()), gpu=gpu)
    for name, time in facts.time.items():
        nodes[name] = replace(nodes.get(name, Node()), time=time)
    return replace(
        known,
        kubernetes=known.kubernetes if facts.kubernetes is None else facts.kubernetes,
        workloads=_added(known.workloads, facts.workloads),
        helm=_added(known.helm, facts.helm),
        components=_added(known.components, facts.components),
        nodes=nodes,
    )


def _added(before: Mapping[str, T], new: Mapping[str, T]) -> Mapping[str, T]:
    return {**before, **new} if new else before


def run_collectors(
    config: SiteConfig,
    raw: RawSet,
    collected_at: str,
    collectors: Sequence[Collector] | None = None,
) -> Snapshot:
    """Parse ``raw`` with every collector in order into one snapshot."""
    if collectors is None:
        collectors = COLLECTORS
    known = Snapshot(site=config.site, collected_at=collected_at)
    failures: list[Failure] = list(raw.failures)
    for collector in collectors:
        try:
            facts = collector.collect(CollectContext(config, raw, known))
        except Exception as exc:  # a parser bug must cost one collector, never the bundle
            # One line by default (it is recorded as a failure); the traceback at -vv.
            log.error("collector %s crashed: %r (recorded as a failure)", collector.name, exc)
            log.debug("collector %s traceback", collector.name, exc_info=True)
            failures.append(Failure(config.site, collector.name, f"collector crashed: {exc!r}"))
            continue
        known = assemble(known, facts)
        failures.extend(facts.failures)
    unique = {(f.target, f.collector, f.error): f for f in failures}
    snapshot = replace(known, failures=tuple(unique[k] for k in sorted(unique)))
    try:
        # Types say a lot, not all: the strict reading also refuses non-finite numbers, lone
        # surrogates and a site id off its pattern, exactly as a bundle's reader will.
        return snapshot.checked(f"{config.site}: collected snapshot")
    except ModelError as exc:  # a collector wrote what the model does not know: our bug
        raise OperationalError(f"internal error: {exc}") from None


def collect_site(
    config: SiteConfig,
    from_dump: Path | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    sources: Sequence[Source] | None = None,
    judge: ItemJudge | None = None,
) -> CollectOutcome:
    """Acquire raw artifacts from the configured sources and parse them into a snapshot;
    ``judge`` (the redactor) lets a source redact list items as they arrive."""
    progress = progress or NullProgress()
    raw = RawSet(judge=judge)
    chosen = list(sources) if sources is not None else sources_for(config, from_dump)
    if not chosen:
        raise OperationalError(
            f"{config.source}: nothing to collect: no 'kubernetes' or 'ssh' section and no --from-dump"
        )
    for source in chosen:
        source.acquire(config, raw, progress)
    if not raw.artifacts:
        detail = "; ".join(f"{f.target}: {f.error}" for f in raw.failures[:3])
        raise OperationalError(
            f"{config.site}: nothing could be collected" + (f" ({detail})" if detail else "")
        )
    collected_at = rfc3339(now or datetime.now(UTC))
    snapshot = run_collectors(config, raw, collected_at)
    if not learned_anything(snapshot):
        # A bundle of failures would import as a site "with no findings": refuse to write one.
        # Root causes first: the components' failures only repeat that their workloads are unknown.
        failures = sorted(snapshot.failures, key=lambda f: f.collector == "components")
        detail = "; ".join(f"{f.target}: {f.error}" for f in failures[:3])
        more = f"; and {len(failures) - 3} more" if len(failures) > 3 else ""
        raise OperationalError(
            f"{config.site}: no fact could be collected, no bundle written"
            + (f" ({detail}{more})" if detail else "")
        )
    return CollectOutcome(snapshot=snapshot, raw=raw)


# Keys that describe how (or why not) a fact was read, not a fact about the site.
_NOT_FACTS = frozenset({"workload", "sources", "error", "source"})


def learned_anything(snapshot: Snapshot) -> bool:
    """Whether any section holds at least one fact (a value that is not null or empty)."""

    def has_fact(value: JsonValue) -> bool:
        if isinstance(value, dict):
            return any(has_fact(v) for k, v in value.items() if k not in _NOT_FACTS)
        if isinstance(value, list):
            return bool(value)
        return value is not None

    data = snapshot.to_dict()
    sections = ("kubernetes", "workloads", "helm", "nodes", "components")
    return any(has_fact(data.get(section)) for section in sections)
