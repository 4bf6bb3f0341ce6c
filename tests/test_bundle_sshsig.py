"""SSHSIG interop with the real ssh-keygen: byte-identical signatures, verified both ways."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest
from bundle_kit import bundle_from, make_key, members, signer_line, trust_file, write_signed

from driftctl.bundle import NAMESPACE
from driftctl.bundle.keys import SigningKey, load_private_key
from driftctl.bundle.sshsig import (
    SignatureError,
    armor,
    dearmor,
    parse_armored,
    parse_blob,
    sign,
    verify_digest,
)
from driftctl.bundle.verify import verify_bundle
from driftctl.bundle.wire import string, uint32
from driftctl.errors import BundleRejected

SITE = "savings-bank"


def keygen(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True, timeout=30)


@pytest.fixture
def openssh_key(tmp_path: Path) -> Path:
    """A passphrase-protected key made by ssh-keygen itself."""
    path = tmp_path / "site_key"
    assert (
        keygen("-q", "-t", "ed25519", "-N", "pass", "-C", "site", "-f", str(path)).returncode == 0
    )
    return path


SIZES = [0, 1, 70, 5000, 1 << 20]


@pytest.mark.parametrize("size", SIZES, ids=[f"{s}-bytes" for s in SIZES])
def test_signature_is_byte_identical_to_ssh_keygen(
    tmp_path: Path, openssh_key: Path, size: int
) -> None:
    message = hashlib.shake_256(b"m").digest(size) if size else b""
    ours = sign(load_private_key(openssh_key, "pass"), message, NAMESPACE)
    res = keygen("-Y", "sign", "-f", str(openssh_key), "-P", "pass", "-n", NAMESPACE, stdin=message)
    assert res.returncode == 0, res.stderr
    assert ours == res.stdout
    lines = ours.decode().splitlines()
    assert (
        lines[0] == "-----BEGIN SSH SIGNATURE-----" and lines[-1] == "-----END SSH SIGNATURE-----"
    )
    assert {len(line) for line in lines[1:-2]} == {70}


def test_ssh_keygen_verifies_our_bundle_and_we_verify_theirs(tmp_path: Path) -> None:
    key, private = make_key(tmp_path, SITE)
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    data = bundle_from(members(SITE))
    ours = write_signed(tmp_path / "ours.tar.gz", data, key)
    res = keygen(
        "-Y",
        "verify",
        "-f",
        str(trust),
        "-I",
        SITE,
        "-n",
        NAMESPACE,
        "-s",
        f"{ours}.sig",
        stdin=data,
    )
    assert res.returncode == 0, res.stderr
    assert f'Good "{NAMESPACE}" signature for {SITE}' in res.stdout.decode()
    assert key.fingerprint() in res.stdout.decode()
    theirs = tmp_path / "theirs.tar.gz"
    theirs.write_bytes(data)
    res = keygen("-Y", "sign", "-f", str(private), "-n", NAMESPACE, str(theirs))
    assert res.returncode == 0, res.stderr
    assert verify_bundle(theirs, trust).signer_fingerprint == key.fingerprint()


def test_a_tampered_bundle_fails_ssh_keygen_too(tmp_path: Path) -> None:
    key, _ = make_key(tmp_path, SITE)
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(members(SITE)), key)
    data = bundle.read_bytes()
    tampered = data[:-1] + bytes([data[-1] ^ 1])
    res = keygen(
        "-Y",
        "verify",
        "-f",
        str(trust),
        "-I",
        SITE,
        "-n",
        NAMESPACE,
        "-s",
        f"{bundle}.sig",
        stdin=tampered,
    )
    assert res.returncode == 255


def _blob(
    version: int = 1, ns: bytes = NAMESPACE.encode(), alg: bytes = b"sha512", tail: bytes = b""
) -> bytes:
    real = parse_armored(sign(load_key_cached(), b"x", NAMESPACE))
    sig = string(b"ssh-ed25519") + string(real.sig)
    key = load_key_cached().public_blob
    return (
        b"SSHSIG"
        + uint32(version)
        + string(key)
        + string(ns)
        + string(b"")
        + string(alg)
        + string(sig)
        + tail
    )


_KEY: list[SigningKey] = []


def load_key_cached() -> SigningKey:
    if not _KEY:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from driftctl.bundle.keys import _from_private

        _KEY.append(_from_private(Ed25519PrivateKey.generate(), "t"))
    return _KEY[0]


STRICT = {
    "version-2": (_blob(version=2), "unsupported SSHSIG version 2"),
    "version-0": (_blob(version=0), "unsupported SSHSIG version 0"),
    "trailing-data": (_blob(tail=b"\0"), "trailing data"),
    "sha1": (_blob(alg=b"sha1"), "unsupported hash algorithm 'sha1'"),
    "empty-namespace": (_blob(ns=b""), "empty namespace"),
    "bad-magic": (b"SSHSIX" + _blob()[6:], "bad magic"),
    "truncated": (_blob()[:-5], "truncated"),
}


@pytest.mark.parametrize("case", sorted(STRICT), ids=sorted(STRICT))
def test_parser_is_strict(case: str) -> None:
    blob, fragment = STRICT[case]
    with pytest.raises(SignatureError, match=fragment):
        parse_blob(blob)
    assert parse_blob(_blob()).namespace == NAMESPACE


def test_armor_roundtrips() -> None:
    blob = _blob()
    assert dearmor(armor(blob)) == blob


def _armor_variants(sig: bytes) -> dict[str, bytes]:
    """One change each to a real ``ssh-keygen -Y sign`` armor."""
    lines = sig.split(b"\n")
    last = lines[-3]  # the last base64 line, with its padding
    bare = last.rstrip(b"=")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    bumped = alphabet[alphabet.index(bare[-1:]) + 1 :][:1]  # sets a spare bit
    return {
        "as-written": sig,
        "trailing-blank-lines": sig + b"\n\n\n",
        "trailing-spaces": sig + b"  \t \n",
        "no-final-newline": sig[:-1],
        "crlf-everywhere": sig.replace(b"\n", b"\r\n"),
        "crlf-after-header": lines[0] + b"\r\n" + b"\n".join(lines[1:]),
        "crlf-in-body-only": lines[0] + b"\n" + b"\r\n".join(lines[1:]),
        "space-in-base64": sig.replace(lines[1], lines[1][:10] + b" " + lines[1][10:]),
        "blank-line-in-base64": sig.replace(lines[1] + b"\n", lines[1] + b"\n\n"),
        "base64-on-one-line": lines[0] + b"\n" + b"".join(lines[1:-2]) + b"\n" + lines[-2],
        "blank-line-before-header": b"\n" + sig,
        "space-after-header": sig.replace(b"SIGNATURE-----\n", b"SIGNATURE----- \n", 1),
        "padding-missing": sig.replace(last, bare),
        "spare-bits-set": sig.replace(last, bare[:-1] + bumped + last[len(bare) :]),
        "text-after-footer": sig + b"garbage\n",
        "nul-after-footer": sig + b"\0",
        "footer-twice": sig + lines[-2] + b"\n",
    }


# Where driftctl is deliberately stricter than ssh-keygen (docs/bundle.md): bytes after the
# footer are covered by nothing, so only whitespace may be there.
STRICTER = {"text-after-footer", "nul-after-footer", "footer-twice"}


def test_armor_parsing_matches_ssh_keygen(tmp_path: Path, openssh_key: Path) -> None:
    """Each armor variant is accepted or refused by driftctl exactly as `ssh-keygen -Y verify`
    does (trailing blank lines fine, CRLF refused), except the documented stricter cases."""
    message = b"bundle bytes"
    signed = keygen(
        "-Y", "sign", "-f", str(openssh_key), "-P", "pass", "-n", NAMESPACE, stdin=message
    )
    assert signed.returncode == 0, signed.stderr
    pub = openssh_key.with_name(openssh_key.name + ".pub").read_text().split()
    trust = trust_file(tmp_path / "as", [f"{SITE} {pub[0]} {pub[1]}"])
    sig_path = tmp_path / "v.sig"
    verdicts = {}
    for case, data in _armor_variants(signed.stdout).items():
        sig_path.write_bytes(data)
        theirs = keygen(
            "-Y",
            "verify",
            "-f",
            str(trust),
            "-I",
            SITE,
            "-n",
            NAMESPACE,
            "-s",
            str(sig_path),
            stdin=message,
        )
        try:
            parsed = parse_armored(data)
            ours = True
            verify_digest(parsed, hashlib.sha512(message).digest(), NAMESPACE, "sha512")
        except SignatureError as exc:
            ours = False
            assert "\n" not in str(exc)
        verdicts[case] = (theirs.returncode == 0, ours)
    assert verdicts["trailing-blank-lines"] == (True, True)
    assert verdicts["crlf-everywhere"] == (False, False)
    for case, (theirs_ok, ours_ok) in verdicts.items():
        if case in STRICTER:
            assert (theirs_ok, ours_ok) == (True, False), case
        else:
            assert theirs_ok == ours_ok, (case, verdicts)


def test_crlf_armor_is_named_in_the_refusal() -> None:
    with pytest.raises(SignatureError, match="CRLF"):
        dearmor(armor(_blob()).replace(b"\n", b"\r\n"))


def test_sha256_signature_is_refused_for_bundles(tmp_path: Path) -> None:
    """ssh-keygen can sign with sha256; docs/bundle.md fixes sha512, so driftctl refuses it."""
    key, private = make_key(tmp_path, SITE)
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(bundle_from(members(SITE)))
    res = keygen(
        "-Y", "sign", "-f", str(private), "-n", NAMESPACE, "-O", "hashalg=sha256", str(bundle)
    )
    assert res.returncode == 0, res.stderr
    with pytest.raises(BundleRejected, match="expected 'sha512'"):
        verify_bundle(bundle, trust)
    sig = parse_armored(Path(f"{bundle}.sig").read_bytes())
    verify_digest(sig, hashlib.sha256(bundle.read_bytes()).digest(), NAMESPACE, "sha256")


def _ca_setup(tmp_path: Path, principals: str, validity: str) -> tuple[Path, Path]:
    """A CA, a user key certified by it, and a bundle signed with the certificate by ssh-keygen."""
    for name in ("ca", "user"):
        assert keygen("-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)).returncode == 0
    res = keygen(
        "-q",
        "-s",
        str(tmp_path / "ca"),
        "-I",
        "site-cert",
        "-n",
        principals,
        "-V",
        validity,
        str(tmp_path / "user.pub"),
    )
    assert res.returncode == 0, res.stderr
    bundle = tmp_path / f"{SITE}-000001.tar.gz"
    bundle.write_bytes(bundle_from(members(SITE)))
    res = keygen("-Y", "sign", "-f", str(tmp_path / "user-cert.pub"), "-n", NAMESPACE, str(bundle))
    assert res.returncode == 0, res.stderr
    ca = (tmp_path / "ca.pub").read_text().strip()
    trust = trust_file(
        tmp_path / "allowed_signers",
        [f'{SITE},holding cert-authority,namespaces="{NAMESPACE}" {ca}'],
    )
    return bundle, trust


CERTS = {
    "valid": (SITE, "-1d:+1d", None),
    "wrong-principal": ("holding", "-1d:+1d", "not trusted for site"),
    "expired": (SITE, "-3d:-1d", "certificate not valid"),
    "not-yet-valid": (SITE, "+1d:+3d", "certificate not valid"),
}


@pytest.mark.parametrize("case", sorted(CERTS), ids=sorted(CERTS))
def test_cert_authority(tmp_path: Path, case: str) -> None:
    principals, validity, error = CERTS[case]
    bundle, trust = _ca_setup(tmp_path, principals, validity)
    sig = f"{bundle}.sig"
    openssh = keygen(
        "-Y",
        "verify",
        "-f",
        str(trust),
        "-I",
        SITE,
        "-n",
        NAMESPACE,
        "-s",
        sig,
        stdin=bundle.read_bytes(),
    )
    if error is None:
        assert openssh.returncode == 0, openssh.stderr
        assert verify_bundle(bundle, trust).site == SITE
    else:
        assert openssh.returncode == 255
        with pytest.raises(BundleRejected, match=error):
            verify_bundle(bundle, trust)


def test_cert_with_forged_ca_signature_is_rejected(tmp_path: Path) -> None:
    bundle, trust = _ca_setup(tmp_path, SITE, "-1d:+1d")
    sig_path = Path(f"{bundle}.sig")
    blob = bytearray(dearmor(sig_path.read_bytes()))
    cert = (tmp_path / "user-cert.pub").read_text().split()[1]
    raw = base64.b64decode(cert)
    at = bytes(blob).find(raw)
    blob[at + len(raw) - 10] ^= 1  # inside the CA's signature over the certificate
    sig_path.write_bytes(armor(bytes(blob)))
    with pytest.raises(BundleRejected, match="certificate signature by its CA is invalid"):
        verify_bundle(bundle, trust)
