"""Hostile bundles: each has exactly one planted defect and must be refused at the right step."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import tarfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bundle_kit import (
    Entry,
    bundle_from,
    extended_header,
    make_key,
    manifest_with,
    members,
    pax_record,
    raw_targz,
    relist,
    replace_member,
    sign_bytes,
    signer_line,
    trust_file,
    with_prefix,
    write_signed,
)
from snapshot_kit import helm_release, workload

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.manifest import ManifestError, load_contents
from driftctl.bundle.reader import ArchiveError, Limits, read_archive
from driftctl.bundle.verify import verify_bundle
from driftctl.errors import BundleRejected

SITE = "savings-bank"
pytestmark = pytest.mark.hostile_outputs  # planted defects: the schema sweep leaves them out


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SigningKey]:
    base = tmp_path_factory.mktemp("keys")
    return {site: make_key(base, site)[0] for site in (SITE, "holding", "stranger")}


@pytest.fixture
def trust(tmp_path: Path, keys: dict[str, SigningKey]) -> Path:
    return trust_file(
        tmp_path / "allowed_signers",
        [signer_line(SITE, keys[SITE]), signer_line("holding", keys["holding"])],
    )


def good() -> list[tuple[str, bytes]]:
    return members(SITE)


def with_item(name: str, data: bytes = b"x\n") -> list[tuple[str, bytes]]:
    return relist([*good(), (name, data)])


def archive(entries: list[Entry]) -> bytes:
    return raw_targz(entries)


def plain(items: list[tuple[str, bytes]]) -> list[Entry]:
    return [Entry(n, d) for n, d in items]


def special(kind: bytes, link: str = "") -> bytes:
    return archive([*plain(good()), Entry("evidence/odd", type=kind, linkname=link)])


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# name -> (archive bytes builder, expected step, expected message fragment)
ARCHIVE_CASES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "path-traversal": (
        lambda: bundle_from(with_item("evidence/../../etc/passwd")),
        "archive",
        "not allowed",
    ),
    "absolute-name": (lambda: bundle_from(with_item("/etc/passwd")), "archive", "not allowed"),
    "dot-segment": (lambda: bundle_from(with_item("evidence/./x")), "archive", "not allowed"),
    "backslash-name": (lambda: bundle_from(with_item("evidence\\x")), "archive", "not allowed"),
    "symlink": (lambda: special(tarfile.SYMTYPE, "/etc/passwd"), "archive", "symlink"),
    "hardlink": (lambda: special(tarfile.LNKTYPE, "snapshot.json"), "archive", "hard link"),
    "char-device": (lambda: special(tarfile.CHRTYPE), "archive", "character device"),
    "block-device": (lambda: special(tarfile.BLKTYPE), "archive", "block device"),
    "fifo": (lambda: special(tarfile.FIFOTYPE), "archive", "fifo"),
    "duplicate-name": (
        lambda: archive([*plain(good()), Entry("snapshot.json", good()[1][1])]),
        "archive",
        "duplicate member 'snapshot.json'",
    ),
    "duplicate-name-case": (
        lambda: archive([*plain(good()), Entry("Snapshot.json", b"{}")]),
        "archive",
        "differs only in case",
    ),
    "manifest-not-first": (
        lambda: archive(plain(good())[1:] + plain(good())[:1]),
        "archive",
        "expected 'manifest.json'",
    ),
    "member-not-in-manifest": (
        lambda: archive([*plain(good()), Entry("evidence/smuggled.txt", b"hi")]),
        "manifest",
        "'evidence/smuggled.txt' is not in the manifest",
    ),
    "member-missing": (
        lambda: bundle_from(good()[:-1]),
        "manifest",
        "archive lacks it",
    ),
    "digest-mismatch": (
        lambda: bundle_from([*good()[:-1], (good()[-1][0], b"<tampered/>\n")]),
        "manifest",
        "does not match its manifest digest",
    ),
    "duplicate-json-key": (
        lambda: bundle_from(
            [
                (
                    "manifest.json",
                    good()[0][1].replace(b'"schema"', b'"site": "holding",\n  "schema"'),
                ),
                *good()[1:],
            ]
        ),
        "manifest",
        "duplicate key 'site'",
    ),
    "deep-nesting": (
        lambda: bundle_from(relist([*good()[:1], ("snapshot.json", nested(5000)), *good()[2:]])),
        "manifest",
        "nested",
    ),
    "manifest-unknown-field": (
        lambda: bundle_from(manifest_with(good(), extra=1)),
        "manifest",
        "unknown ['extra']",
    ),
    "manifest-bad-schema": (
        lambda: bundle_from(manifest_with(good(), schema="driftctl.bundle/v9")),
        "manifest",
        "schema",
    ),
    "truncated-but-signed": (lambda: bundle_from(good())[:-20], "archive", "truncated"),
    "data-after-gzip": (
        lambda: bundle_from(good()) + b"junk",
        "archive",
        "after the end of the gzip",
    ),
    "data-after-tar-end": (
        lambda: gzip.compress(gzip.decompress(bundle_from(good())) + b"\x01" * 512, mtime=0),
        "archive",
        "after the end of the tar",
    ),
    "not-gzip": (lambda: b"PK\x03\x04 not a tarball at all", "archive", "corrupt gzip"),
    "gzip-bomb-ratio": (
        lambda: raw_targz([*plain(good()), Entry("evidence/zeros", b"\0" * (20 << 20))], level=9),
        "archive",
        "compression ratio exceeds 100:1",
    ),
}


@pytest.mark.parametrize("case", sorted(ARCHIVE_CASES), ids=sorted(ARCHIVE_CASES))
def test_hostile_archive_is_rejected(
    case: str, tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    build, step, fragment = ARCHIVE_CASES[case]
    bundle = write_signed(tmp_path / f"{SITE}-000001.tar.gz", build(), keys[SITE])
    with pytest.raises(BundleRejected) as info:
        verify_bundle(bundle, trust)
    assert info.value.step == step, str(info.value)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
    assert bundle.name in str(info.value)


LIMIT_CASES = {
    "gzip-bomb-total": (
        Limits(total_bytes=4 << 20, ratio=10**9),
        [Entry("evidence/zeros", b"\0" * (8 << 20))],
        "decompressed size exceeds the cap",
    ),
    "oversized-member": (
        Limits(member_bytes=1000),
        [Entry("evidence/big", b"a" * 1001)],
        "over the cap of 1000",
    ),
    "too-many-members": (
        Limits(members=5),
        [Entry(f"evidence/f{i}", b"x") for i in range(5)],
        "more than 5 members",
    ),
    "oversized-bundle": (Limits(bundle_bytes=100), [], "over the cap of 100"),
}


@pytest.mark.parametrize("case", sorted(LIMIT_CASES), ids=sorted(LIMIT_CASES))
def test_caps_are_enforced(
    case: str, tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    limits, extra, fragment = LIMIT_CASES[case]
    items = relist([*good(), *((e.name, e.data) for e in extra)])
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(items), keys[SITE])
    verify_bundle(bundle, trust, limits=Limits(ratio=10**9))  # only the cap is the defect
    with pytest.raises(BundleRejected, match=fragment):
        verify_bundle(bundle, trust, limits=limits)


def test_sparse_member_is_rejected(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    data = archive([*plain(good()), Entry("evidence/sparse", type=tarfile.GNUTYPE_SPARSE)])
    bundle = write_signed(tmp_path / "b.tar.gz", data, keys[SITE])
    with pytest.raises(BundleRejected, match="sparse") as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "archive"


def _signed_good(tmp_path: Path, key: SigningKey, **kw: str) -> Path:
    return write_signed(tmp_path / f"{SITE}-000001.tar.gz", bundle_from(good()), key, **kw)


def test_truncated_file_fails_the_signature(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    bundle = _signed_good(tmp_path, keys[SITE])
    bundle.write_bytes(bundle.read_bytes()[:-100])
    with pytest.raises(BundleRejected, match="bad signature") as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "signature"


def test_one_flipped_byte_fails_the_signature(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    bundle = _signed_good(tmp_path, keys[SITE])
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 1
    bundle.write_bytes(bytes(data))
    with pytest.raises(BundleRejected, match="signature does not match"):
        verify_bundle(bundle, trust)


def test_missing_sig(tmp_path: Path, keys: dict[str, SigningKey], trust: Path) -> None:
    bundle = _signed_good(tmp_path, keys[SITE])
    Path(f"{bundle}.sig").unlink()
    with pytest.raises(BundleRejected, match="signature file missing"):
        verify_bundle(bundle, trust)


def _garble(sig: bytes) -> dict[str, bytes]:
    body = sig.split(b"\n")
    return {
        "random-bytes": b"\x00\xffnot a signature",
        "no-header": b"\n".join(body[1:]),
        "no-footer": b"\n".join(body[:-2]) + b"\n",
        "bad-base64": sig.replace(body[1][:8], b"!!!!!!!!"),
        "after-footer": sig + b"extra\n",
        "oversized": sig + b"\n" * (17 * 1024),
    }


GARBLED = ["random-bytes", "no-header", "no-footer", "bad-base64", "after-footer", "oversized"]


@pytest.mark.parametrize("how", GARBLED, ids=GARBLED)
def test_garbled_sig(how: str, tmp_path: Path, keys: dict[str, SigningKey], trust: Path) -> None:
    bundle = _signed_good(tmp_path, keys[SITE])
    sig = Path(f"{bundle}.sig")
    sig.write_bytes(_garble(sig.read_bytes())[how])
    with pytest.raises(BundleRejected) as info:
        verify_bundle(bundle, trust)
    assert info.value.step in ("signature", "size"), str(info.value)


def test_sig_namespace_other_than_bundle(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    bundle = _signed_good(tmp_path, keys[SITE], namespace="file")
    with pytest.raises(BundleRejected, match="namespace 'file' is not 'bundle@driftctl'"):
        verify_bundle(bundle, trust)


def test_trust_line_namespace_excludes_bundles(tmp_path: Path, keys: dict[str, SigningKey]) -> None:
    trust = trust_file(tmp_path / "as", [signer_line(SITE, keys[SITE], 'namespaces="git,file"')])
    bundle = _signed_good(tmp_path, keys[SITE])
    with pytest.raises(BundleRejected, match="not permitted for namespace") as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "trust"


def _window(after: datetime | None, before: datetime | None) -> str:
    opts = ['namespaces="bundle@driftctl"']
    if after:
        opts.append(f'valid-after="{after:%Y%m%d%H%M%S}Z"')
    if before:
        opts.append(f'valid-before="{before:%Y%m%d%H%M%S}Z"')
    return ",".join(opts)


NOW = datetime.now(UTC)
WINDOWS = {
    "not-yet-valid": (NOW + timedelta(days=1), None, "not yet valid"),
    "expired": (None, NOW - timedelta(days=1), "expired"),
}


@pytest.mark.parametrize("case", sorted(WINDOWS), ids=sorted(WINDOWS))
def test_key_outside_validity_window(
    case: str, tmp_path: Path, keys: dict[str, SigningKey]
) -> None:
    after, before, fragment = WINDOWS[case]
    trust = trust_file(tmp_path / "as", [signer_line(SITE, keys[SITE], _window(after, before))])
    bundle = _signed_good(tmp_path, keys[SITE])
    with pytest.raises(BundleRejected, match=fragment):
        verify_bundle(bundle, trust)
    inside = NOW + timedelta(days=2) if after else NOW - timedelta(days=2)
    assert verify_bundle(bundle, trust, now=inside).seq == 1  # the window is the only defect


def test_unknown_key(tmp_path: Path, keys: dict[str, SigningKey], trust: Path) -> None:
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(good()), keys["stranger"])
    with pytest.raises(BundleRejected, match=r"signer not trusted.*is not in") as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "trust"


def test_other_sites_key_cannot_sign_for_this_site(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(good()), keys["holding"])
    with pytest.raises(BundleRejected, match="not trusted for site 'savings-bank'") as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "principal"


def test_sig_from_another_bundle_does_not_verify(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    one = bundle_from(members(SITE, seq=1))
    two = bundle_from(members(SITE, seq=2, prev=hashlib.sha256(one).hexdigest()))
    bundle = write_signed(tmp_path / "b.tar.gz", two, keys[SITE])
    Path(f"{bundle}.sig").write_bytes(sign_bytes(one, keys[SITE]))
    with pytest.raises(BundleRejected, match="bad signature"):
        verify_bundle(bundle, trust)


def test_the_good_bundle_passes(tmp_path: Path, keys: dict[str, SigningKey], trust: Path) -> None:
    """The baseline every hostile case departs from: without the defect it verifies."""
    vb = verify_bundle(_signed_good(tmp_path, keys[SITE]), trust)
    assert (vb.site, vb.seq) == (SITE, 1)
    assert [f.name for f in vb.files] == [n for n, _ in good()]
    assert set(vb.members) == {"manifest.json", "snapshot.json", "redaction.json"}


# --- tar headers that made tarfile recurse, allocate or raise outside TarError -------------

GNU_NAME = tarfile.GNUTYPE_LONGNAME


def _chain(kind: bytes, count: int, payload: bytes) -> bytes:
    return with_prefix(extended_header(kind, payload) * count, good())


def _pax(*records: tuple[str, str]) -> bytes:
    return with_prefix(
        extended_header(tarfile.XHDTYPE, b"".join(pax_record(k, v) for k, v in records)), good()
    )


def _bad_second_header() -> bytes:
    tar = bytearray(gzip.decompress(bundle_from(good())))
    second = 512 + -(-len(good()[0][1]) // 512) * 512  # after the manifest's header and data
    tar[second + 10] ^= 0xFF  # inside the name: the checksum no longer matches
    return gzip.compress(bytes(tar), mtime=0)


HEADER_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "gnu-long-name-chain-2000": (
        lambda: _chain(GNU_NAME, 2000, b"manifest.json\0"),
        "more than 4 chained extended tar headers",
    ),
    "pax-header-chain-2000": (
        lambda: _chain(tarfile.XHDTYPE, 2000, pax_record("comment", "x")),
        "more than 4 chained extended tar headers",
    ),
    "pax-global-header-chain-2000": (
        lambda: _chain(tarfile.XGLTYPE, 2000, pax_record("comment", "x")),
        "more than 4 chained extended tar headers",
    ),
    "gnu-long-name-of-1-mib": (
        lambda: _chain(GNU_NAME, 1, b"m" * (1 << 20) + b"\0"),
        "extended tar header of 1048577 bytes, over the cap of 16384",
    ),
    "pax-sparse-map-malformed": (
        lambda: _pax(("GNU.sparse.map", "0,512,x")),
        "a header field that cannot be read (ValueError)",
    ),
    "pax-sparse-1.0-realsize-malformed": (
        lambda: _pax(
            ("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.realsize", "z")
        ),
        "a header field that cannot be read (ValueError)",
    ),
    # tarfile takes a bad header after the first for the end of the archive: what follows
    # is then data after the end, never silently dropped
    "bad-checksum-in-second-header": (_bad_second_header, "data after the end of the tar"),
}


@pytest.mark.parametrize("case", sorted(HEADER_CASES), ids=sorted(HEADER_CASES))
def test_hostile_tar_headers_are_one_archive_rejection(
    case: str, tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    """Signed with a trusted key, so the bytes reach the reader: exit 4, one line, the name."""
    build, fragment = HEADER_CASES[case]
    bundle = write_signed(tmp_path / f"{SITE}-000001.tar.gz", build(), keys[SITE])
    with pytest.raises(BundleRejected) as info:
        verify_bundle(bundle, trust)
    message = str(info.value)
    assert (info.value.step, str(bundle)) == ("archive", message.split(": ")[0]), message
    assert fragment in message
    assert "\n" not in message and len(message) < 400
    assert "invalid literal" not in message  # Python's wording stays out


def test_a_few_extended_headers_are_still_read(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    """Another tar re-packing a bundle may add long-name or PAX headers: up to the cap they
    are fine (the bound is on chains, not on the format)."""
    data = with_prefix(
        extended_header(tarfile.XGLTYPE, pax_record("comment", "repacked"))
        + extended_header(GNU_NAME, b"manifest.json\0") * 3,
        good(),
    )
    bundle = write_signed(tmp_path / "b.tar.gz", data, keys[SITE])
    assert verify_bundle(bundle, trust).seq == 1


def test_mutated_headers_never_escape_as_other_errors() -> None:
    """400 seeded random mutations of header blocks (checksum fixed up or not): every outcome
    is an accepted archive or an ArchiveError/ManifestError, never another exception."""
    tar = gzip.decompress(bundle_from(good()))
    starts = [
        0,
        *(
            512 * i
            for i in range(1, len(tar) // 512)
            if tar[512 * i + 257 : 512 * i + 262] == b"ustar"
        ),
    ]
    rng = random.Random(20261130)
    outcomes: Counter[str] = Counter()
    for _ in range(400):
        data = bytearray(tar)
        start = rng.choice(starts)
        for _ in range(rng.randint(1, 6)):
            data[start + rng.randrange(512)] = rng.randrange(256)
        if rng.random() < 0.7:  # a valid checksum, so the mutation reaches the field parsers
            block = data[start : start + 512]
            block[148:156] = b" " * 8
            data[start + 148 : start + 156] = b"%06o\0 " % sum(block)
        packed = gzip.compress(bytes(data), mtime=0)
        try:
            load_contents(read_archive(io.BytesIO(packed), len(packed), Limits()))
            outcomes["read"] += 1
        except (ArchiveError, ManifestError):
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100, outcomes


# --- strict JSON in snapshot.json and manifest.json ------------------------------------------

PROBE = b'"@@probe@@"'


def _snapshot_probe(raw: bytes) -> bytes:
    return bundle_from(
        replace_member(members(SITE, probe="@@probe@@"), "snapshot.json", PROBE, raw)
    )


def _manifest_raw(old: bytes, new: bytes) -> bytes:
    return bundle_from(replace_member(good(), "manifest.json", old, new))


JSON_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "snapshot-1e400": (lambda: _snapshot_probe(b"1e400"), "number 1e400 is out of range"),
    "snapshot-minus-1e400": (lambda: _snapshot_probe(b"-1e400"), "number -1e400 is out of"),
    "snapshot-NaN": (lambda: _snapshot_probe(b"NaN"), "NaN is not JSON"),
    "snapshot-Infinity": (lambda: _snapshot_probe(b"[Infinity]"), "Infinity is not JSON"),
    "snapshot-lone-surrogate": (
        lambda: _snapshot_probe(b'"a\\ud800b"'),
        "string 'a\\ud800b' holds a lone surrogate",
    ),
    "snapshot-lone-low-surrogate-key": (
        lambda: _snapshot_probe(b'{"\\udfff": 1}'),
        "key '\\udfff' holds a lone surrogate",
    ),
    "snapshot-duplicate-key": (
        lambda: _snapshot_probe(b'{"a": "EVIL", "a": "SAME"}'),
        "duplicate key 'a'",
    ),
    "snapshot-integer-of-5000-digits": (
        lambda: _snapshot_probe(b"9" * 5000),
        "integer of 5000 digits (more than 4300)",
    ),
    "manifest-seq-1e400": (lambda: _manifest_raw(b'"seq": 1', b'"seq": 1e400'), "out of range"),
    "manifest-surrogate": (
        lambda: _manifest_raw(b'"collector": {', b'"collector": {"\\ud800": 1, '),
        "lone surrogate",
    ),
    "redaction-NaN": (
        lambda: bundle_from(
            replace_member(good(), "redaction.json", b'"total": 0', b'"total": NaN')
        ),
        "NaN is not JSON",
    ),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES), ids=sorted(JSON_CASES))
def test_non_json_values_are_refused_at_the_manifest_step(
    case: str, tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    build, fragment = JSON_CASES[case]
    bundle = write_signed(tmp_path / f"{SITE}-000001.tar.gz", build(), keys[SITE])
    with pytest.raises(BundleRejected) as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "manifest", str(info.value)
    assert fragment in str(info.value)
    str(info.value).encode("utf-8")  # printable: no surrogate reaches the message


def test_the_probe_itself_is_harmless(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    bundle = write_signed(tmp_path / "b.tar.gz", _snapshot_probe(b'"\\ud83d\\ude00"'), keys[SITE])
    snapshot = verify_bundle(bundle, trust).snapshot
    assert snapshot.components["parser"].get("probe") == "\U0001f600"  # a valid pair


# --- caps on facts per snapshot --------------------------------------------------------------


def _workloads(count: int) -> dict[str, Any]:
    """Empty workload objects: cheap, and the cap refuses them before the model would."""
    return {f"ns/Deployment/w{i}": {} for i in range(count)}


CAP_CASES = {
    "values": (
        Limits(snapshot_values=500),
        {"helm": {"ns/r": helm_release({f"k{i}": i for i in range(600)})}},
        "snapshot.json: more than 500 JSON values",
    ),
    "workloads": (
        Limits(snapshot_workloads=10),
        {"workloads": {f"ns/Deployment/w{i}": workload() for i in range(11)}},
        "snapshot.json holds 11 workloads, over the cap of 10",
    ),
}


@pytest.mark.parametrize("case", sorted(CAP_CASES), ids=sorted(CAP_CASES))
def test_fact_caps(case: str, tmp_path: Path, keys: dict[str, SigningKey], trust: Path) -> None:
    limits, extra, fragment = CAP_CASES[case]
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(members(SITE, **extra)), keys[SITE])
    verify_bundle(bundle, trust)  # under the default caps it is fine: the cap is the defect
    with pytest.raises(BundleRejected, match=fragment) as info:
        verify_bundle(bundle, trust, limits=limits)
    assert info.value.step == "manifest"


def test_over_the_default_workload_cap_is_refused_before_the_full_walk(
    tmp_path: Path, keys: dict[str, SigningKey], trust: Path
) -> None:
    """One workload over the default cap (200,000 empty workloads: few values, so only the
    workload cap catches it). The audit's 10^6-workload bundle is timed in
    tests/bench/bench_bundle_caps.py."""
    count = Limits().snapshot_workloads + 1
    bundle = write_signed(
        tmp_path / "b.tar.gz", bundle_from(members(SITE, workloads=_workloads(count))), keys[SITE]
    )
    with pytest.raises(BundleRejected, match=f"{count} workloads, over the cap of {count - 1}"):
        verify_bundle(bundle, trust)
