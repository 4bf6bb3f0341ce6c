"""Write a bundle: a deterministic gzip tar (manifest first) and its SSHSIG, then advance ``seq``."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from driftctl.bundle import BUNDLE_SCHEMA, NAMESPACE
from driftctl.bundle.keys import Signer, check_site
from driftctl.bundle.sequence import locked, read_state, write_state
from driftctl.bundle.sshsig import sign_digest
from driftctl.dump_layout import COMPONENT
from driftctl.errors import InputError, OperationalError
from driftctl.safeio import dumps_canonical

NAME_RE = re.compile(rf"^{COMPONENT}(/{COMPONENT}){{0,7}}$")
MAX_NAME = 255


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
    snapshot: Mapping[str, Any],
    evidence: Sequence[tuple[str, bytes]],
    redaction_report: Mapping[str, Any],
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
    manifest = {
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


def _publish(tmp: Path, final: Path) -> None:
    """Move ``tmp`` to ``final`` without ever replacing an existing file."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise OperationalError(f"{final}: already exists; the sequence state is behind") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bundle(
    out_dir: Path,
    snapshot: Mapping[str, Any],
    evidence: Sequence[tuple[str, bytes]],
    redaction_report: Mapping[str, Any],
    key: Signer,
    collector_version: str,
    state_dir: Path | None = None,
) -> WrittenBundle:
    """Write ``SITE-SEQ.tar.gz`` and ``.sig`` in ``out_dir``; the seq advances only after both exist."""
    site = check_site(str(snapshot.get("site", "")))
    state_dir = state_dir if state_dir is not None else out_dir / ".driftctl-state"
    with locked(state_dir, site):
        state = read_state(state_dir, site)
        seq = state.seq + 1
        members = build_members(
            snapshot, evidence, redaction_report, collector_version, seq, state.prev_sha256
        )
        path = out_dir / bundle_name(site, seq)
        sig_path = Path(f"{path}.sig")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            write_archive(buf, members)
            data = buf.getvalue()
            sig = sign_digest(key, hashlib.sha512(data).digest(), NAMESPACE)
            tmps = []
            for content in (data, sig):
                fd, tmp = tempfile.mkstemp(prefix=".driftctl-", suffix=".tmp", dir=out_dir)
                tmps.append(Path(tmp))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(content)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o644)
            if path.exists() or sig_path.exists():
                for tmp_path in tmps:
                    tmp_path.unlink(missing_ok=True)
                raise OperationalError(f"{path}: already exists; the sequence state is behind")
            _publish(tmps[1], sig_path)
            _publish(tmps[0], path)
        except OSError as exc:
            raise OperationalError(f"{out_dir}: cannot write bundle: {exc.strerror}") from None
        sha256 = hashlib.sha256(data).hexdigest()
        write_state(state_dir, site, seq, sha256)
    return WrittenBundle(path, sig_path, seq, sha256)
