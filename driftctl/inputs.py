"""The one way diff and preflight get snapshots: verified bundles, or the store's latest per site.

Diff over the store reads each site's facts index instead where it has a usable one
(``StoredFacts``); ``FACTS_INDEX`` is what import writes and ``store check`` verifies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from driftctl.bundle.trust import TrustStore, load_trust
from driftctl.bundle.verify import VerifiedBundle, verify_bundle
from driftctl.diff import index
from driftctl.errors import InputError, OperationalError
from driftctl.snapshot import ModelError, Snapshot
from driftctl.store.layout import (
    FACTS,
    SiteState,
    check_root,
    read_entry,
    read_facts,
    read_snapshot,
    seq_dir,
)
from driftctl.store.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SiteSnapshot:
    """One site's snapshot with where it came from (seq, collection time, bundle sha256)."""

    site: str
    seq: int
    collected_at: str
    sha256: str
    snapshot: Snapshot


def default_store() -> Path:
    """``$DRIFTCTL_STORE``, else ``$XDG_DATA_HOME/driftctl/store``, else ``~/.local/share/...``."""
    env = os.environ.get("DRIFTCTL_STORE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "driftctl" / "store"


def existing_store(store: Path | None) -> Path:
    """The store to read; InputError when it is missing or not a directory."""
    root = store if store is not None else default_store()
    check_root(root, must_exist=True)
    return root


def _filter(found: Mapping[str, T], sites: Sequence[str], where: object) -> list[T]:
    """The ``--site`` choice among ``found`` (every site when none is given), sorted by site."""
    for site in sites:
        if site not in found:
            raise InputError(f"--site {site}: no such site in {where}")
    keep = set(sites) if sites else set(found)
    for site in sorted(set(found) - keep):
        log.info("skipped %s: not among --site", site)
    return [found[s] for s in sorted(keep)]


def latest_snapshots(
    store: Path | None,
    bundles: Sequence[Path] = (),
    trust: Path | TrustStore | None = None,
    sites: Sequence[str] = (),
) -> list[SiteSnapshot]:
    """Newest snapshot per site, sorted by site: from verified ``bundles`` if given, else the store.

    ``trust`` is an ``allowed_signers`` path, or a TrustStore already loaded with its
    revocation list (what the CLI passes).
    """
    found: dict[str, SiteSnapshot] = {}
    if bundles:
        if trust is None:
            raise InputError("bundles given without --trust ALLOWED_SIGNERS")
        trust_store = trust if not isinstance(trust, Path) else load_trust(trust)
        for path in bundles:
            vb = verify_bundle(path, trust_store)
            log.info(
                "verified %s: site %s seq %d, signer %s",
                path,
                vb.site,
                vb.seq,
                vb.signer_fingerprint,
            )
            if vb.site in found and vb.seq <= found[vb.site].seq:
                log.info("skipped %s: %s seq %d is not the newest given", path, vb.site, vb.seq)
            if vb.site not in found or vb.seq > found[vb.site].seq:
                collected = str(vb.manifest["collected_at"])
                found[vb.site] = SiteSnapshot(vb.site, vb.seq, collected, vb.sha256, vb.snapshot)
        return _filter(found, sites, "the given bundles")
    return list(stream_latest(store, sites))


def stream_latest(store: Path | None, sites: Sequence[str] = ()) -> Iterator[SiteSnapshot]:
    """The store's newest snapshot per site, sorted by site, each read when its turn comes.

    The store is held for reading from the first step until the last snapshot is read; what
    is wrong with it or with ``sites`` is raised at the first step, before any snapshot is read.
    A caller that drops each snapshot after use holds one at a time (diff over many sites).
    """
    root = existing_store(store)
    with Store(root).reading():
        for state in _chosen(root, sites):
            yield _read_latest(root, state)


def _chosen(root: Path, sites: Sequence[str]) -> list[SiteState]:
    return _filter({state.site: state for state in Store(root).sites()}, sites, root)


class StoredFacts:
    """The store's newest facts per site for diff, sorted by site: each site's facts index where
    it has a usable one, else its snapshot (iterate once, then ``snapshot_of`` for a site whose
    index turned out unusable while the store is still held)."""

    def __init__(self, store: Path | None, sites: Sequence[str] = ()) -> None:
        self.root = existing_store(store)
        self.sites = sites

    def __iter__(self) -> Iterator[tuple[str, Snapshot | index.IndexedSite]]:
        with Store(self.root).reading():
            for state in _chosen(self.root, self.sites):
                yield state.site, self._facts(state)

    def _facts(self, state: SiteState) -> Snapshot | index.IndexedSite:
        latest = state.latest
        try:
            data = read_facts(self.root, state.site, latest.seq)
            found = (
                None if data is None else index.parse(data, state.site, latest.seq, latest.sha256)
            )
        except (OperationalError, index.Unusable) as exc:
            # Another driftctl's schema is expected after an upgrade; anything else is damage.
            level = logging.INFO if isinstance(exc, index.OtherSchema) else logging.WARNING
            log.log(level, "%s seq %d: %s not usable (%s): reading its snapshot",
                    state.site, latest.seq, FACTS, exc)  # fmt: skip
            return _read_latest(self.root, state).snapshot
        if found is None:  # imported by a driftctl that wrote no index
            log.info("%s seq %d has no %s: reading its snapshot", state.site, latest.seq, FACTS)
            return _read_latest(self.root, state).snapshot
        log.info("read %s seq %d facts from the store %s", state.site, latest.seq, self.root)
        return found

    def snapshot_of(self, site: index.IndexedSite) -> Snapshot:
        """The snapshot a facts index stood for (read while iterating: the store is held)."""
        return stored_snapshot(self.root, site.site, site.seq)


class FactsIndex:
    """The facts index as a file the store derives from each bundle (store.layout.Derived)."""

    name = FACTS

    def make(self, vb: VerifiedBundle) -> bytes:
        return index.encode(vb.site, vb.seq, vb.sha256, vb.snapshot)

    def problem(self, vb: VerifiedBundle, data: bytes) -> str | None:
        try:
            index.parse(data, vb.site, vb.seq, vb.sha256)
        except index.OtherSchema:
            return None  # another driftctl's: diff reads the snapshot instead
        except index.Unusable as exc:
            return f"not usable ({exc}): diff reads snapshot.json instead"
        if data != self.make(vb):
            return "not the facts of the bundle's snapshot"
        return None


FACTS_INDEX = FactsIndex()


def _read_latest(root: Path, state: SiteState) -> SiteSnapshot:
    latest = state.latest
    snap = stored_snapshot(root, state.site, latest.seq)
    log.info(
        "read %s seq %d from the store %s (collected %s, sha256 %s)",
        state.site,
        latest.seq,
        root,
        latest.collected_at,
        latest.sha256,
    )
    return SiteSnapshot(state.site, latest.seq, latest.collected_at, latest.sha256, snap)


def stored_snapshot(root: Path, site: str, seq: int) -> Snapshot:
    """A snapshot the store holds; it was verified on import, so a bad one is a damaged store."""
    try:
        return Snapshot.from_dict(read_snapshot(root, site, seq), f"{site} seq {seq} snapshot.json")
    except ModelError as exc:
        raise OperationalError(f"store damaged: {exc}") from None


def site_history(store: Path | None, site: str, seq: int) -> SiteSnapshot:
    """One stored snapshot of ``site`` (for ``diff --from/--to``); InputError when absent."""
    root = existing_store(store)
    with Store(root).reading():
        path = seq_dir(root, site, seq)
        if not path.is_dir():
            raise InputError(f"{site} seq {seq}: not in the store {root}")
        entry = read_entry(path)
        if not entry.stored:
            raise InputError(f"{site} seq {seq}: pruned from the store {root}")
        snap = stored_snapshot(root, site, seq)
    return SiteSnapshot(site, seq, entry.collected_at, entry.sha256, snap)
