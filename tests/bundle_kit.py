"""Test helpers for bundles: keys, trust files, and archives with exactly one planted defect."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cli_kit
from snapshot_kit import component, snapshot_dict

from driftctl.bundle import NAMESPACE
from driftctl.bundle.keys import SigningKey, generate_key, load_private_key
from driftctl.bundle.sshsig import sign_digest
from driftctl.bundle.writer import build_members
from driftctl.safeio import dumps_canonical

ROOT = Path(__file__).parent.parent


def driftctl(*args: str, env: dict[str, str] | None = None) -> cli_kit.Result:
    """Run the real CLI in this process (cli_kit.invoke)."""
    return cli_kit.invoke(*args, env=env)


def make_key(base: Path, site: str, passphrase: str | None = None) -> tuple[SigningKey, Path]:
    keys = base / "keys"
    private, _ = generate_key(site, keys, passphrase)
    return load_private_key(private, passphrase), private


def trust_file(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def signer_line(site: str, key: SigningKey, options: str = f'namespaces="{NAMESPACE}"') -> str:
    return f"{site} {options} {key.public_line()}".replace("  ", " ")


def snapshot(
    site: str, collected_at: str = "2026-11-20T10:00:00Z", probe: str | None = None, **sections: Any
) -> dict[str, Any]:
    """A small, complete snapshot (JSON form) with one component; sections may be replaced.

    ``probe`` becomes the parser's ``probe`` attribute (any JSON value is a valid attribute):
    a string for tests to replace in the bytes with a hostile value."""
    extra = {} if probe is None else {"probe": probe}
    sections.setdefault("components", {"parser": component(version="2.0.0", **extra)})
    return snapshot_dict(site, collected_at, **sections)


def members(
    site: str,
    seq: int = 1,
    prev: str | None = None,
    evidence: Sequence[tuple[str, bytes]] = (),
    **snap: Any,
) -> list[tuple[str, bytes]]:
    """Well-formed bundle members (manifest first), as the writer builds them."""
    ev = list(evidence) or [("nodes/n1/nvidia-smi.xml", b"<nvidia_smi_log/>\n")]
    return build_members(snapshot(site, **snap), ev, {"total": 0}, "test", seq, prev)


@dataclass
class Entry:
    """One raw tar entry: anything tarfile can express, including what a bundle must never hold."""

    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""


def raw_targz(entries: Sequence[Entry], trailer: bytes = b"", level: int = 6) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=level) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
            for entry in entries:
                info = tarfile.TarInfo(entry.name)
                info.type = entry.type
                info.linkname = entry.linkname
                info.size = len(entry.data) if entry.type == tarfile.REGTYPE else 0
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(entry.data) if info.size else None)
    return buf.getvalue() + trailer


def manifest_with(items: list[tuple[str, bytes]], **changes: Any) -> list[tuple[str, bytes]]:
    """Rewrite the manifest (first item) with ``changes`` applied to its JSON object."""
    manifest = json.loads(items[0][1])
    manifest.update(changes)
    return [("manifest.json", dumps_canonical(manifest)), *items[1:]]


def relist(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Recompute the manifest's ``files`` from the other items (so only the planted defect remains)."""
    files = [
        {"path": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in items[1:]
    ]
    return manifest_with(items, files=files)


def sign_bytes(data: bytes, key: SigningKey, namespace: str = NAMESPACE) -> bytes:
    return sign_digest(key, hashlib.sha512(data).digest(), namespace)


def write_signed(path: Path, data: bytes, key: SigningKey, namespace: str = NAMESPACE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    Path(f"{path}.sig").write_bytes(sign_bytes(data, key, namespace))
    return path


def bundle_from(items: Sequence[tuple[str, bytes]]) -> bytes:
    return raw_targz([Entry(n, d) for n, d in items])


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content (to prove a store did not change)."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(root.rglob("*"))
    }


def private_key_copy(key: Path, base: Path) -> Path:
    """A 0600 copy of a fixture key (git does not keep file modes) with its .pub beside it."""
    out = base / "keys"
    out.mkdir(exist_ok=True)
    copy = out / key.name
    if not copy.exists():
        shutil.copyfile(key, copy)
        shutil.copyfile(key.with_name(key.name + ".pub"), copy.with_name(key.name + ".pub"))
        copy.chmod(0o600)
    return copy


def extended_header(kind: bytes, payload: bytes) -> bytes:
    """One raw extended header (GNU long name ``L``, PAX ``x``/``g``) and its payload blocks."""
    info = tarfile.TarInfo("././@LongLink" if kind == tarfile.GNUTYPE_LONGNAME else "pax")
    info.type = kind
    info.size = len(payload)
    pad = -len(payload) % tarfile.BLOCKSIZE
    return info.tobuf(tarfile.USTAR_FORMAT) + payload + b"\0" * pad


def pax_record(key: str, value: str) -> bytes:
    """One PAX ``"LEN key=value\\n"`` record, LEN counting itself."""
    body = f" {key}={value}\n".encode()
    size = len(body) + 1
    while len(str(size)) + len(body) != size:
        size += 1
    return str(size).encode() + body


def with_prefix(prefix: bytes, items: Sequence[tuple[str, bytes]]) -> bytes:
    """A tar.gz whose first member (the manifest) is preceded by raw ``prefix`` header blocks."""
    tar = gzip.decompress(bundle_from(items))
    return gzip.compress(prefix + tar, mtime=0)


def replace_member(
    items: list[tuple[str, bytes]], name: str, old: bytes, new: bytes
) -> list[tuple[str, bytes]]:
    """Replace ``old`` (which must occur) by ``new`` in member ``name``; the manifest relisted."""
    out = []
    for item, data in items:
        if item == name:
            assert old in data, (name, old)
            data = data.replace(old, new)
        out.append((item, data))
    return out if name == "manifest.json" else relist(out)
