"""``inspect``, ``verify``, ``import``, ``sites`` through the real CLI: exit codes, stdout, stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_kit import (
    Entry,
    bundle_from,
    driftctl,
    members,
    raw_targz,
    snapshot,
    tree,
    write_signed,
)

from driftctl.bundle.keys import load_private_key
from driftctl.bundle.writer import write_bundle

SITE = "savings-bank"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Path]:
    """A site key made by ``driftctl keygen``, its allowed_signers, and three bundles."""
    res = driftctl("keygen", "--site", SITE, "--out-dir", str(tmp_path / "keys"))
    assert res.returncode == 0
    trust = tmp_path / "allowed_signers"
    trust.write_text(res.stdout)
    key = load_private_key(tmp_path / "keys" / f"{SITE}_ed25519")
    paths = {}
    for i in (1, 2, 3):
        snap = snapshot(SITE, collected_at=f"2026-11-1{i}T00:00:00Z")
        written = write_bundle(
            tmp_path / "out", snap, [("nodes/n1/ntpq.txt", b"x")], {"total": 2}, key, "1"
        )
        paths[f"b{i}"] = written.path
    return {"trust": trust, "store": tmp_path / "store", "base": tmp_path, **paths}


def test_verify_ok_line(env: dict[str, Path]) -> None:
    res = driftctl("verify", str(env["b1"]), "--trust", str(env["trust"]))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"OK site={SITE} seq=1 signer=SHA256:")
    assert res.stderr == ""


def test_verify_with_explicit_sig(env: dict[str, Path]) -> None:
    moved = env["base"] / "elsewhere.sig"
    Path(f"{env['b1']}.sig").rename(moved)
    assert driftctl("verify", str(env["b1"]), "--trust", str(env["trust"])).returncode == 4
    res = driftctl("verify", str(env["b1"]), "--trust", str(env["trust"]), "--sig", str(moved))
    assert res.returncode == 0, res.stderr


def test_import_sites_and_reimport(env: dict[str, Path]) -> None:
    args = ["--trust", str(env["trust"]), "--store", str(env["store"])]
    res = driftctl("import", str(env["b1"]), str(env["b3"]), *args)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        f"imported {SITE} seq 1",
        f"imported {SITE} seq 3 (gap: seq 2 missing before seq 3)",
    ]
    assert "warning" in res.stderr
    again = driftctl("import", str(env["b3"]), *args)
    assert (again.returncode, again.stdout) == (0, f"already imported {SITE} seq 3\n")
    # -v says what it does, and the result once: on stdout, not again as a log line.
    told = driftctl("-v", "import", str(env["b3"]), *args)
    assert (told.stdout + told.stderr).count("already imported") == 1, told.stderr
    assert "importing" in told.stderr
    sites = driftctl("sites", "--store", str(env["store"]))
    assert sites.returncode == 0
    row = sites.stdout.splitlines()[2].split()
    assert row[:3] == [SITE, "3", "2026-11-13T00:00:00Z"]
    assert sites.stdout.splitlines()[0].split()[-2:] == ["gaps", "filled"]
    assert row[-3:] == ["seq", "2", "-"]  # seq 2 still missing, no gap filled yet
    data = json.loads(driftctl("sites", "--store", str(env["store"]), "--format", "json").stdout)
    (entry,) = data["sites"]
    assert (entry["site"], entry["seq"], entry["gaps"], entry["bundles"]) == (
        SITE,
        3,
        ["seq 2 missing before seq 3"],
        2,
    )
    assert entry["age_seconds"] > 0


def test_store_from_environment(env: dict[str, Path]) -> None:
    environ = {**os.environ, "DRIFTCTL_STORE": str(env["store"])}
    res = driftctl("import", str(env["b1"]), "--trust", str(env["trust"]), env=environ)
    assert res.returncode == 0, res.stderr
    assert (env["store"] / "sites" / SITE / "000001").is_dir()
    assert SITE in driftctl("sites", env=environ).stdout


def test_import_exit_code_is_the_worst(env: dict[str, Path]) -> None:
    args = ["--trust", str(env["trust"]), "--store", str(env["store"])]
    driftctl("import", str(env["b2"]), *args)
    forged = env["base"] / "forged.tar.gz"  # b3's bytes under b1's signature
    forged.write_bytes(env["b3"].read_bytes())
    Path(f"{forged}.sig").write_bytes(Path(f"{env['b1']}.sig").read_bytes())
    res = driftctl(
        "import", str(env["b1"]), str(forged), str(env["base"] / "missing.tar.gz"), *args
    )
    assert res.returncode == 4
    assert res.stdout == f"imported as history {SITE} seq 1 (linked to seq 2)\n"
    errors = res.stderr.splitlines()
    assert len(errors) == 2
    assert "bad signature" in errors[0] and "no such bundle" in errors[1]


def _hostile(env: dict[str, Path]) -> dict[str, Path]:
    key = load_private_key(env["base"] / "keys" / f"{SITE}_ed25519")
    out = env["base"] / "hostile"
    cases = {
        "traversal": raw_targz(
            [*(Entry(n, d) for n, d in members(SITE)), Entry("../../evil", b"x")]
        ),
        "symlink": raw_targz(
            [*(Entry(n, d) for n, d in members(SITE)), Entry("evidence/l", b"", b"2", "/etc")]
        ),
        "tampered": b"",
    }
    paths = {
        name: write_signed(out / f"{name}.tar.gz", data, key)
        for name, data in cases.items()
        if data
    }
    tampered = out / "tampered.tar.gz"
    tampered.write_bytes(env["b1"].read_bytes()[:-8] + b"\0" * 8)
    Path(f"{tampered}.sig").write_bytes(Path(f"{env['b1']}.sig").read_bytes())
    paths["tampered"] = tampered
    return paths


@pytest.mark.parametrize(
    "case", ["traversal", "symlink", "tampered"], ids=["traversal", "symlink", "tampered"]
)
def test_hostile_import_exit_4_store_unchanged(env: dict[str, Path], case: str) -> None:
    args = ["--trust", str(env["trust"]), "--store", str(env["store"])]
    driftctl("import", str(env["b1"]), *args)
    bundle = _hostile(env)[case]
    before_store = tree(env["store"])
    before_all = sorted(p for p in env["base"].rglob("*") if not p.is_relative_to(env["store"]))
    res = driftctl("import", str(bundle), *args)
    assert res.returncode == 4
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("driftctl: error: ")
    assert bundle.name in res.stderr
    assert tree(env["store"]) == before_store
    assert (
        sorted(p for p in env["base"].rglob("*") if not p.is_relative_to(env["store"]))
        == before_all
    )
    assert driftctl("verify", str(bundle), "--trust", str(env["trust"])).returncode == 4


def test_inspect_is_marked_unverified(env: dict[str, Path]) -> None:
    res = driftctl("inspect", str(env["b2"]))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("UNVERIFIED")
    assert "UNVERIFIED" in res.stderr
    assert "seq           2" in res.stdout and "evidence/nodes/n1/ntpq.txt" in res.stdout
    data = json.loads(driftctl("inspect", str(env["b2"]), "--format", "json").stdout)
    assert data["verified"] is False
    assert data["manifest"]["seq"] == 2 and data["redaction"]["total"] == 2
    assert data["summary"]["failures"] == 0


def test_inspect_needs_no_trust_but_still_refuses_unsafe_archives(env: dict[str, Path]) -> None:
    bad = env["base"] / "bad.tar.gz"
    bad.write_bytes(bundle_from([*members(SITE), ("evidence/x", b"not listed")]))
    res = driftctl("inspect", str(bad))
    assert res.returncode == 4 and "not in the manifest" in res.stderr


def test_sites_on_damaged_store_is_exit_3(env: dict[str, Path]) -> None:
    args = ["--trust", str(env["trust"]), "--store", str(env["store"])]
    driftctl("import", str(env["b1"]), *args)
    meta = env["store"] / "sites" / SITE / "000001" / "meta.json"
    meta.write_text("{")
    res = driftctl("sites", "--store", str(env["store"]))
    assert res.returncode == 3
    assert str(meta) in res.stderr and res.stderr.count("\n") == 1


USAGE = {
    "missing-trust": (["verify", "B1", "--trust", "/nonexistent/as"], "/nonexistent/as"),
    "no-store": (["sites", "--store", "/nonexistent/store"], "no store here"),
    "bad-format": (["sites", "--format", "xml"], "xml"),
}


@pytest.mark.parametrize("case", sorted(USAGE), ids=sorted(USAGE))
def test_usage_errors_exit_2(env: dict[str, Path], case: str) -> None:
    args, fragment = USAGE[case]
    res = driftctl(*[str(env["b1"]) if a == "B1" else a for a in args])
    assert res.returncode == 2, res.stderr
    assert fragment in res.stderr


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI with a short timeout: a reader blocked on a FIFO fails the test, not CI."""
    return subprocess.run(
        [sys.executable, "-m", "driftctl", *args], capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize("which", ["bundle", "sig", "trust"])
def test_verify_refuses_a_fifo_instead_of_blocking(env: dict[str, Path], which: str) -> None:
    fifo = env["base"] / "fifo"
    os.mkfifo(fifo)
    bundle, sig, trust = str(env["b1"]), f"{env['b1']}.sig", str(env["trust"])
    args = {
        "bundle": ["verify", str(fifo), "--trust", trust, "--sig", sig],
        "sig": ["verify", bundle, "--trust", trust, "--sig", str(fifo)],
        "trust": ["verify", bundle, "--trust", str(fifo)],
    }[which]
    res = _run(*args)
    assert res.returncode == (4 if which == "sig" else 2), res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"driftctl: error: {fifo}: "), lines
    assert "not a regular file" in lines[0]


def test_inspect_refuses_a_fifo_instead_of_blocking(env: dict[str, Path]) -> None:
    fifo = env["base"] / "fifo.tar.gz"
    os.mkfifo(fifo)
    res = _run("inspect", str(fifo))
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"driftctl: error: {fifo}: not a regular file"]
