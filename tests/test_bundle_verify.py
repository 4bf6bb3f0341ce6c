"""verify_bundle's two reads of the file, its witness, and the paths its errors name."""

from __future__ import annotations

import hashlib
import io
import os
import random
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cli_kit
import pytest
from bundle_kit import Entry, make_key, raw_targz, sign_bytes, signer_line, snapshot, trust_file

from driftctl.bundle import NAMESPACE
from driftctl.bundle.gunzip import GunzipReader
from driftctl.bundle.hashing import Witness
from driftctl.bundle.keys import SigningKey
from driftctl.bundle.limits import ArchiveError, Limits
from driftctl.bundle.reader import read_archive
from driftctl.bundle.sshsig import sign_digest
from driftctl.bundle.verify import verify_bundle
from driftctl.bundle.writer import write_bundle
from driftctl.errors import BundleRejected

SITE = "savings-bank"


def _bundle(base: Path, key: SigningKey, evidence: bytes) -> Path:
    snap = snapshot(SITE, collected_at="2026-11-11T00:00:00Z")
    evidence_files = [("nodes/n1/nvidia-smi.xml", evidence)]
    return write_bundle(base, snap, evidence_files, {"total": 0}, key, "1").path


def _on_call(code: types.CodeType, action: Callable[[], None]) -> Callable[..., Any]:
    """A profile hook that runs ``action`` once, when ``code`` is entered on this thread."""
    done = False

    def hook(frame: types.FrameType, event: str, arg: object) -> None:
        nonlocal done
        if event == "call" and frame.f_code is code and not done:
            done = True
            action()

    return hook


def test_file_replaced_between_the_two_reads_is_refused(tmp_path: Path) -> None:
    """The signature is checked on the first read, the archive parsed from the second: a file
    rewritten in between, in place and to the same size, with a consistent archive of its own,
    must not verify (it would, with its own manifest and digests, were the reads not tied)."""
    key, _ = make_key(tmp_path, SITE)
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    evidence = random.Random(7).randbytes(3 << 20)
    good = _bundle(tmp_path / "good", key, evidence)
    evil = _bundle(tmp_path / "evil", key, evidence[:-1] + b"!")  # stored deflate blocks
    evil_bytes = evil.read_bytes()
    assert len(evil_bytes) == good.stat().st_size
    assert evil_bytes != good.read_bytes()
    assert verify_bundle(evil, trust).sha256 != verify_bundle(good, trust).sha256

    def rewrite() -> None:
        with good.open("r+b") as fh:  # the same inode, as a writer on the USB stick would
            fh.write(evil_bytes)

    sys.setprofile(_on_call(read_archive.__code__, rewrite))
    try:
        with pytest.raises(BundleRejected) as info:
            verify_bundle(good, trust)
    finally:
        sys.setprofile(None)
    assert info.value.step == "archive"
    assert "file changed between signature check and reading" in str(info.value)
    assert good.read_bytes() == evil_bytes  # the rewrite did happen during verify


def test_witness_same_stream_any_chunking() -> None:
    secret = os.urandom(32)
    data = os.urandom(100_000)
    a, b = Witness(secret), Witness(secret)
    a.update(data)
    for i in range(0, len(data), 4093):
        b.update(memoryview(data)[i : i + 4093])
    assert Witness.same(a.tag(), b.tag())


@pytest.mark.parametrize("change", ["flip", "truncate", "append", "other key"])
def test_witness_tells_streams_apart(change: str) -> None:
    secret = os.urandom(32)
    data = bytearray(os.urandom(10_000))
    first = Witness(secret)
    first.update(bytes(data))
    second = Witness(os.urandom(32) if change == "other key" else secret)
    if change == "flip":
        data[5000] ^= 1
    elif change == "truncate":
        del data[-1]
    elif change == "append":
        data += b"\0"
    second.update(bytes(data))
    assert not Witness.same(first.tag(), second.tag())


def test_reader_members_across_chunks(tmp_path: Path) -> None:
    """Member data is read straight from the gunzip stream in views of its chunks: members
    that span chunks, start mid-chunk and are kept (JSON) or only hashed come out whole."""
    rng = random.Random(3)
    big = rng.randbytes((2 << 20) + 777)
    text = b'{"k": "' + b"x" * ((1 << 20) + 5) + b'"}'
    items = [
        Entry("manifest.json", b"{}"),
        Entry("nodes/n1/a.bin", big),
        Entry("redaction.json", text),
        Entry("nodes/n1/empty", b""),
        Entry("nodes/n1/odd", b"abc"),
    ]
    packed = raw_targz(items, level=1)
    contents = read_archive(io.BytesIO(packed), len(packed), Limits())
    assert [(m.name, m.size, m.sha256) for m in contents.members] == [
        (e.name, len(e.data), hashlib.sha256(e.data).hexdigest()) for e in items
    ]
    assert contents.data == {"manifest.json": b"{}", "redaction.json": text}
    assert contents.compressed_sha256 == hashlib.sha256(packed).hexdigest()


def test_reader_witness_sees_the_compressed_bytes() -> None:
    packed = raw_targz([Entry("manifest.json", b"{}")])
    secret = os.urandom(32)
    expected = Witness(secret)
    expected.update(packed)
    got = Witness(secret)
    contents = read_archive(io.BytesIO(packed), len(packed), Limits(), got)
    assert contents.compressed_sha256 == ""  # the witness took the bytes instead
    assert Witness.same(expected.tag(), got.tag())


def test_gunzip_never_seeks_back() -> None:
    packed = raw_targz([Entry("manifest.json", b"{}")])
    stream = GunzipReader(io.BytesIO(packed), len(packed), Limits())
    assert len(stream.read(600)) == 600
    assert stream.tell() == 600
    with pytest.raises(ArchiveError, match="go back"):
        stream.seek(512)
    assert stream.seek(1024) == 1024  # forward is skipping
    stream.drain(1024)


@pytest.fixture
def relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, SigningKey, Path]:
    """A bundle at the relative path h/y.tar.gz (cwd is tmp_path), its key and trust store."""
    key, _ = make_key(tmp_path, SITE)
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "y.tar.gz").write_bytes(b"x\n")
    monkeypatch.chdir(tmp_path)
    return Path("h/y.tar.gz"), key, trust


def _sig_cases(key: SigningKey) -> dict[str, tuple[bytes, str]]:
    return {
        "malformed": (b"sig\n", "h/y.tar.gz.sig: malformed signature"),
        "namespace": (sign_bytes(b"x\n", key, "file"), "h/y.tar.gz.sig: signature namespace"),
        "hash": (
            sign_digest(key, hashlib.sha256(b"x\n").digest(), NAMESPACE, "sha256"),
            "h/y.tar.gz.sig: hash 'sha256'",
        ),
    }


@pytest.mark.parametrize("case", ["malformed", "namespace", "hash"])
def test_signature_errors_name_the_path_as_given(
    relative: tuple[Path, SigningKey, Path], case: str
) -> None:
    bundle, key, trust = relative
    sig, expected = _sig_cases(key)[case]
    Path(f"{bundle}.sig").write_bytes(sig)
    res = cli_kit.invoke("verify", str(bundle), "--trust", str(trust.resolve()), cwd=Path.cwd())
    assert res.returncode == 4, res.stderr
    assert res.stderr.startswith(f"driftctl: error: {expected}"), res.stderr
    assert len(res.stderr.splitlines()) == 1
