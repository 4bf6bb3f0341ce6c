"""The store's entry points: import a verified bundle; read sites, a site's history and its snapshots."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from driftctl.bundle.reader import Limits
from driftctl.bundle.trust import TrustStore
from driftctl.bundle.verify import VerifiedBundle, verify_bundle
from driftctl.durable import crash_point, fsync_paths, write_new
from driftctl.errors import BundleRejected, OperationalError
from driftctl.safeio import dumps_canonical, read_capped
from driftctl.store import ledger
from driftctl.store.commit import finish_import, new_txn
from driftctl.store.freshness import ALREADY, HISTORY, IMPORTED, decide
from driftctl.store.layout import (
    MANIFEST,
    META,
    SNAPSHOT,
    STAGING_PREFIX,
    Derived,
    Entry,
    SiteState,
    entries,
    load_state,
    read_entry,
    read_snapshot,
    seq_dir,
    seq_status,
    site_dir,
    site_names,
    state_json,
    summarize,
)
from driftctl.store.lock import exclusive, shared
from driftctl.strictjson import JsonObject

CHUNK = 1 << 20
MAX_SIG = 64 * 1024


@dataclass(frozen=True)
class ImportResult:
    """One import: ``imported``, ``imported as history`` or ``already imported``, and context."""

    site: str
    seq: int
    status: str
    gap: str | None = None
    links: tuple[int, ...] = ()
    pruned: bool = False


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _copy_checked(src: Path, dst: Path, sha256: str) -> None:
    """Copy the verified bundle, refusing bytes that changed since verification (not fsync'd:
    the staging is made durable as a whole)."""
    digest = hashlib.sha256()
    with src.open("rb") as fin, dst.open("xb") as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            fout.write(chunk)
    if digest.hexdigest() != sha256:
        raise BundleRejected(f"{src.name}: file changed after verification", "freshness")


class Store:
    """A store directory (docs/store.md): ``sites/<site>/<seq>/``, ``state.json``, the ledger."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._reading = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the shared lock (after repairing what a crash left) while reading several things;
        the readers below called inside it take no lock of their own."""
        if self._reading:
            yield
            return
        with shared(self.root):
            self._reading += 1
            try:
                yield
            finally:
                self._reading -= 1

    def sites(self) -> list[SiteState]:
        with self.reading():
            states = [load_state(self.root, site) for site in site_names(self.root)]
        return [s for s in states if s is not None]

    def state(self, site: str) -> SiteState | None:
        with self.reading():
            return load_state(self.root, site)

    def history(self, site: str) -> list[Entry]:
        """The stored bundles of ``site``, oldest first (pruned ones are not listed)."""
        with self.reading():
            return [e for e in entries(self.root, site) if e.stored]

    def snapshot(self, site: str, seq: int) -> JsonObject:
        """One stored snapshot, read from its own file (the bundle is not opened)."""
        with self.reading():
            return read_snapshot(self.root, site, seq)

    def filled(self) -> dict[str, list[int]]:
        """Per site, the seqs that arrived late, after a newer bundle (the gaps history filled)."""
        out: dict[str, list[int]] = {}
        with self.reading():
            for _, line in ledger.read_all(self.root):
                if line.get("result") == "imported-as-history":
                    site, seq = line.get("site"), line.get("seq")
                    if isinstance(site, str) and isinstance(seq, int):
                        out.setdefault(site, []).append(seq)
        return out

    def import_verified(
        self, vb: VerifiedBundle, sig: Path | None = None, derived: Sequence[Derived] = ()
    ) -> ImportResult:
        """Store a verified bundle (see driftctl.store.commit for the protocol), with the files
        ``derived`` from it (the facts index) written beside its members in the same commit."""
        sig = sig if sig is not None else Path(f"{vb.path}.sig")
        with exclusive(self.root) as completed:
            status = seq_status(self.root, vb.site)
            near = {
                n: read_entry(seq_dir(self.root, vb.site, n))
                for n in (vb.seq - 1, vb.seq, vb.seq + 1)
                if n in status
            }
            prev = vb.prev_sha256
            latest = max(status, default=0)
            decision = decide(vb.path.name, vb.site, vb.seq, vb.sha256, prev, near, latest)
            result = ImportResult(
                vb.site, vb.seq, decision.status, decision.gap, decision.links, decision.pruned
            )
            if decision.status == ALREADY:
                finished = any(
                    (c.site, c.seq, c.sha256) == (vb.site, vb.seq, vb.sha256) for c in completed
                )
                return result if not finished else ImportResult(vb.site, vb.seq, IMPORTED)
            entry = Entry(
                vb.site,
                vb.seq,
                vb.sha256,
                prev,
                vb.collected_at,
                _now(),
                vb.signer_fingerprint,
                vb.path.name,
            )
            status[vb.seq] = True
            top = max(n for n, stored in status.items() if stored)
            newest = entry if top == vb.seq else read_entry(seq_dir(self.root, vb.site, top))
            state = summarize(vb.site, status, newest)
            line = ledger.ImportLine(
                txn=new_txn(),
                imported_at=entry.imported_at,
                site=entry.site,
                seq=entry.seq,
                sha256=entry.sha256,
                result=_RESULT[(decision.status, decision.gap is not None)],
                gap=decision.gap,
            )
            extra = {d.name: d.make(vb) for d in derived}
            self._commit(vb, sig, entry, state_json(state), line, extra)
        return result

    def _commit(
        self,
        vb: VerifiedBundle,
        sig: Path,
        entry: Entry,
        state: bytes,
        line: ledger.ImportLine,
        extra: Mapping[str, bytes],
    ) -> None:
        txn = line.txn
        staging = self.root / f"{STAGING_PREFIX}{txn}"
        base = site_dir(self.root, vb.site)
        fd = ledger.open_for_append(self.root)
        try:
            new_site = not base.exists()
            try:
                staging.mkdir(mode=0o755)
                _copy_checked(vb.path, staging / entry.stored_name, vb.sha256)
                crash_point("import:staging")
                files = {
                    f"{entry.stored_name}.sig": read_capped(sig, MAX_SIG),
                    MANIFEST: vb.members["manifest.json"],
                    SNAPSHOT: vb.members["snapshot.json"],
                    META: dumps_canonical(entry.to_json()),
                    "state.json": state,
                    **extra,
                }
                for name, data in files.items():
                    write_new(staging / name, data, sync=False)
                durable = [staging / entry.stored_name, *(staging / n for n in files), staging]
                if new_site:
                    base.mkdir(parents=True)
                    durable.append(base.parent)
                fsync_paths([*durable, self.root])  # all of it before the commit line
                crash_point("import:staged")
                ledger.append(fd, line, "import")
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                if new_site and base.is_dir() and not any(base.iterdir()):
                    base.rmdir()
                raise
            crash_point("import:committed")
            try:
                finish_import(self.root, staging)
            except OSError as exc:
                raise OperationalError(
                    f"{self.root}: {vb.site} seq {vb.seq} is committed but not finished "
                    f"({exc.strerror}); the next store command finishes it"
                ) from None
        finally:
            os.close(fd)


_RESULT = {
    (IMPORTED, False): "imported",
    (IMPORTED, True): "imported-with-gap",
    (HISTORY, False): "imported-as-history",
}


def import_bundle(
    store: Store,
    bundle: Path,
    trust: TrustStore,
    sig: Path | None = None,
    limits: Limits | None = None,
    derived: Sequence[Derived] = (),
) -> ImportResult:
    """Verify (steps 1–7) and import (step 8) one bundle, with the files ``derived`` from it."""
    verified = verify_bundle(bundle, trust, sig=sig, limits=limits)
    return store.import_verified(verified, sig, derived)
