"""The bundle writer: deterministic bytes, member order and metadata, manifest fields, seq state."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from bundle_kit import make_key, signer_line, snapshot, trust_file

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.verify import verify_bundle
from driftctl.bundle.writer import write_bundle
from driftctl.errors import InputError, OperationalError

SITE = "utility"
EVIDENCE = [
    ("nodes/n2/ntpq.txt", b"ntpq\n"),
    ("kubernetes/version.json", b"{}\n"),
    ("nodes/n1/x.xml", b"<x/>"),
]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("k"), SITE)[0]


def _write(out: Path, key: SigningKey, state: Path | None = None) -> Path:
    return write_bundle(
        out, snapshot(SITE), EVIDENCE, {"total": 1}, key, "9.9", state_dir=state
    ).path


def test_same_inputs_same_bytes(tmp_path: Path, key: SigningKey) -> None:
    a = _write(tmp_path / "a", key)
    b = _write(tmp_path / "b", key)
    assert a.name == b.name == f"{SITE}-000001.tar.gz"
    assert a.read_bytes() == b.read_bytes()
    assert Path(f"{a}.sig").read_bytes() == Path(f"{b}.sig").read_bytes()


def test_archive_layout(tmp_path: Path, key: SigningKey) -> None:
    data = _write(tmp_path, key).read_bytes()
    assert data[:4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no FNAME flag
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        infos = tar.getmembers()
    names = [i.name for i in infos]
    assert names == [
        "manifest.json",
        "snapshot.json",
        "redaction.json",
        "evidence/kubernetes/version.json",
        "evidence/nodes/n1/x.xml",
        "evidence/nodes/n2/ntpq.txt",
    ]
    for info in infos:
        assert (info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode) == (
            0,
            0,
            0,
            "",
            "",
            0o644,
        )
        assert info.type == tarfile.REGTYPE
    assert gzip.decompress(data)  # single well-formed member


def test_manifest_fields(tmp_path: Path, key: SigningKey) -> None:
    first = write_bundle(tmp_path, snapshot(SITE), EVIDENCE, {}, key, "9.9")
    second = write_bundle(tmp_path, snapshot(SITE), EVIDENCE, {}, key, "9.9")
    with tarfile.open(second.path, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert set(manifest) == {
        "schema",
        "site",
        "seq",
        "prev_sha256",
        "collected_at",
        "cluster_uid",
        "collector",
        "files",
    }
    assert manifest["schema"] == "driftctl.bundle/v1"
    assert (manifest["site"], manifest["seq"]) == (SITE, 2)
    assert (
        manifest["prev_sha256"]
        == first.sha256
        == hashlib.sha256(first.path.read_bytes()).hexdigest()
    )
    assert manifest["collected_at"] == "2026-11-20T10:00:00Z"
    assert manifest["cluster_uid"] == f"uid-{SITE}"
    assert manifest["collector"] == {"version": "9.9"}
    assert manifest["files"][0] == {
        "path": "snapshot.json",
        "sha256": hashlib.sha256(
            json.dumps(snapshot(SITE), indent=2, sort_keys=True).encode() + b"\n"
        ).hexdigest(),
        "size": len(json.dumps(snapshot(SITE), indent=2, sort_keys=True)) + 1,
    }


def test_seq_state_is_persisted_and_bundle_verifies(tmp_path: Path, key: SigningKey) -> None:
    state = tmp_path / "state"
    trust = trust_file(tmp_path / "as", [signer_line(SITE, key)])
    for expected in (1, 2, 3):
        written = write_bundle(
            tmp_path / "out", snapshot(SITE), EVIDENCE, {}, key, "1", state_dir=state
        )
        assert written.seq == expected
        assert written.sig_path == Path(f"{written.path}.sig")
        assert verify_bundle(written.path, trust).seq == expected
    saved = json.loads((state / f"{SITE}.json").read_text())
    assert saved["seq"] == 3 and saved["sha256"] == written.sha256


def test_damaged_state_stops_the_writer(tmp_path: Path, key: SigningKey) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / f"{SITE}.json").write_text('{"seq": 4')
    with pytest.raises(OperationalError, match="unreadable sequence state"):
        _write(tmp_path / "out", key, state)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.tar.gz"))


@pytest.mark.parametrize(
    "state_text",
    ['{"seq": 1, "sha256": "zz"}', '{"seq": true, "sha256": null}', '{"seq": 1.0}'],
    ids=["sha256-not-hex", "seq-bool", "seq-float"],
)
def test_invalid_state_stops_the_writer_and_writes_nothing(
    tmp_path: Path, key: SigningKey, state_text: str
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    path = state / f"{SITE}.json"
    path.write_text(state_text)
    with pytest.raises(OperationalError, match=f"{path}: invalid sequence state"):
        _write(tmp_path / "out", key, state)
    assert path.read_text() == state_text
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_lost_state_never_overwrites_a_bundle(tmp_path: Path, key: SigningKey) -> None:
    first = _write(tmp_path, key)
    before = first.read_bytes()
    (tmp_path / ".driftctl-state" / f"{SITE}.json").unlink()
    with pytest.raises(OperationalError, match="already exists"):
        write_bundle(
            tmp_path, snapshot(SITE, collected_at="2026-11-21T00:00:00Z"), EVIDENCE, {}, key, "1"
        )
    assert first.read_bytes() == before
    assert not list(tmp_path.glob(".driftctl-*.tmp"))


def test_bad_evidence_path_is_refused(tmp_path: Path, key: SigningKey) -> None:
    with pytest.raises(InputError, match="not allowed"):
        write_bundle(tmp_path, snapshot(SITE), [("../x", b"")], {}, key, "1")
    assert not list(tmp_path.glob("*.tar.gz"))
