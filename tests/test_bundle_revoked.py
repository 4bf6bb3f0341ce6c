"""Revocation: KRLs written by the real ``ssh-keygen -k``, checked against ``ssh-keygen -Q``."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from bundle_kit import bundle_from, members, trust_file

from driftctl.bundle import NAMESPACE
from driftctl.bundle.certs import PublicKey, parse_public_key
from driftctl.bundle.revoked import KRL_MAGIC, load_revoked
from driftctl.bundle.trust import load_trust
from driftctl.bundle.verify import verify_bundle
from driftctl.bundle.wire import string, uint32, uint64
from driftctl.errors import BundleRejected, InputError

SITE = "savings-bank"


def keygen(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True, timeout=30)


@dataclass(frozen=True)
class Keys:
    """Plain keys a-d, a CA, and certificates of b (serial 7) and d (serial 0) by the CA."""

    base: Path

    def pub(self, name: str) -> Path:
        return self.base / f"{name}.pub"

    def line(self, name: str) -> str:
        return self.pub(name).read_text().strip()

    def key(self, filename: str) -> PublicKey:
        """The key (or certificate) in ``filename``, e.g. ``a.pub`` or ``b-cert.pub``."""
        return parse_public_key(base64.b64decode((self.base / filename).read_text().split()[1]))

    def fingerprint(self, name: str) -> str:
        return keygen("-lf", str(self.pub(name))).stdout.decode().split()[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    base = tmp_path_factory.mktemp("krl-keys")
    for name in ("a", "b", "c", "d", "ca"):
        made = keygen("-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(base / name))
        assert made.returncode == 0, made.stderr
    for name, serial, key_id in (("b", "7", "id-b"), ("d", "0", "id-d")):
        signed = keygen(
            "-q", "-s", str(base / "ca"), "-I", key_id, "-n", SITE, "-z", serial, "-V",
            "-1d:+1d", str(base / f"{name}.pub"),
        )  # fmt: skip
        assert signed.returncode == 0, signed.stderr
    return Keys(base)


TESTED = ["a.pub", "b.pub", "c.pub", "d.pub", "ca.pub", "b-cert.pub", "d-cert.pub"]

# name -> what to write with ssh-keygen -k: (use the CA for -s, spec lines or key files)
KRLS: dict[str, Callable[[Keys], tuple[bool, list[str]]]] = {
    "explicit-key-file": lambda k: (False, ["@a.pub"]),
    "explicit-key-spec": lambda k: (False, [f"key: {k.line('a')}"]),
    "sha256-fingerprint": lambda k: (False, [f"hash: {k.fingerprint('c')}"]),
    "sha256-of-key": lambda k: (False, [f"sha256: {k.line('c')}"]),
    "sha1-of-key": lambda k: (False, [f"sha1: {k.line('b')}"]),
    "ca-key-itself": lambda k: (False, ["@ca.pub"]),
    "cert-serial": lambda k: (True, ["serial: 7"]),
    "cert-serial-range": lambda k: (True, ["serial: 5-9"]),
    "cert-serial-other": lambda k: (True, ["serial: 8", "serial: 1-6"]),
    "cert-serials-bitmap": lambda k: (True, [f"serial: {n}" for n in (1, 3, 5, 7, 9, 11, 13)]),
    "cert-key-id": lambda k: (True, ["id: id-d"]),
    "cert-file": lambda k: (False, ["@b-cert.pub"]),
    "mixed": lambda k: (
        True,
        [f"key: {k.line('a')}", f"hash: {k.fingerprint('c')}", "id: id-b", "serial: 100-200"],
    ),
}


def write_krl(keys: Keys, case: str, out: Path) -> Path:
    with_ca, lines = KRLS[case](keys)
    files = [str(keys.base / line[1:]) for line in lines if line.startswith("@")]
    spec = [line for line in lines if not line.startswith("@")]
    if spec:
        (out / "spec").write_text("\n".join(spec) + "\n")
        files.append(str(out / "spec"))
    args = ["-k", "-f", str(out / "krl")]
    if with_ca:
        args += ["-s", str(keys.pub("ca"))]
    made = keygen(*args, *files)
    assert made.returncode == 0, made.stderr
    return out / "krl"


def openssh_revoked(krl: Path, keys: Keys) -> dict[str, bool]:
    res = keygen("-Q", "-f", str(krl), *(str(keys.base / name) for name in TESTED))
    verdicts = {}
    for line in res.stdout.decode().splitlines():
        path, _, verdict = line.rpartition(": ")
        verdicts[Path(path.split(" (")[0]).name] = verdict == "REVOKED"
    assert set(verdicts) == set(TESTED), res
    return verdicts


@pytest.mark.parametrize("case", sorted(KRLS), ids=sorted(KRLS))
def test_krl_verdicts_agree_with_ssh_keygen(case: str, keys: Keys, tmp_path: Path) -> None:
    krl = write_krl(keys, case, tmp_path)
    assert krl.read_bytes().startswith(KRL_MAGIC)
    theirs = openssh_revoked(krl, keys)
    revocations = load_revoked(krl)
    ours = {name: revocations.reason(keys.key(name)) is not None for name in TESTED}
    assert ours == theirs
    assert any(theirs.values()) is (case != "cert-serial-other")  # it misses 7 on purpose
    if case == "cert-serials-bitmap":  # ssh-keygen chose the bitmap subsection for these
        assert revocations.certs[keys.key("ca.pub").blob].bitmaps


def test_a_key_list_agrees_with_ssh_keygen_verify_r(keys: Keys, tmp_path: Path) -> None:
    """A plain list of public keys, as ``ssh-keygen -Y verify -r`` reads one."""
    listed = tmp_path / "revoked_keys"
    listed.write_text(f"# revoked 2026-11\n\n{keys.line('a')}\n  {keys.line('ca')}\n")
    revocations = load_revoked(listed)
    data = bundle_from(members(SITE))
    (tmp_path / "b.tar.gz").write_bytes(data)
    for name in ("a", "b", "c", "b-cert"):
        key_file = keys.base / ("b-cert.pub" if name == "b-cert" else name)
        sig = tmp_path / f"{name}.sig"
        signing = keygen("-Y", "sign", "-f", str(key_file), "-n", NAMESPACE, stdin=data)
        assert signing.returncode == 0, signing.stderr
        sig.write_bytes(signing.stdout)
        principal = "cert-authority " if name == "b-cert" else ""
        signer = "ca" if name == "b-cert" else name.split("-")[0]
        trust = trust_file(
            tmp_path / f"{name}.as", [f"{SITE} {principal}{keys.line(signer).rsplit(' ', 1)[0]}"]
        )
        theirs = keygen(
            "-Y", "verify", "-f", str(trust), "-I", SITE, "-n", NAMESPACE, "-s", str(sig),
            "-r", str(listed), stdin=data,
        )  # fmt: skip
        ours = revocations.reason(keys.key("b-cert.pub" if name == "b-cert" else f"{name}.pub"))
        assert (theirs.returncode != 0) == (ours is not None), (name, theirs.stderr, ours)
        assert (name in ("a", "b-cert")) == (ours is not None)


def test_revoked_signer_is_refused_at_the_signer_step(keys: Keys, tmp_path: Path) -> None:
    data = bundle_from(members(SITE))
    bundle = tmp_path / f"{SITE}-000001.tar.gz"
    bundle.write_bytes(data)
    signing = keygen("-Y", "sign", "-f", str(keys.base / "a"), "-n", NAMESPACE, stdin=data)
    Path(f"{bundle}.sig").write_bytes(signing.stdout)
    trust = trust_file(tmp_path / "as", [f"{SITE} {keys.line('a')}"])
    assert verify_bundle(bundle, trust).site == SITE  # the revocation is the only defect
    krl = write_krl(keys, "explicit-key-file", tmp_path)
    store = load_trust(trust, load_revoked(krl))
    with pytest.raises(BundleRejected) as info:
        verify_bundle(bundle, store)
    assert info.value.step == "revoked"
    assert f"{bundle.name}: signer SHA256:" in str(info.value)
    assert f"is revoked: key revoked explicitly in {krl}" in str(info.value)


def test_revoked_certificate_is_refused(keys: Keys, tmp_path: Path) -> None:
    data = bundle_from(members(SITE))
    bundle = tmp_path / f"{SITE}-000001.tar.gz"
    bundle.write_bytes(data)
    signing = keygen("-Y", "sign", "-f", str(keys.pub("b-cert")), "-n", NAMESPACE, stdin=data)
    assert signing.returncode == 0, signing.stderr
    Path(f"{bundle}.sig").write_bytes(signing.stdout)
    ca = keys.line("ca").rsplit(" ", 1)[0]
    trust = trust_file(tmp_path / "as", [f'{SITE} cert-authority,namespaces="{NAMESPACE}" {ca}'])
    assert verify_bundle(bundle, trust).site == SITE
    store = load_trust(trust, load_revoked(write_krl(keys, "cert-serial", tmp_path)))
    with pytest.raises(BundleRejected, match="certificate serial 7 revoked") as info:
        verify_bundle(bundle, store)
    assert info.value.step == "revoked"


# --- strict parsing: hand-made KRLs, each with one defect ------------------------------------


def header(version: int = 1) -> bytes:
    return (
        KRL_MAGIC + uint32(version) + uint64(1) + uint64(0) + uint64(0) + string(b"") + string(b"c")
    )


def section(kind: int, data: bytes) -> bytes:
    return bytes([kind]) + string(data)


def ca_section(*subsections: bytes) -> bytes:
    return section(1, string(b"") + string(b"") + b"".join(subsections))


SHA = hashlib.sha256(b"k").digest()
MALFORMED = {
    "truncated-header": (header()[:-3], "truncated"),
    "version-2": (header(2), "unsupported KRL format version 2"),
    "unknown-section-6": (header() + section(6, b""), "unknown section type 6"),
    "signature-section": (header() + section(4, string(b"key")) + string(b"sig"), "signatures"),
    "critical-extension": (
        header() + section(255, string(b"x@example.org") + b"\x01" + string(b"")),
        "unsupported critical extension 'x@example.org'",
    ),
    "extension-trailing-data": (
        header() + section(255, string(b"x@example.org") + b"\x00" + string(b"") + b"!"),
        "extension contains trailing data",
    ),
    "sha256-of-31-bytes": (header() + section(5, string(SHA[:31])), "SHA256 fingerprint of 31"),
    "sha1-of-32-bytes": (header() + section(3, string(SHA)), "SHA1 fingerprint of 32 bytes"),
    "section-overruns": (header() + bytes([5]) + uint32(1000) + SHA, "truncated section"),
    "serial-range-backwards": (
        header() + ca_section(bytes([0x21]) + string(uint64(9) + uint64(5))),
        "invalid certificate serial range 9-5",
    ),
    "serial-zero": (
        header() + ca_section(bytes([0x20]) + string(uint64(0))),
        "invalid certificate serial range 0-0",
    ),
    "negative-bitmap": (
        header() + ca_section(bytes([0x22]) + string(uint64(1) + string(b"\x80"))),
        "serial bitmap is negative",
    ),
    "bitmap-wraps": (
        header() + ca_section(bytes([0x22]) + string(uint64(2**64 - 1) + string(b"\x02"))),
        "wraps past 2**64",
    ),
    "unknown-cert-subsection": (
        header() + ca_section(bytes([0x30]) + string(b"")),
        "unknown certificate subsection type 0x30",
    ),
    "critical-cert-extension": (
        header()
        + ca_section(bytes([0x39]) + string(string(b"y@example.org") + b"\x01" + string(b""))),
        "unsupported critical certificate extension",
    ),
    "key-id-with-nul": (
        header() + ca_section(bytes([0x23]) + string(string(b"a\0b"))),
        "certificate key id contains a NUL byte",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED), ids=sorted(MALFORMED))
def test_malformed_krl_is_bad_input(case: str, tmp_path: Path) -> None:
    data, fragment = MALFORMED[case]
    path = tmp_path / "krl"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_revoked(path)
    assert str(info.value).startswith(f"{path}: invalid KRL: ")
    assert fragment in str(info.value)


def test_ignorable_extensions_are_ignored(tmp_path: Path) -> None:
    """Non-critical extension (sub)sections may be skipped (PROTOCOL.krl §2.5, §5)."""
    path = tmp_path / "krl"
    path.write_bytes(
        header()
        + section(255, string(b"bloom@example.org") + b"\x00" + string(b"bits"))
        + ca_section(bytes([0x39]) + string(string(b"x@example.org") + b"\x00" + string(b"")))
        + section(5, string(SHA))
    )
    assert load_revoked(path).sha256 == {SHA}


def test_krl_of_ssh_keygen_and_ours_refuse_the_same_truncation(keys: Keys, tmp_path: Path) -> None:
    krl = write_krl(keys, "mixed", tmp_path)
    cut = tmp_path / "cut"
    cut.write_bytes(krl.read_bytes()[:-5])
    assert keygen("-Q", "-f", str(cut), str(keys.pub("a"))).returncode not in (0, 1)
    with pytest.raises(InputError, match="invalid KRL: truncated"):
        load_revoked(cut)


BAD_LISTS = {
    "one-field": ("ssh-ed25519\n", "line 1: not a public key"),
    "bad-base64": ("ssh-ed25519 AAAA!!!!\n", "line 1: not a public key"),
    "type-mismatch": (None, "line 2: not a public key: key type 'ssh-rsa'"),
}


@pytest.mark.parametrize("case", sorted(BAD_LISTS), ids=sorted(BAD_LISTS))
def test_bad_key_list_line_is_bad_input(case: str, keys: Keys, tmp_path: Path) -> None:
    text, fragment = BAD_LISTS[case]
    if text is None:
        text = f"# c\nssh-rsa {keys.line('a').split()[1]}\n"
    path = tmp_path / "revoked"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment):
        load_revoked(path)
