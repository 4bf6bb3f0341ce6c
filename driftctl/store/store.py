"""Atomic, idempotent import of verified bundles, serialised by a lock; freshness is checked here."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from driftctl.bundle.reader import Limits
from driftctl.bundle.signers import TrustStore
from driftctl.bundle.verify import VerifiedBundle
from driftctl.errors import BundleRejected, OperationalError
from driftctl.safeio import atomic_write, dumps_canonical
from driftctl.store.layout import (
    STAGING_PREFIX,
    Entry,
    SiteState,
    entries,
    load_state,
    read_entry,
    seq_dir,
    site_dir,
    site_names,
    state_from_entries,
    state_json,
)

CHUNK = 1 << 20


@dataclass(frozen=True)
class ImportResult:
    """The outcome of one import: ``imported`` or ``already imported``, and any gap recorded."""

    site: str
    seq: int
    status: str
    gap: str | None = None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _copy_checked(src: Path, dst: Path, sha256: str) -> None:
    """Copy the verified bundle, refusing bytes that changed since verification."""
    digest = hashlib.sha256()
    with src.open("rb") as fin, dst.open("xb") as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    if digest.hexdigest() != sha256:
        raise BundleRejected(f"{src.name}: file changed after verification", "freshness")


class Store:
    """A store directory (design §4): ``sites/<site>/<seq>/``, ``state.json``, ``ledger.jsonl``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OperationalError(f"{self.root}: cannot open store: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._clean_staging()
            yield
        finally:
            os.close(fd)

    def _clean_staging(self) -> None:
        """Remove staging directories an interrupted import left behind (never referenced)."""
        for path in self.root.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(path, ignore_errors=True)

    def sites(self) -> list[SiteState]:
        states = [load_state(self.root, site) for site in site_names(self.root)]
        return [s for s in states if s is not None]

    def state(self, site: str) -> SiteState | None:
        if not site_dir(self.root, site).is_dir():
            return None
        return load_state(self.root, site)

    def _freshness(self, vb: VerifiedBundle, state: SiteState | None) -> tuple[bool, str | None]:
        """(8) ``seq`` must grow; same bytes again is a no-op; same seq, other bytes is equivocation."""
        existing = seq_dir(self.root, vb.site, vb.seq)
        if existing.is_dir():
            old = read_entry(existing)
            if old.sha256 == vb.sha256:
                return False, None
            raise BundleRejected(
                f"{vb.path.name}: equivocation: {vb.site} seq {vb.seq} was already imported "
                f"with other bytes (sha256 {old.sha256[:12]}…)",
                "freshness",
            )
        if state is not None and vb.seq < state.latest.seq:
            raise BundleRejected(
                f"{vb.path.name}: rollback: {vb.site} seq {vb.seq} is older than imported seq "
                f"{state.latest.seq}",
                "freshness",
            )
        last_seq = state.latest.seq if state else 0
        last_sha = state.latest.sha256 if state else None
        prev = vb.manifest["prev_sha256"]
        if vb.seq != last_seq + 1:
            missing = (
                f"{last_seq + 1}" if vb.seq == last_seq + 2 else f"{last_seq + 1}..{vb.seq - 1}"
            )
            return True, f"seq {missing} missing before seq {vb.seq}"
        if state is not None and prev != last_sha:
            return True, f"seq {vb.seq} prev_sha256 does not match imported seq {last_seq}"
        return True, None

    def import_verified(self, vb: VerifiedBundle, sig: Path | None = None) -> ImportResult:
        """Store a verified bundle atomically: stage, fsync, rename, then state and ledger."""
        sig = sig if sig is not None else Path(f"{vb.path}.sig")
        with self.locked():
            state = self.state(vb.site)
            new, gap = self._freshness(vb, state)
            if not new:
                return ImportResult(vb.site, vb.seq, "already imported")
            entry = Entry(
                vb.site,
                vb.seq,
                vb.sha256,
                vb.manifest["prev_sha256"],
                str(vb.manifest["collected_at"]),
                _now(),
                vb.signer_fingerprint,
                vb.path.name,
                gap,
            )
            ledger = self.root / "ledger.jsonl"
            try:
                # Opened first: a ledger that cannot be appended to stops the import before
                # anything is renamed into place.
                fd = os.open(ledger, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            except OSError as exc:
                raise OperationalError(
                    f"{ledger}: cannot open the ledger: {exc.strerror}"
                ) from None
            try:
                self._commit(vb, sig, entry, fd)
            except OSError as exc:
                raise OperationalError(f"{self.root}: store write failed: {exc.strerror}") from None
            finally:
                os.close(fd)
        return ImportResult(vb.site, vb.seq, "imported", gap)

    def _commit(self, vb: VerifiedBundle, sig: Path, entry: Entry, ledger_fd: int) -> None:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root))
        try:
            name = f"{vb.site}-{vb.seq:06d}.tar.gz"
            _copy_checked(vb.path, staging / name, vb.sha256)
            shutil.copyfile(sig, staging / f"{name}.sig")
            _write(staging / "manifest.json", vb.members["manifest.json"])
            _write(staging / "snapshot.json", vb.members["snapshot.json"])
            _write(staging / "meta.json", dumps_canonical(entry.to_json()))
            os.chmod(staging, 0o755)  # noqa: S103 - mkdtemp's 0700; bundles are not secret
            _fsync_dir(staging)
            target = seq_dir(self.root, vb.site, vb.seq)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(target.parent)
        state = state_from_entries(vb.site, entries(self.root, vb.site))
        assert state is not None
        atomic_write(site_dir(self.root, vb.site) / "state.json", state_json(state))
        _ledger(ledger_fd, entry, "imported" if entry.gap is None else "imported-with-gap")


def _ledger(fd: int, entry: Entry, result: str) -> None:
    """Append one JSON line to the open ledger; a torn last line from a crash is closed off first."""
    line = {"imported_at": entry.imported_at, "site": entry.site, "seq": entry.seq}
    line |= {"sha256": entry.sha256, "result": result}
    if entry.gap:
        line["gap"] = entry.gap
    size = os.fstat(fd).st_size
    torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
    data = (b"\n" if torn else b"") + json.dumps(line, sort_keys=True).encode() + b"\n"
    os.write(fd, data)
    os.fsync(fd)


def import_bundle(
    store: Store,
    bundle: Path,
    trust: TrustStore,
    sig: Path | None = None,
    limits: Limits | None = None,
) -> ImportResult:
    """Verify (steps 1–7) and import (step 8) one bundle."""
    from driftctl.bundle.verify import verify_bundle

    verified = verify_bundle(bundle, trust, sig=sig, limits=limits)
    return store.import_verified(verified, sig)
