"""Write a bundle: a deterministic gzip tar (manifest first) and its SSHSIG, published with its seq."""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import re
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from driftctl.bundle import BUNDLE_SCHEMA, MAX_NAME, NAME_RE, NAMESPACE
from driftctl.bundle.fits import check_archive, check_members, check_signature, tar_size
from driftctl.bundle.keys import check_site
from driftctl.bundle.limits import Limits
from driftctl.bundle.sequence import SeqState, locked, read_state, write_state
from driftctl.bundle.signer import Signer
from driftctl.bundle.sshsig import sign_digest
from driftctl.durable import crash_point, fsync_dir
from driftctl.errors import InputError, OperationalError
from driftctl.safeio import dumps_canonical
from driftctl.strictjson import JsonObject, JsonValue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrittenBundle:
    """The two files written and the sequence number they carry."""

    path: Path
    sig_path: Path
    seq: int
    sha256: str


def bundle_name(site: str, seq: int) -> str:
    return f"{site}-{seq:06d}.tar.gz"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    tar.addfile(info, io.BytesIO(data))


def write_archive(fileobj: IO[bytes], members: Sequence[tuple[str, bytes]]) -> None:
    """Deterministic tar.gz of ``members`` in the given order: fixed metadata, gzip mtime 0, no name."""
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=fileobj, mtime=0, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.USTAR_FORMAT) as tar,
    ):
        for name, data in members:
            _add(tar, name, data)


def build_members(
    snapshot: Mapping[str, JsonValue],
    evidence: Sequence[tuple[str, bytes]],
    redaction_report: Mapping[str, JsonValue],
    collector_version: str,
    seq: int,
    prev_sha256: str | None,
) -> list[tuple[str, bytes]]:
    """All members in archive order, ``manifest.json`` first, with the manifest describing the rest."""
    site = check_site(str(snapshot.get("site", "")))
    body = [
        ("snapshot.json", dumps_canonical(snapshot)),
        ("redaction.json", dumps_canonical(redaction_report)),
    ]
    seen: set[str] = set()
    for rel, data in sorted(evidence):
        name = f"evidence/{rel}"
        if not NAME_RE.fullmatch(name) or len(name) > MAX_NAME or name.lower() in seen:
            raise InputError(f"evidence path {rel!r} is not allowed in a bundle")
        seen.add(name.lower())
        body.append((name, data))
    kubernetes = snapshot.get("kubernetes") or {}
    # Plain JSON, not a checked Manifest: the writer records the snapshot's fields as they are;
    # checking them is the verifier's step.
    manifest: JsonObject = {
        "schema": BUNDLE_SCHEMA,
        "site": site,
        "seq": seq,
        "prev_sha256": prev_sha256,
        "collected_at": snapshot.get("collected_at"),
        "cluster_uid": kubernetes.get("cluster_uid") if isinstance(kubernetes, Mapping) else None,
        "collector": {"version": collector_version},
        "files": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in body
        ],
    }
    return [("manifest.json", dumps_canonical(manifest)), *body]


def _temp(final: Path) -> Path:
    """Where ``final`` is written before it is published (same directory, so a hard link works)."""
    return final.with_name(f".driftctl-{final.name}.tmp")


def _link(tmp: Path, final: Path) -> None:
    """Publish ``tmp`` as ``final`` without ever replacing a file that is not the same bundle."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        if final.read_bytes() != tmp.read_bytes():
            raise OperationalError(
                f"{final}: already exists; the sequence state is behind"
            ) from None
    tmp.unlink()


def finish_publication(state: SeqState) -> list[Path]:
    """Roll forward a publication that a crash interrupted after its commit; the paths published.

    Only a temp file that is still there is acted on: a bundle moved away (onto a USB stick)
    after it was published is the normal case, not a loss.
    """
    done = []
    for final in state.published or ():
        tmp = _temp(final)
        if tmp.is_file():
            try:
                _link(tmp, final)
            except OSError as exc:
                raise OperationalError(
                    f"{final}: cannot publish the bundle committed as seq {state.seq}: "
                    f"{exc.strerror}"
                ) from None
            done.append(final)
    if done:
        fsync_dir(done[0].parent)
    return done


def _remove_uncommitted(out_dir: Path, site: str) -> None:
    """Temp files of a collect that died before its commit point: never referenced, removed."""
    pattern = re.compile(rf"\.driftctl-{re.escape(site)}-[0-9]{{6,}}\.tar\.gz(\.sig)?\.tmp")
    if out_dir.is_dir():
        for path in out_dir.iterdir():
            if pattern.fullmatch(path.name) and path.is_file():
                path.unlink(missing_ok=True)


def _write_temps(out_dir: Path, files: Sequence[tuple[Path, bytes]]) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, content in files:
            fd = os.open(_temp(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        fsync_dir(out_dir)
    except OSError as exc:
        for path, _ in files:
            _temp(path).unlink(missing_ok=True)
        raise OperationalError(f"{out_dir}: cannot write bundle: {exc.strerror}") from None


def write_bundle(
    out_dir: Path,
    snapshot: Mapping[str, JsonValue],
    evidence: Sequence[tuple[str, bytes]],
    redaction_report: Mapping[str, JsonValue],
    key: Signer,
    collector_version: str,
    state_dir: Path | None = None,
    limits: Limits | None = None,
) -> WrittenBundle:
    """Write ``SITE-SEQ.tar.gz`` and ``.sig`` in ``out_dir`` and advance the seq as one unit.

    Protocol, under the site's lock (a kill -9 or a full disk at any point is repaired by the
    next collect of the site, see docs/store.md):
      (0) roll forward a publication a crash interrupted; remove uncommitted temp files;
      (1) write both files as ``.driftctl-NAME.tmp`` in ``out_dir``, fsync'd — nothing visible;
      (2) COMMIT: replace the seq state atomically with seq, sha256 and the two final paths;
          a failure here (full ``--state-dir``) removes the temps: nothing was published;
      (3) hard-link the signature, then the bundle, to their final names; remove the temps.
    After (2) the bundle is committed: the next collect finishes (3) before anything else.
    Before (1), the bundle is checked against every cap the importer enforces (``limits``, by
    default the reader's): one it would refuse is an OperationalError naming member and cap.
    """
    limits = limits or Limits()
    site = check_site(str(snapshot.get("site", "")))
    state_dir = state_dir if state_dir is not None else out_dir / ".driftctl-state"
    with locked(state_dir, site):
        state = read_state(state_dir, site)
        for path in finish_publication(state):
            log.warning("%s: published (an interrupted collect had committed it)", path)
        _remove_uncommitted(out_dir, site)
        seq = state.seq + 1
        members = build_members(
            snapshot, evidence, redaction_report, collector_version, seq, state.prev_sha256
        )
        check_members(members, snapshot, limits)
        path = out_dir / bundle_name(site, seq)
        sig_path = Path(f"{path}.sig")
        buf = io.BytesIO()
        write_archive(buf, members)
        data = buf.getvalue()
        check_archive(len(data), tar_size([len(d) for _, d in members]), limits)
        sig = sign_digest(key, hashlib.sha512(data).digest(), NAMESPACE)
        check_signature(len(sig), limits)
        if path.exists() or sig_path.exists():
            raise OperationalError(f"{path}: already exists; the sequence state is behind")
        _write_temps(out_dir, [(path, data), (sig_path, sig)])
        crash_point("collect:written")
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            write_state(state_dir, site, seq, sha256, (path.absolute(), sig_path.absolute()))
        except OperationalError:
            for final in (path, sig_path):
                _temp(final).unlink(missing_ok=True)
            raise
        crash_point("collect:committed")
        try:
            _link(_temp(sig_path), sig_path)
            crash_point("collect:sig-published")
            _link(_temp(path), path)
            crash_point("collect:bundle-published")
            fsync_dir(out_dir)
        except OSError as exc:
            raise OperationalError(
                f"{path}: seq {seq} is committed but not yet published ({exc.strerror}); "
                "the next collect of this site publishes it"
            ) from None
    return WrittenBundle(path, sig_path, seq, sha256)
