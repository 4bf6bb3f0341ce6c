"""Manifest plausibility: signed by a trusted key, refused at the manifest step, nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bundle_kit import (
    Entry,
    bundle_from,
    make_key,
    manifest_with,
    members,
    raw_targz,
    relist,
    signer_line,
    tree,
    trust_file,
    write_signed,
)

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.trust import load_trust
from driftctl.bundle.verify import verify_bundle
from driftctl.errors import BundleRejected
from driftctl.store.store import Store, import_bundle

SITE = "savings-bank"
pytestmark = pytest.mark.hostile_outputs  # planted defects: the schema sweep leaves them out
NOW = datetime.now(UTC).replace(microsecond=0)


def _at(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("keys"), SITE)[0]


@pytest.fixture
def trust(tmp_path: Path, key: SigningKey) -> Path:
    return trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])


def collected(value: str) -> list[tuple[str, bytes]]:
    """A bundle whose snapshot and manifest both say ``value`` (only the time is odd)."""
    return members(SITE, collected_at=value)


def manifest(**changes: Any) -> list[tuple[str, bytes]]:
    return manifest_with(members(SITE), **changes)


def files_entry(**changes: Any) -> list[tuple[str, bytes]]:
    items = members(SITE)
    files = json.loads(items[0][1])["files"]
    files[0] |= changes
    return manifest_with(items, files=files)


# case -> (members, fragment of the refusal)
REFUSED: dict[str, tuple[Callable[[], list[tuple[str, bytes]]], str]] = {
    "collected-11-minutes-ahead": (
        lambda: collected(_at(timedelta(minutes=11))),
        "more than 10 minutes in the future",
    ),
    "collected-in-year-9999": (
        lambda: collected("9999-12-31T23:59:59Z"),
        "more than 10 minutes in the future",
    ),
    "date-without-time": (lambda: collected("2026-11-29Z"), "is not an RFC 3339 UTC time"),
    "offset-instead-of-utc": (
        lambda: collected("2026-11-29T10:00:00+01:00"),
        "is not an RFC 3339 UTC time",
    ),
    "space-instead-of-T": (lambda: collected("2026-11-29 10:00:00Z"), "is not an RFC 3339"),
    "month-13": (lambda: collected("2026-13-01T00:00:00Z"), "is not a valid time"),
    "trailing-newline-time": (lambda: collected("2026-11-29T10:00:00Z\n"), "RFC 3339"),
    "time-not-a-string": (lambda: manifest(collected_at=1764400000), "RFC 3339"),
    "seq-above-2-53": (lambda: manifest(seq=2**53 + 1), "not an integer from 1 to 2**53"),
    "seq-2-63": (lambda: manifest(seq=2**63), "not an integer from 1 to 2**53"),
    "seq-10-300": (lambda: manifest(seq=10**300), "not an integer from 1 to 2**53"),
    "seq-true": (lambda: manifest(seq=True), "seq True is not an integer"),
    "seq-zero": (lambda: manifest(seq=0), "not an integer from 1"),
    "seq-negative": (lambda: manifest(seq=-1), "not an integer from 1"),
    "seq-float": (lambda: manifest(seq=2.0), "not an integer from 1"),
    "seq-string": (lambda: manifest(seq="2"), "not an integer from 1"),
    "size-true": (lambda: files_entry(size=True), "size True is not a byte count"),
    "size-negative": (lambda: files_entry(size=-1), "is not a byte count"),
    "size-float": (lambda: files_entry(size=10.0), "is not a byte count"),
    "path-trailing-newline": (
        lambda: files_entry(path="snapshot.json\n"),
        "files path 'snapshot.json\\n' is not allowed",
    ),
    "path-control-character": (lambda: files_entry(path="snap\x1bshot.json"), "not allowed"),
    "sha256-trailing-newline": (lambda: files_entry(sha256="a" * 64 + "\n"), "sha256"),
    "site-trailing-newline": (lambda: manifest(site=SITE + "\n"), "is not a valid site id"),
    "prev-trailing-newline": (lambda: manifest(prev_sha256="b" * 64 + "\n"), "prev_sha256"),
    "cluster-uid-escape-sequence": (
        lambda: manifest(cluster_uid="uid\x1b]52;c;ZXZpbA==\x07"),
        "cluster_uid 'uid\\x1b]52;c;ZXZpbA==\\x07' holds control characters",
    ),
    "cluster-uid-trailing-newline": (
        lambda: manifest(cluster_uid="uid\n"),
        "holds control characters",
    ),
    "cluster-uid-c1-control": (lambda: manifest(cluster_uid="uid\x9b31m"), "control"),
    "collector-version-newline": (
        lambda: manifest(collector={"version": "1.0\n"}),
        "collector.version '1.0\\n' holds control characters",
    ),
    "collector-extra-field": (
        lambda: manifest(collector={"version": "1", "x": 1}),
        "collector is not",
    ),
    "snapshot-time-differs": (
        lambda: manifest(collected_at="2026-11-19T10:00:00Z"),
        "snapshot.json collected_at is not the manifest's",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED), ids=sorted(REFUSED))
def test_implausible_manifest_is_refused_before_anything_is_written(
    case: str, tmp_path: Path, key: SigningKey, trust: Path
) -> None:
    build, fragment = REFUSED[case]
    bundle = write_signed(tmp_path / "in" / f"{SITE}-000001.tar.gz", bundle_from(build()), key)
    with pytest.raises(BundleRejected) as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "manifest", str(info.value)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
    store = Store(tmp_path / "store")
    before = tree(store.root)
    with pytest.raises(BundleRejected):
        import_bundle(store, bundle, load_trust(trust))
    assert tree(store.root) == before


ACCEPTED = {
    "collected-9-minutes-ahead": lambda: collected(_at(timedelta(minutes=9))),
    "fractional-seconds": lambda: collected("2026-11-20T10:00:00.123456789Z"),
    "seq-2-53": lambda: manifest(seq=2**53),
    "no-cluster-uid": lambda: manifest(cluster_uid=None),
    "unicode-cluster-uid": lambda: manifest(cluster_uid="클러스터-1"),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED), ids=sorted(ACCEPTED))
def test_plausible_edges_pass(case: str, tmp_path: Path, key: SigningKey, trust: Path) -> None:
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(ACCEPTED[case]()), key)
    assert verify_bundle(bundle, trust).site == SITE


@pytest.mark.parametrize("case", sorted(ACCEPTED), ids=sorted(ACCEPTED))
def test_the_checked_manifest_reads_as_signed(
    case: str, tmp_path: Path, key: SigningKey, trust: Path
) -> None:
    """The typed manifest holds every field as manifest.json has it; its JSON form is that file."""
    items = ACCEPTED[case]()
    vb = verify_bundle(write_signed(tmp_path / "b.tar.gz", bundle_from(items), key), trust)
    signed = json.loads(items[0][1])
    assert vb.manifest == signed
    assert (vb.site, vb.seq, vb.prev_sha256, vb.collected_at) == (
        signed["site"],
        signed["seq"],
        signed["prev_sha256"],
        signed["collected_at"],
    )
    assert (vb.header.cluster_uid, vb.header.collector_version) == (
        signed["cluster_uid"],
        signed["collector"]["version"],
    )
    assert [(f.path, f.size, f.sha256) for f in vb.header.files] == [
        (f["path"], f["size"], f["sha256"]) for f in signed["files"]
    ]


def test_future_is_judged_against_the_verifying_clock(
    tmp_path: Path, key: SigningKey, trust: Path
) -> None:
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(collected(_at(timedelta(0)))), key)
    verify_bundle(bundle, trust, now=NOW - timedelta(minutes=10))
    with pytest.raises(BundleRejected, match="in the future"):
        verify_bundle(bundle, trust, now=NOW - timedelta(minutes=11))


def test_member_name_with_trailing_newline_is_refused_by_the_reader(
    tmp_path: Path, key: SigningKey, trust: Path
) -> None:
    """A ``$``-anchored pattern matches before a final newline: names use fullmatch."""
    items = relist([*members(SITE), ("evidence/x\n", b"x")])
    bundle = write_signed(tmp_path / "b.tar.gz", raw_targz([Entry(n, d) for n, d in items]), key)
    with pytest.raises(BundleRejected, match=r"member name 'evidence/x\\n' is not allowed") as info:
        verify_bundle(bundle, trust)
    assert info.value.step == "archive"
