"""``store prune``: keep the newest N bundles per site; the ledger records every removal."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from driftctl.durable import crash_point, fsync_dir, write_new
from driftctl.errors import InputError, OperationalError
from driftctl.store import ledger
from driftctl.store.commit import finish_prune, new_txn
from driftctl.store.layout import (
    META,
    PRUNE_PREFIX,
    Entry,
    check_root,
    entries,
    seq_dir,
    site_names,
)
from driftctl.store.lock import exclusive, shared

CHUNK = 500  # bundles per ledger line, so the line stays well inside the tail recovery reads


@dataclass(frozen=True)
class Removal:
    """One bundle pruned (or, in a dry run, that would be) and the bytes it held."""

    site: str
    seq: int
    sha256: str
    size: int


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if p.name != META)


def _selected(root: Path, sites: Sequence[str]) -> list[str]:
    known = site_names(root)
    for site in sites:
        if site not in known:
            raise InputError(f"--site {site}: no such site in the store {root}")
    return sorted(set(sites)) if sites else known


def plan(root: Path, keep: int, sites: Sequence[str] = ()) -> list[tuple[str, list[Entry]]]:
    """Per site, the stored bundles beyond the newest ``keep`` (the latest is always kept)."""
    if keep < 1:
        raise InputError(
            f"--keep {keep}: must be at least 1 (the latest bundle of a site is never pruned)"
        )
    out = []
    for site in _selected(root, sites):
        stored = [e for e in entries(root, site) if e.stored]
        if len(stored) > keep:
            out.append((site, stored[: len(stored) - keep]))
    return out


def _commit(root: Path, site: str, victims: list[Entry]) -> None:
    """One prune transaction (the protocol is in driftctl.store.commit)."""
    txn = new_txn()
    marker = root / f"{PRUNE_PREFIX}{txn}"
    line = ledger.PruneLine(
        txn=txn,
        pruned_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        site=site,
        removed=tuple((e.seq, e.sha256) for e in victims),
    )
    fd = ledger.open_for_append(root)
    try:
        write_new(marker, b"")
        fsync_dir(root)
        crash_point("prune:marked")
        try:
            ledger.append(fd, line, "prune")
        except BaseException:
            marker.unlink(missing_ok=True)
            raise
    finally:
        os.close(fd)
    crash_point("prune:committed")
    try:
        finish_prune(root, line.to_json())
        marker.unlink()
        fsync_dir(root)
    except OSError as exc:
        raise OperationalError(
            f"{root}: the prune of {site} is committed but not finished ({exc.strerror}); "
            "the next store command finishes it"
        ) from None


def prune(root: Path, keep: int, sites: Sequence[str] = (), dry_run: bool = False) -> list[Removal]:
    """Remove all but the newest ``keep`` bundles of each site (or only list them, ``dry_run``).

    A pruned bundle keeps its ``meta.json``: its seq and sha256 still anchor the hash chain, and
    the same bundle arriving again is recognised instead of stored anew.
    """
    check_root(root, must_exist=True)
    if dry_run:
        with shared(root):
            return _removals(root, plan(root, keep, sites))
    with exclusive(root):
        planned = plan(root, keep, sites)
        removals = _removals(root, planned)
        for site, victims in planned:
            for start in range(0, len(victims), CHUNK):
                _commit(root, site, victims[start : start + CHUNK])
        return removals


def _removals(root: Path, planned: list[tuple[str, list[Entry]]]) -> list[Removal]:
    return [
        Removal(site, e.seq, e.sha256, _size(seq_dir(root, site, e.seq)))
        for site, victims in planned
        for e in victims
    ]
