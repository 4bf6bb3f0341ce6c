"""Read a bundle safely without a trust store and summarise it for a person (UNVERIFIED)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from driftctl.bundle.keys import fingerprint
from driftctl.bundle.manifest import ManifestError, load_contents
from driftctl.bundle.reader import ArchiveError, Limits, read_archive
from driftctl.bundle.sshsig import SignatureError, parse_armored
from driftctl.bundle.verify import open_bundle
from driftctl.errors import BundleRejected
from driftctl.safeio import NotRegularFile, open_regular


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


def _mapping(value: Any) -> Mapping[str, Any]:
    """An unverified bundle may put any JSON anywhere: render what has the expected shape."""
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _utf8(text: str) -> str:
    """A path as UTF-8 text: a non-UTF-8 file name byte becomes ``\\udcff``, never a raw byte."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def inspect_bundle(bundle: Path, limits: Limits) -> dict[str, Any]:
    """Manifest, snapshot summary, failures and redaction counts; the archive is read with all caps."""
    fh, size = open_bundle(bundle)
    with fh:
        if size > limits.bundle_bytes:
            raise BundleRejected(
                f"{bundle.name}: {size} bytes, over the cap of {limits.bundle_bytes}"
            )
        try:
            contents = read_archive(fh, size, limits)
        except ArchiveError as exc:
            raise BundleRejected(f"{bundle.name}: unsafe archive: {exc}", "archive") from None
    try:
        manifest, snapshot, redaction = load_contents(contents, limits=limits)
    except ManifestError as exc:
        raise BundleRejected(f"{bundle.name}: manifest: {exc}", "manifest") from None
    return {
        "verified": False,
        "bundle": _utf8(str(bundle)),
        "sha256": contents.compressed_sha256,
        "size": size,
        "signature": _claimed_signer(bundle, limits),
        "manifest": dict(manifest),
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
    }


def render_table(report: Mapping[str, Any]) -> str:
    """A plain-text view for the site admin's review."""
    m = report["manifest"]
    kube = _mapping(report.get("kubernetes"))
    lines = [
        "UNVERIFIED bundle (signature not checked; run `driftctl verify` with the trust store)",
        f"bundle        {report['bundle']} ({report['size']} bytes)",
        f"sha256        {report['sha256']}",
        f"signature     {report['signature']}",
        f"site          {m['site']}",
        f"seq           {m['seq']}",
        f"prev_sha256   {m['prev_sha256'] or '-'}",
        f"collected_at  {m['collected_at']}",
        f"cluster_uid   {m['cluster_uid'] or '-'}",
        f"kubernetes    {kube.get('server_version', '-')}",
        f"collector     {m['collector']['version']}",
        "snapshot      " + ", ".join(f"{n} {k}" for k, n in report["summary"].items()),
    ]
    red = report["redaction"]
    by_rule = ", ".join(f"{k} {v}" for k, v in _mapping(red.get("by_rule")).items()) or "none"
    lines.append(f"redacted      {red.get('total', 0)} values ({red.get('mode')}): {by_rule}")
    for dropped in _items(red.get("dropped")):
        lines.append(f"  dropped     {dropped}")
    lines.append(f"files         {len(m['files'])}")
    lines += [f"  {f['size']:>10}  {f['sha256'][:16]}  {f['path']}" for f in m["files"]]
    for failure in _items(report["failures"]):
        if isinstance(failure, Mapping):
            lines.append(
                f"failed        {failure.get('target')} ({failure.get('collector')}): {failure.get('error')}"
            )
    return "\n".join(lines)
