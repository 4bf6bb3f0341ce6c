"""Verify a bundle in numbered, fail-closed steps; nothing is trusted before its step passes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from driftctl.bundle import HASH_ALG, NAMESPACE
from driftctl.bundle.hashing import WITNESS_KEY_BYTES, HashWorker, Witness
from driftctl.bundle.manifest import Manifest, ManifestError, load_contents
from driftctl.bundle.reader import ArchiveError, Limits, MemberInfo, read_archive
from driftctl.bundle.signer import fingerprint
from driftctl.bundle.sshsig import SignatureError, parse_armored, verify_digest
from driftctl.bundle.trust import TrustStore, allows_principal, load_trust
from driftctl.errors import BundleRejected, InputError
from driftctl.safeio import NotRegularFile, open_regular
from driftctl.snapshot import Snapshot
from driftctl.strictjson import JsonObject

CHUNK = 4 << 20


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle that passed every step; ``members`` holds the JSON members' bytes only."""

    path: Path
    header: Manifest  # manifest.json, checked
    snapshot: Snapshot
    redaction: JsonObject
    sha256: str
    signer_fingerprint: str
    members: Mapping[str, bytes]
    files: tuple[MemberInfo, ...]

    @property
    def manifest(self) -> JsonObject:
        """``manifest.json`` in its JSON form."""
        return self.header.to_json()

    @property
    def site(self) -> str:
        return self.header.site

    @property
    def seq(self) -> int:
        return self.header.seq

    @property
    def prev_sha256(self) -> str | None:
        return self.header.prev_sha256

    @property
    def collected_at(self) -> str:
        return self.header.collected_at


def open_bundle(bundle: Path) -> tuple[BinaryIO, int]:
    try:
        return open_regular(bundle)
    except NotRegularFile:
        raise InputError(f"{bundle}: not a regular file") from None
    except FileNotFoundError:
        raise InputError(f"{bundle}: no such bundle") from None
    except OSError as exc:
        raise InputError(f"{bundle}: cannot read: {exc.strerror}") from None


def _read_sig(sig: Path, cap: int) -> bytes:
    try:
        fh, _ = open_regular(sig)
        with fh:
            data = fh.read(cap + 1)
    except NotRegularFile:
        raise BundleRejected(f"{sig}: signature is not a regular file", "signature") from None
    except FileNotFoundError:
        raise BundleRejected(f"{sig}: signature file missing", "signature") from None
    except OSError as exc:
        raise BundleRejected(f"{sig}: cannot read signature: {exc.strerror}", "signature") from None
    if len(data) > cap:
        raise BundleRejected(f"{sig}: signature larger than {cap} bytes", "size")
    return data


def _hash_file(fh: BinaryIO, witness: Witness) -> tuple[bytes, str, int]:
    """One pass: sha512 for SSHSIG here, and on a worker thread the sha256 that is the store's
    identity of the bundle and the witness the second pass is checked against."""
    sha512, sha256, worker = hashlib.sha512(), hashlib.sha256(), HashWorker()
    total = 0
    try:
        while chunk := fh.read(CHUNK):
            worker.update(sha256, chunk)
            worker.update(witness, chunk)
            sha512.update(chunk)
            total += len(chunk)
    finally:
        worker.close()
    return sha512.digest(), sha256.hexdigest(), total


def verify_bundle(
    bundle: Path,
    trust: Path | TrustStore,
    sig: Path | None = None,
    now: datetime | None = None,
    limits: Limits | None = None,
) -> VerifiedBundle:
    """Verify ``bundle`` against the ``allowed_signers`` trust store; BundleRejected(msg, step)."""
    limits = limits or Limits()
    store = trust if isinstance(trust, TrustStore) else load_trust(trust)
    sig = sig if sig is not None else Path(f"{bundle}.sig")
    now = now or datetime.now(UTC)
    when = int(now.timestamp())
    name = str(bundle)  # as the user gave it: hout/x.tar.gz, not x.tar.gz
    fh, size = open_bundle(bundle)
    with fh:
        # (1) size caps, before anything is parsed or hashed
        if size > limits.bundle_bytes:
            raise BundleRejected(
                f"{name}: {size} bytes, over the cap of {limits.bundle_bytes}", "size"
            )
        sig_bytes = _read_sig(sig, limits.sig_bytes)
        # (2) parse the signature strictly: armor, magic, version, fields, trailing data, hash
        try:
            signature = parse_armored(sig_bytes)
        except SignatureError as exc:
            raise BundleRejected(f"{sig}: malformed signature: {exc}", "signature") from None
        if signature.namespace != NAMESPACE:
            raise BundleRejected(
                f"{sig}: signature namespace {signature.namespace!r} is not {NAMESPACE!r}",
                "namespace",
            )
        if signature.hash_alg != HASH_ALG:
            raise BundleRejected(
                f"{sig}: hash {signature.hash_alg!r}, expected {HASH_ALG!r}", "signature"
            )
        key = signature.public_key
        signer_fp = fingerprint(key.plain_blob)
        # (3) the signer is not revoked, and is in the trust store for this namespace now
        revoked = store.revocation(key)
        if revoked:
            raise BundleRejected(f"{name}: signer {signer_fp} is revoked: {revoked}", "revoked")
        lines, why = store.candidates(key, NAMESPACE, when)
        if not lines:
            detail = why or f"key {signer_fp} is not in {store.path}"
            raise BundleRejected(f"{name}: signer not trusted: {detail}", "trust")
        # (4) the signature over the raw bytes, stream-hashed. The file is read twice (nothing
        # is parsed before the signature is good), so both reads feed a witness under a key
        # made for this run: bytes changed on disk in between cannot give the same tag.
        secret = os.urandom(WITNESS_KEY_BYTES)
        first = Witness(secret)
        digest512, sha256, hashed = _hash_file(fh, first)
        if hashed != size:
            raise BundleRejected(f"{name}: file changed while reading", "size")
        try:
            verify_digest(signature, digest512, NAMESPACE, HASH_ALG)
        except SignatureError as exc:
            raise BundleRejected(f"{name}: bad signature: {exc}", "signature") from None
        # (5) only now stream-read the archive, with caps; never extracted to disk
        fh.seek(0)
        second = Witness(secret)
        try:
            contents = read_archive(fh, size, limits, second)
        except ArchiveError as exc:
            raise BundleRejected(f"{name}: unsafe archive: {exc}", "archive") from None
        if not Witness.same(first.tag(), second.tag()):
            raise BundleRejected(
                f"{name}: file changed between signature check and reading", "archive"
            )
    # (6) the manifest is plausible and matches the members and their digests exactly;
    # the snapshot is strict JSON within its caps
    try:
        manifest, snapshot, redaction = load_contents(contents, now, limits)
    except ManifestError as exc:
        raise BundleRejected(f"{name}: manifest: {exc}", "manifest") from None
    # (7) the manifest's site is a principal the signer is trusted for
    site = manifest.site
    if not any(allows_principal(line, key, site) for line in lines):
        raise BundleRejected(
            f"{name}: signer {signer_fp} is not trusted for site {site!r} (signer != site)",
            "principal",
        )
    # (8) freshness against the store is the importer's step (driftctl.store)
    return VerifiedBundle(
        bundle,
        manifest,
        snapshot,
        redaction,
        sha256,
        signer_fp,
        dict(contents.data),
        contents.members,
    )
