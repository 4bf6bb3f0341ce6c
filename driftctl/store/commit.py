"""The store's commit protocol: one writer under a lock, a ledger line as the commit point, recovery.

Every store command runs under ``.lock`` (driftctl.store.lock) — writers (import, prune)
exclusively, readers (sites, diff, preflight, check) shared — and first finishes or undoes, with
``recover`` below, what a crash (kill -9, power loss) or a full disk left behind. The rules, enforced here and proved by tests/test_store_crash.py:

1. Nothing a reader sees changes before the commit point. An import builds the whole seq
   directory — bundle, signature, manifest.json, snapshot.json, meta.json — and the site's next
   ``state.json`` in ``.tmp-import-<txn>/`` and fsyncs them. A prune first creates the empty
   marker ``.tmp-prune-<txn>``.
2. The commit point is one ledger line carrying ``txn``, written with one write and fsync'd.
   Before it, the operation did not happen: a failure (ENOSPC) cuts the ledger back and removes
   the staging, leaving the store byte for byte as it was; a crash leaves a staging directory,
   a marker or a torn ledger tail, which the next command removes.
3. After it, the operation happened. What remains needs no free space — renames and removals —
   and is idempotent: move ``state.json`` into the site, rename the staging to
   ``sites/<site>/<seq>/``; or delete the pruned bundles' files, keeping each ``meta.json``,
   and rewrite ``state.json``. The next command finishes it from the staging directory or
   marker whose txn is the ledger's last line (roll forward).
4. Only the last ledger line can belong to an unfinished operation: each operation starts by
   finishing the one before. So recovery reads the ledger's tail only.

Durable after each step — import: staged → committed → state published → directory renamed;
prune: marked → committed → files removed → state rewritten → marker removed. The crash
points (``driftctl.durable.crash_point``) sit between these steps.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from driftctl.bundle import SITE_PATTERN
from driftctl.durable import crash_point, fsync_dir, remove_temps, replace_file
from driftctl.store import ledger
from driftctl.store.layout import (
    LEDGER,
    META,
    PRUNE_PREFIX,
    SNAPSHOT,
    STAGING_PREFIX,
    Entry,
    damaged,
    entries,
    read_entry,
    seq_dir,
    site_dir,
    state_from_entries,
    state_json,
)
from driftctl.strictjson import JsonObject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Completed:
    """An import a crash had interrupted after its commit, finished by this command."""

    site: str
    seq: int
    sha256: str


def new_txn() -> str:
    """A fresh operation id: names the staging directory or marker and its ledger line."""
    return secrets.token_hex(8)


def needs_recovery(root: Path) -> bool:
    """Leftovers of an interrupted operation: staging, a prune marker, temp files, a torn ledger."""
    for name in os.listdir(root):
        if name.startswith((STAGING_PREFIX, PRUNE_PREFIX)) or (
            name.startswith(".") and name.endswith(".tmp")
        ):
            return True
    return ledger.is_torn(root)


def refresh_state(root: Path, site: str) -> None:
    """Rewrite ``state.json`` of ``site`` when it is not what its seq directories say."""
    base = site_dir(root, site)
    remove_temps(base, ".state.json.*.tmp")
    state = state_from_entries(site, entries(root, site))
    path = base / "state.json"
    if state is None:
        path.unlink(missing_ok=True)
        return
    data = state_json(state)
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = b""
    if current != data:
        replace_file(path, data, "state")


def recover(root: Path) -> list[Completed]:
    """Finish the committed operation a crash interrupted, undo an uncommitted one (rules 2–4)."""
    ledger.cut_torn_tail(root)
    txn, last = ledger.last_txn(root)
    completed = []
    stagings = sorted(p for p in root.glob(f"{STAGING_PREFIX}*") if p.is_dir())
    older = (
        _committed_txns(root)
        if any(p.name != f"{STAGING_PREFIX}{txn}" for p in stagings)
        else set()
    )
    for staging in stagings:
        this = staging.name.removeprefix(STAGING_PREFIX)
        if this == txn or this in older:
            # Only the last operation's staged state.json is current; an older one (its rename
            # lost with a power cut, while later operations committed) gets its state recomputed.
            entry = finish_import(root, staging, staged_state=this == txn)
            log.warning("finished the interrupted import of %s seq %d", entry.site, entry.seq)
            completed.append(Completed(entry.site, entry.seq, entry.sha256))
        else:
            undo_import(root, staging)
    for path in root.glob(f"{STAGING_PREFIX}*"):
        if not path.is_dir():
            path.unlink()
    for marker in sorted(root.glob(f"{PRUNE_PREFIX}*")):
        if txn is not None and last is not None and marker.name == f"{PRUNE_PREFIX}{txn}":
            finish_prune(root, last)
            log.warning("finished the interrupted prune of %s", last.get("site"))
        marker.unlink()
    remove_temps(root, ".*.tmp")
    fsync_dir(root)
    return completed


def _staged(staging: Path) -> tuple[str, int] | None:
    """Site and seq of a staging directory's meta.json, or None when it never got that far."""
    try:
        data: object = json.loads((staging / META).read_bytes())
    except (OSError, ValueError):
        return None
    site = data.get("site") if isinstance(data, dict) else None
    seq = data.get("seq") if isinstance(data, dict) else None
    if not isinstance(site, str) or not re.fullmatch(SITE_PATTERN, site):
        return None
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return None
    return site, seq


def undo_import(root: Path, staging: Path) -> None:
    """Remove an uncommitted staging directory, and the site directory it alone created."""
    staged = _staged(staging)
    shutil.rmtree(staging, ignore_errors=True)
    if staged is not None:
        base = site_dir(root, staged[0])
        if base.is_dir() and not any(base.iterdir()):
            base.rmdir()


def _committed_txns(root: Path) -> set[str]:
    """Every txn the ledger holds (read only when a staging directory is not the last one's)."""
    txns = set()
    for raw in ledger.read_lines(ledger.ledger_path(root)):
        line = ledger.parse_line(raw)
        txn = line.get("txn") if line is not None else None
        if isinstance(txn, str):
            txns.add(txn)
    return txns


def finish_import(root: Path, staging: Path, staged_state: bool = True) -> Entry:
    """Steps after the commit of an import (idempotent): publish the state, rename the directory.

    One fsync of the site directory makes both renames durable; should a power cut undo them
    anyway, the staging directory is back and its txn is in the ledger: recovery redoes them.
    """
    staged = _staged(staging)
    if staged is None:
        raise damaged(staging, "a committed import without a valid meta.json")
    site, seq = staged
    base = site_dir(root, site)
    base.mkdir(parents=True, exist_ok=True)
    if (staging / "state.json").exists():
        if staged_state:
            os.replace(staging / "state.json", base / "state.json")
            crash_point("import:state-published")
        else:
            (staging / "state.json").unlink()
    target = seq_dir(root, site, seq)
    os.rename(staging, target)
    if not staged_state:
        refresh_state(root, site)
    remove_temps(base, ".state.json.*.tmp")  # an older driftctl's interrupted state write
    fsync_dir(base)
    crash_point("import:renamed")
    return read_entry(target)


def finish_prune(root: Path, line: JsonObject) -> None:
    """Steps after the commit of a prune (idempotent): delete the files, keep meta.json, state."""
    site, removed = line.get("site"), line.get("removed")
    # Names from the ledger become paths whose files are deleted: refuse anything but a site id.
    if not isinstance(site, str) or not re.fullmatch(SITE_PATTERN, site):
        raise damaged(root / LEDGER, "last line: a prune without a valid site")
    if not isinstance(removed, list):
        raise damaged(root / LEDGER, "last line: a prune without its removed list")
    for item in removed:
        seq = item.get("seq") if isinstance(item, dict) else None
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise damaged(root / LEDGER, "last line: a prune entry without a valid seq")
        directory = seq_dir(root, site, seq)
        if not directory.is_dir():
            continue
        # snapshot.json first: from then on the directory reads as pruned.
        names = sorted(os.listdir(directory), key=lambda n: (n != SNAPSHOT, n))
        for name in names:
            if name != META:
                (directory / name).unlink()
        fsync_dir(directory)
        crash_point("prune:removed")
    refresh_state(root, site)
    crash_point("prune:state-written")
