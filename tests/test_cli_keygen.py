"""``driftctl keygen``: a key pair whose printed allowed_signers line works with stock ssh-keygen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_kit import driftctl


def test_keygen_line_works_with_ssh_keygen(tmp_path: Path) -> None:
    res = driftctl("keygen", "--site", "capital", "--out-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr
    line, comment = res.stdout.splitlines()
    assert line.startswith('capital namespaces="bundle@driftctl" ssh-ed25519 AAAA')
    fp = comment.split()[1]
    assert comment.startswith("# SHA256:")
    pub = subprocess.run(
        ["ssh-keygen", "-lf", str(tmp_path / "capital_ed25519.pub")], capture_output=True, text=True
    )
    assert pub.stdout.split()[1] == fp
    trust = tmp_path / "allowed_signers"
    trust.write_text(res.stdout)  # the whole output is a valid allowed_signers file
    data = tmp_path / "f"
    data.write_bytes(b"payload")
    subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "sign",
            "-f",
            str(tmp_path / "capital_ed25519"),
            "-n",
            "bundle@driftctl",
            str(data),
        ],
        check=True,
        capture_output=True,
    )
    ok = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(trust),
            "-I",
            "capital",
            "-n",
            "bundle@driftctl",
            "-s",
            f"{data}.sig",
        ],
        input=b"payload",
        capture_output=True,
    )
    assert ok.returncode == 0, ok.stderr


def test_keygen_with_passphrase_file(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("correct horse\n")
    res = driftctl(
        "keygen",
        "--site",
        "utility",
        "--out-dir",
        str(tmp_path / "k"),
        "--passphrase-file",
        str(pw),
    )
    assert res.returncode == 0, res.stderr
    key = tmp_path / "k" / "utility_ed25519"
    bad = subprocess.run(["ssh-keygen", "-y", "-P", "", "-f", str(key)], capture_output=True)
    good = subprocess.run(
        ["ssh-keygen", "-y", "-P", "correct horse", "-f", str(key)], capture_output=True, text=True
    )
    assert bad.returncode != 0 and good.returncode == 0
    assert good.stdout.split()[1] in res.stdout


ERRORS = {
    "bad-site": (["--site", "Bad_Site"], "invalid site id 'Bad_Site'"),
    "missing-passphrase-file": (
        ["--site", "ok", "--passphrase-file", "/nonexistent/pw"],
        "/nonexistent/pw",
    ),
}


@pytest.mark.parametrize("case", sorted(ERRORS), ids=sorted(ERRORS))
def test_keygen_errors_exit_2_with_one_line(tmp_path: Path, case: str) -> None:
    args, fragment = ERRORS[case]
    res = driftctl("keygen", *args, "--out-dir", str(tmp_path))
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and fragment in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    assert driftctl("keygen", "--site", "holding", "--out-dir", str(tmp_path)).returncode == 0
    before = (tmp_path / "holding_ed25519").read_bytes()
    res = driftctl("keygen", "--site", "holding", "--out-dir", str(tmp_path))
    assert res.returncode == 2 and "already exists" in res.stderr
    assert (tmp_path / "holding_ed25519").read_bytes() == before


def _binary(path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00pass")


def _huge(path: Path) -> None:
    with path.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB that cost no disk


PASSPHRASE_FILES = {
    "binary": (_binary, "not UTF-8"),
    "huge": (_huge, "larger than"),
    "fifo": (os.mkfifo, "not a regular file"),
    "directory": (Path.mkdir, "is a directory"),
}


@pytest.mark.parametrize("case", sorted(PASSPHRASE_FILES))
def test_keygen_bad_passphrase_file_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    make, fragment = PASSPHRASE_FILES[case]
    pw = tmp_path / "pw"
    make(pw)
    out = tmp_path / "keys"
    args = ["keygen", "--site", "ok", "--out-dir", str(out), "--passphrase-file", str(pw)]
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 2, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"driftctl: error: {pw}: {fragment}")
    assert not out.exists()
