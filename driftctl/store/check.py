"""``store check``: re-verify every stored bundle, the hash chains, the ledger and the state files."""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from driftctl.bundle import NAMESPACE
from driftctl.bundle.allowed_signers import AllowedSigner
from driftctl.bundle.certs import parse_public_key
from driftctl.bundle.reader import Limits
from driftctl.bundle.revoked import Revocations
from driftctl.bundle.signer import fingerprint
from driftctl.bundle.sshsig import SignatureError, parse_armored
from driftctl.bundle.trust import TrustStore
from driftctl.bundle.verify import verify_bundle
from driftctl.bundle.wire import WireError
from driftctl.errors import BundleRejected, DriftctlError
from driftctl.safeio import read_capped
from driftctl.store import ledger
from driftctl.store.layout import (
    FACTS,
    MANIFEST,
    META,
    SEQ_DIR,
    SNAPSHOT,
    Derived,
    Entry,
    check_root,
    read_entry,
    site_dir,
    site_names,
    state_from_entries,
    state_json,
)
from driftctl.store.lock import shared

MAX_SIG = 64 * 1024
MAX_DERIVED = 256 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One thing in the store that no longer verifies, and where."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Against:
    """What stored bundles are verified against: a trust store, else each one's recorded signer
    with ``revoked`` applied."""

    trust: TrustStore | None
    revoked: Revocations | None
    limits: Limits
    derived: tuple[Derived, ...] = ()


@dataclass(frozen=True)
class CheckReport:
    """What was checked and every problem found (none: the store verifies)."""

    sites: int
    bundles: int
    pruned: int
    problems: tuple[Problem, ...]


def recorded_signer(entry: Entry, sig_path: Path, revoked: Revocations | None) -> TrustStore:
    """The trust the bundle was imported under: the key whose fingerprint its meta.json records
    (and still none that ``revoked`` lists)."""
    try:
        key = parse_armored(read_capped(sig_path, MAX_SIG)).public_key
    except (SignatureError, DriftctlError) as exc:
        raise BundleRejected(f"malformed signature: {exc}", "signature") from None
    found = fingerprint(key.plain_blob)
    if found != entry.signer:
        raise BundleRejected(f"signed by {found}, imported under signer {entry.signer}", "trust")
    where = str(sig_path.parent / META)
    if key.cert is None:
        line = AllowedSigner(where, entry.site, key, namespaces=NAMESPACE)
    else:
        try:
            ca = parse_public_key(key.cert.ca_blob)
        except WireError as exc:
            raise BundleRejected(f"certificate authority: {exc}", "trust") from None
        line = AllowedSigner(where, entry.site, ca, cert_authority=True, namespaces=NAMESPACE)
    return TrustStore(Path(where), (line,), revoked)


def _verify(entry: Entry, directory: Path, against: Against) -> list[str]:
    """Problems of one stored bundle: signature, archive, manifest, and the copies beside it."""
    bundle = directory / entry.stored_name
    sig = directory / f"{entry.stored_name}.sig"
    try:
        when = datetime.fromisoformat(entry.imported_at.replace("Z", "+00:00"))
    except ValueError:
        return [f"{META}: imported_at {entry.imported_at!r} is not a time"]
    try:
        trust = against.trust or recorded_signer(entry, sig, against.revoked)
        vb = verify_bundle(bundle, trust, sig, when, against.limits)
    except DriftctlError as exc:
        # The problem's path already says which bundle; the error may name it either way.
        return [str(exc).removeprefix(f"{bundle}: ").removeprefix(f"{bundle.name}: ")]
    out = []
    if vb.sha256 != entry.sha256:
        out.append(f"sha256 {vb.sha256} is not the {entry.sha256} recorded at import")
    if (vb.site, vb.seq) != (entry.site, entry.seq):
        out.append(f"the manifest says {vb.site} seq {vb.seq}")
    if vb.prev_sha256 != entry.prev_sha256:
        out.append(f"the manifest's prev_sha256 is not the one in {META}")
    if vb.signer_fingerprint != entry.signer:
        out.append(f"signed by {vb.signer_fingerprint}, imported under {entry.signer}")
    for name in (MANIFEST, SNAPSHOT):
        try:
            copy = read_capped(directory / name, 256 * 1024 * 1024)
        except DriftctlError as exc:
            out.append(str(exc))
            continue
        if copy != vb.members[name]:
            out.append(f"{name} differs from the bundle's member")
    for derived in against.derived:
        try:
            data = read_capped(directory / derived.name, MAX_DERIVED)
        except DriftctlError as exc:
            if (directory / derived.name).exists():  # absent: imported by an older driftctl
                out.append(str(exc))
            continue
        problem = derived.problem(vb, data)
        if problem is not None:
            out.append(f"{derived.name}: {problem}")
    return out


def _ledger_index(
    root: Path, problems: list[Problem]
) -> tuple[dict[tuple[str, int], list[tuple[int, str]]], set[tuple[str, int]]]:
    """Import lines by (site, seq) with their line numbers and sha256; pruned (site, seq)."""
    path = ledger.ledger_path(root)
    imports: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    pruned: set[tuple[str, int]] = set()
    for number, raw in enumerate(ledger.read_lines(path), start=1):
        line = ledger.parse_line(raw)
        if line is None:
            problems.append(Problem(path, f"line {number}: not a JSON object"))
            continue
        site, seq, result = line.get("site"), line.get("seq"), line.get("result")
        removed = line.get("removed")
        if result == "pruned" and isinstance(removed, list):
            for item in removed:
                item_seq = item.get("seq") if isinstance(item, dict) else None
                if isinstance(item_seq, int):
                    pruned.add((str(site), item_seq))
        elif isinstance(result, str) and result.startswith("imported") and isinstance(seq, int):
            imports[(str(site), seq)].append((number, str(line.get("sha256"))))
        else:
            problems.append(Problem(path, f"line {number}: neither an import nor a prune"))
    return imports, pruned


def _check_site(root: Path, site: str, against: Against, problems: list[Problem]) -> list[Entry]:
    base = site_dir(root, site)
    found = []
    for name in sorted(os.listdir(base)):
        path = base / name
        if not SEQ_DIR.fullmatch(name):
            if name != "state.json":
                problems.append(Problem(path, "not part of a store"))
            continue
        try:
            entry = read_entry(path)
        except DriftctlError as exc:
            problems.append(Problem(path / META, str(exc)))
            continue
        found.append(entry)
        files = set(os.listdir(path))
        want = {META}
        if entry.stored:
            want |= {entry.stored_name, f"{entry.stored_name}.sig", MANIFEST, SNAPSHOT}
        for name in sorted(want - files):
            problems.append(Problem(path / name, "missing"))
        # Derived files are optional (an older driftctl wrote none); ``_verify`` checks them.
        optional = {FACTS, *(d.name for d in against.derived)} if entry.stored else set()
        for name in sorted(files - want - optional):
            problems.append(Problem(path / name, "not part of a stored bundle"))
        if entry.stored and want <= files:
            problems += [
                Problem(path / entry.stored_name, m) for m in _verify(entry, path, against)
            ]
    for older, newer in itertools.pairwise(found):
        if newer.seq == older.seq + 1 and newer.prev_sha256 != older.sha256:
            problems.append(
                Problem(
                    base / f"{newer.seq:06d}" / META,
                    f"hash chain broken: prev_sha256 {newer.prev_sha256} is not the sha256 "
                    f"{older.sha256} of seq {older.seq}",
                )
            )
    state = state_from_entries(site, found)
    try:
        current = (base / "state.json").read_bytes()
    except OSError:
        current = b""
    if state is not None and current != state_json(state):
        problems.append(Problem(base / "state.json", "stale: not what the seq directories say"))
    return found


def _ledger_problem(entry: Entry, lines: list[tuple[int, str]]) -> str | None:
    """What is wrong with the ledger's import lines of one stored seq (there must be one)."""
    if not lines:
        return "no ledger line records its import"
    if len(lines) > 1:
        return f"imported on ledger lines {', '.join(str(n) for n, _ in lines)} (expected one)"
    number, sha = lines[0]
    if sha != entry.sha256:
        return f"ledger line {number} records sha256 {sha}, not its {entry.sha256}"
    return None


def check_store(
    root: Path,
    trust: TrustStore | None,
    limits: Limits | None = None,
    revoked: Revocations | None = None,
    derived: Sequence[Derived] = (),
) -> CheckReport:
    """Re-verify everything stored; against ``trust``, else each bundle's recorded signer (and,
    then, ``revoked``: a given trust store carries its own revocation list); each file
    ``derived`` from a bundle (the facts index) against what the verified bundle gives."""
    against = Against(trust, revoked, limits or Limits(), tuple(derived))
    check_root(root, must_exist=True)
    problems: list[Problem] = []
    with shared(root):
        imports, pruned = _ledger_index(root, problems)
        seen: set[tuple[str, int]] = set()
        bundles = gone = 0
        sites = site_names(root)
        for site in sites:
            for entry in _check_site(root, site, against, problems):
                key = (site, entry.seq)
                seen.add(key)
                bundles, gone = bundles + entry.stored, gone + (not entry.stored)
                where = site_dir(root, site) / f"{entry.seq:06d}"
                problem = _ledger_problem(entry, imports.get(key, []))
                if problem:
                    problems.append(Problem(where, problem))
                if entry.stored == (key in pruned):
                    state = "stored" if entry.stored else "pruned"
                    problems.append(Problem(where, f"{state}, but the ledger says otherwise"))
        path = ledger.ledger_path(root)
        for key, lines in sorted(imports.items(), key=str):
            if key not in seen:
                numbers = ", ".join(str(n) for n, _ in lines)
                problems.append(
                    Problem(path, f"line {numbers}: {key[0]} seq {key[1]} is not in the store")
                )
    return CheckReport(len(sites), bundles, gone, tuple(problems))
