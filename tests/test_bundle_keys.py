"""Site keys: generation in OpenSSH format, passphrases, fingerprints equal to ssh-keygen's."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from driftctl.bundle.keys import generate_key, load_private_key
from driftctl.errors import InputError


def test_generated_key_is_openssh_and_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    private, public = generate_key("savings-bank", tmp_path)
    assert private.name == "savings-bank_ed25519" and public.name == "savings-bank_ed25519.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = load_private_key(private)
    res = subprocess.run(["ssh-keygen", "-lf", str(public)], capture_output=True, text=True)
    assert res.stdout.split()[1] == key.fingerprint()
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(private)], capture_output=True, text=True
    )
    assert derived.stdout.split()[:2] == key.public_line().split()[:2]
    assert public.read_text().strip() == key.public_line()


def test_passphrase_protected_generated_key(tmp_path: Path) -> None:
    private, _ = generate_key("holding", tmp_path, passphrase="s3cret")
    res = subprocess.run(
        ["ssh-keygen", "-y", "-P", "s3cret", "-f", str(private)], capture_output=True, text=True
    )
    assert res.returncode == 0 and res.stdout.startswith("ssh-ed25519 ")
    assert load_private_key(private, "s3cret").public_line().split()[1] == res.stdout.split()[1]


def test_key_made_by_ssh_keygen_with_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "k"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "pass", "-C", "c", "-f", str(path)], check=True
    )
    key = load_private_key(path, "pass")
    assert key.public_line() == (tmp_path / "k.pub").read_text().strip()


def _ssh_keygen_key(tmp_path: Path, kind: str = "ed25519", passphrase: str = "pass") -> Path:
    path = tmp_path / kind
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-f", str(path)], check=True)
    return path


BAD = {
    "wrong-passphrase": (lambda p: (_ssh_keygen_key(p), "nope"), "wrong passphrase"),
    "missing-passphrase": (lambda p: (_ssh_keygen_key(p), None), "passphrase-protected"),
    "not-ed25519": (lambda p: (_ssh_keygen_key(p, "ecdsa", ""), None), "not an Ed25519 key"),
    "not-a-key": (lambda p: (p / "x.txt", None), "not an OpenSSH private key"),
    "missing-file": (lambda p: (p / "absent", None), "cannot read"),
    "corrupt": (lambda p: (p / "c", None), "corrupt"),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=sorted(BAD))
def test_bad_keys_are_input_errors_naming_the_file(tmp_path: Path, case: str) -> None:
    (tmp_path / "x.txt").write_text("hello\n")
    (tmp_path / "c").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    (tmp_path / "c").chmod(0o600)
    make, fragment = BAD[case]
    path, passphrase = make(tmp_path)
    with pytest.raises(InputError, match=fragment) as info:
        load_private_key(path, passphrase)
    assert str(path) in str(info.value)


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    generate_key("capital", tmp_path)
    before = (tmp_path / "capital_ed25519").read_bytes()
    with pytest.raises(InputError, match="already exists"):
        generate_key("capital", tmp_path)
    assert (tmp_path / "capital_ed25519").read_bytes() == before


SITES = ["", "UPPER", "-lead", "a" * 64, "dots.no", "under_score"]


@pytest.mark.parametrize("site", SITES, ids=[s or "empty" for s in SITES])
def test_invalid_site_ids(tmp_path: Path, site: str) -> None:
    with pytest.raises(InputError, match="invalid site id"):
        generate_key(site, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_private_key_others_can_read_is_refused(tmp_path: Path) -> None:
    private, _ = generate_key("savings-bank", tmp_path)
    private.chmod(0o644)
    with pytest.raises(InputError, match=r"readable by others \(mode 0644\); chmod 600"):
        load_private_key(private)
    private.chmod(0o600)
    assert load_private_key(private).fingerprint().startswith("SHA256:")


def test_a_key_owned_by_another_user_may_be_group_readable(tmp_path: Path) -> None:
    """A Kubernetes Secret volume: root-owned, 0440 through fsGroup, read by uid 65532."""
    import os

    private, _ = generate_key("savings-bank", tmp_path)
    private.chmod(0o440)
    if os.getuid() == 0:  # CI runs as root: play the pod the other way round
        os.chown(private, 65532, 65532)
        assert load_private_key(private).fingerprint().startswith("SHA256:")
    else:  # our own key, group-readable: refused
        with pytest.raises(InputError, match="readable by others"):
            load_private_key(private)
