"""Read a bundle safely without a trust store and show all it carries for review (UNVERIFIED)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from driftctl.bundle.manifest import ManifestError, load_contents
from driftctl.bundle.reader import ArchiveError, Limits, read_archive
from driftctl.bundle.signer import fingerprint
from driftctl.bundle.sshsig import SignatureError, parse_armored
from driftctl.bundle.verify import open_bundle
from driftctl.errors import BundleRejected
from driftctl.safeio import NotRegularFile, open_regular
from driftctl.snapshot.path import render_segment
from driftctl.strictjson import JsonObject, JsonValue, finite


def _claimed_signer(bundle: Path, limits: Limits) -> str:
    sig = Path(f"{bundle}.sig")
    try:
        fh, _ = open_regular(sig)  # a FIFO must not hang the review
        with fh:
            data = fh.read(limits.sig_bytes + 1)
        parsed = parse_armored(data)
    except FileNotFoundError:
        return "no .sig file"
    except NotRegularFile:
        return "unreadable .sig (not a regular file)"
    except OSError as exc:
        return f"unreadable .sig ({exc.strerror})"
    except SignatureError as exc:
        return f"unreadable .sig ({exc})"
    return f"{fingerprint(parsed.public_key.plain_blob)} namespace {parsed.namespace} (not checked)"


def _utf8(text: str) -> str:
    """A path as UTF-8 text: a non-UTF-8 file name byte becomes ``\\udcff``, never a raw byte."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def inspect_bundle(bundle: Path, limits: Limits) -> JsonObject:
    """Manifest, snapshot summary, failures and redaction counts; the archive is read with all caps."""
    fh, size = open_bundle(bundle)
    with fh:
        if size > limits.bundle_bytes:
            raise BundleRejected(f"{bundle}: {size} bytes, over the cap of {limits.bundle_bytes}")
        try:
            contents = read_archive(fh, size, limits)
        except ArchiveError as exc:
            raise BundleRejected(f"{bundle}: unsafe archive: {exc}", "archive") from None
    try:
        manifest, snapshot, redaction = load_contents(contents, limits=limits)
    except ManifestError as exc:
        raise BundleRejected(f"{bundle}: manifest: {exc}", "manifest") from None
    return {
        "verified": False,
        "bundle": _utf8(str(bundle)),
        "sha256": contents.compressed_sha256,
        "size": size,
        "signature": _claimed_signer(bundle, limits),
        "manifest": manifest.to_json(),
        "summary": {
            "workloads": len(snapshot.workloads),
            "helm": len(snapshot.helm),
            "nodes": len(snapshot.nodes),
            "components": len(snapshot.components),
            "failures": len(snapshot.failures),
        },
        "kubernetes": snapshot.kubernetes.to_dict(),
        "failures": [f.to_dict() for f in snapshot.failures],
        "redaction": {
            k: redaction.get(k) for k in ("mode", "key_id", "total", "by_rule", "dropped")
        },
        "evidence": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in manifest.files],
        "snapshot": snapshot.to_dict(),
    }


def facts(snapshot: JsonValue) -> list[tuple[str, str]]:
    """Every leaf of the snapshot as ``(path, value as JSON)``, in document order: what leaves.

    Keys are written as fact paths are (docs/snapshot.md: quoted where a segment needs it);
    list items as ``[index]``.
    """
    out: list[tuple[str, str]] = []

    def walk(path: str, value: JsonValue) -> None:
        if isinstance(value, Mapping) and value:
            for k, v in value.items():
                walk(path + render_segment(str(k), first=not path), v)
        elif isinstance(value, list) and value:
            for i, v in enumerate(value):
                walk(f"{path}[{i}]", v)
        else:
            out.append((path, json.dumps(finite(value), ensure_ascii=False, sort_keys=True)))

    walk("", snapshot)
    return out
