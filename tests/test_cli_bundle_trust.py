"""Hostile bundles, revocation and the trust store through the real CLI: exit codes and lines."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from bundle_kit import (
    ROOT,
    bundle_from,
    driftctl,
    extended_header,
    make_key,
    members,
    pax_record,
    replace_member,
    signer_line,
    tree,
    trust_file,
    with_prefix,
    write_signed,
)
from snapshot_kit import workload

from driftctl.bundle.keys import SigningKey

SITE = "savings-bank"
pytestmark = pytest.mark.hostile_outputs  # planted defects: the schema sweep leaves them out
OTHER = "holding"
RELEASE = ROOT / "manifests" / "release.example.yaml"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[SigningKey, Path]]:
    base = tmp_path_factory.mktemp("keys")
    return {site: make_key(base / site, site) for site in (SITE, OTHER)}


@pytest.fixture
def trust(tmp_path: Path, keys: dict[str, tuple[SigningKey, Path]]) -> Path:
    return trust_file(
        tmp_path / "allowed_signers", [signer_line(site, key) for site, (key, _) in keys.items()]
    )


def signed(
    path: Path, data: bytes, keys: dict[str, tuple[SigningKey, Path]], site: str = SITE
) -> Path:
    return write_signed(path, data, keys[site][0])


def stored_sites(store: Path) -> list[str]:
    res = driftctl("sites", "--store", str(store), "--format", "json")
    assert res.returncode == 0, res.stderr
    return [row["site"] for row in json.loads(res.stdout)["sites"]]


HOSTILE = {
    "header-chain": lambda: with_prefix(
        extended_header(tarfile.GNUTYPE_LONGNAME, b"manifest.json\0") * 2000, members(SITE)
    ),
    "pax-sparse": lambda: with_prefix(
        extended_header(tarfile.XHDTYPE, pax_record("GNU.sparse.map", "0,1,x")), members(SITE)
    ),
    "lone-surrogate": lambda: bundle_from(
        replace_member(members(SITE, probe="@"), "snapshot.json", b'"@"', b'"\\ud800"')
    ),
    "1e400": lambda: bundle_from(
        replace_member(members(SITE, probe="@"), "snapshot.json", b'"@"', b"1e400")
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE), ids=sorted(HOSTILE))
def test_batch_import_goes_on_after_a_hostile_bundle(
    case: str, tmp_path: Path, keys: dict[str, tuple[SigningKey, Path]], trust: Path
) -> None:
    hostile = signed(tmp_path / "in" / f"{SITE}-000001.tar.gz", HOSTILE[case](), keys)
    good = signed(
        tmp_path / "in" / f"{OTHER}-000001.tar.gz", bundle_from(members(OTHER)), keys, OTHER
    )
    store = tmp_path / "store"
    res = driftctl("import", str(hostile), str(good), "--trust", str(trust), "--store", str(store))
    assert res.returncode == 4, res
    assert res.stdout == f"imported {OTHER} seq 1\n"
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"driftctl: error: {hostile}: ")
    assert len(line) < 400
    assert stored_sites(store) == [OTHER]


def test_every_bundle_of_a_batch_gets_its_line_and_the_worst_code(
    tmp_path: Path, keys: dict[str, tuple[SigningKey, Path]], trust: Path
) -> None:
    bundles = [
        signed(tmp_path / "in" / f"{SITE}-00000{i}.tar.gz", build(), keys)
        for i, build in enumerate(HOSTILE.values(), start=1)
    ]
    good = signed(
        tmp_path / "in" / f"{OTHER}-000001.tar.gz", bundle_from(members(OTHER)), keys, OTHER
    )
    args = ["--trust", str(trust), "--store", str(tmp_path / "store")]
    res = driftctl("import", str(bundles[0]), str(good), *map(str, bundles[1:]), *args)
    assert res.returncode == 4
    assert res.stdout == f"imported {OTHER} seq 1\n"
    prefix = "driftctl: error: "
    assert [line.removeprefix(prefix).split(": ")[0] for line in res.stderr.splitlines()] == [
        str(b) for b in bundles
    ]


# --- revocation on every command that verifies bundles ---------------------------------------


@pytest.fixture
def krl(tmp_path: Path, keys: dict[str, tuple[SigningKey, Path]]) -> Path:
    """A KRL revoking the savings-bank key, written by the real ssh-keygen."""
    path = tmp_path / "revoked.krl"
    pub = keys[SITE][1].with_name(keys[SITE][1].name + ".pub")
    made = subprocess.run(
        ["ssh-keygen", "-k", "-f", str(path), str(pub)], capture_output=True, timeout=30
    )
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture
def pair(tmp_path: Path, keys: dict[str, tuple[SigningKey, Path]]) -> tuple[Path, Path]:
    return (
        signed(tmp_path / "in" / f"{SITE}-000001.tar.gz", bundle_from(members(SITE)), keys),
        signed(
            tmp_path / "in" / f"{OTHER}-000001.tar.gz", bundle_from(members(OTHER)), keys, OTHER
        ),
    )


def test_verify_honours_revoked(pair: tuple[Path, Path], trust: Path, krl: Path) -> None:
    bundle = str(pair[0])
    assert driftctl("verify", bundle, "--trust", str(trust)).returncode == 0
    res = driftctl("verify", bundle, "--trust", str(trust), "--revoked", str(krl))
    assert res.returncode == 4
    assert res.stderr.count("\n") == 1
    assert f"{pair[0].name}: signer SHA256:" in res.stderr
    assert f"is revoked: key revoked explicitly in {krl}" in res.stderr
    other = driftctl("verify", str(pair[1]), "--trust", str(trust), "--revoked", str(krl))
    assert other.returncode == 0, other.stderr


def test_import_refuses_the_revoked_and_imports_the_rest(
    tmp_path: Path, pair: tuple[Path, Path], trust: Path, krl: Path
) -> None:
    store = tmp_path / "store"
    res = driftctl(
        "import",
        *map(str, pair),
        "--trust",
        str(trust),
        "--store",
        str(store),
        "--revoked",
        str(krl),
    )
    assert res.returncode == 4
    assert res.stdout == f"imported {OTHER} seq 1\n"
    assert "is revoked" in res.stderr
    assert stored_sites(store) == [OTHER]


def test_diff_and_preflight_bundle_arguments_honour_revoked(
    pair: tuple[Path, Path], trust: Path, krl: Path
) -> None:
    common = [*map(str, pair), "--trust", str(trust)]
    assert driftctl("diff", *common).returncode in (0, 1)
    res = driftctl("diff", *common, "--revoked", str(krl))
    assert (res.returncode, res.stdout) == (4, "")
    assert "is revoked" in res.stderr
    res = driftctl("preflight", "--release", str(RELEASE), *common, "--revoked", str(krl))
    assert (res.returncode, res.stdout) == (4, "")
    assert "is revoked" in res.stderr


def test_revoked_without_bundles_is_refused_not_ignored(tmp_path: Path, krl: Path) -> None:
    res = driftctl("diff", "--store", str(tmp_path), "--revoked", str(krl))
    assert res.returncode == 2
    assert "--revoked checks BUNDLE arguments" in res.stderr


def test_a_bad_revocation_file_is_bad_input(
    tmp_path: Path, pair: tuple[Path, Path], trust: Path, krl: Path
) -> None:
    broken = tmp_path / "broken.krl"
    broken.write_bytes(krl.read_bytes()[:-7])
    store = tmp_path / "store"
    res = driftctl(
        "import",
        str(pair[1]),
        "--trust",
        str(trust),
        "--store",
        str(store),
        "--revoked",
        str(broken),
    )
    assert res.returncode == 2
    assert res.stderr.startswith(f"driftctl: error: {broken}: invalid KRL: ")
    assert tree(store) == {}


# --- wildcard principals ----------------------------------------------------------------------


def test_wildcard_principal_needs_the_flag_and_is_warned(
    tmp_path: Path, pair: tuple[Path, Path], keys: dict[str, tuple[SigningKey, Path]]
) -> None:
    trust = trust_file(tmp_path / "as", [signer_line("*", keys[SITE][0])])
    res = driftctl("verify", str(pair[0]), "--trust", str(trust))
    assert res.returncode == 2
    assert f"{trust}: line 1: principals '*' match every site" in res.stderr
    res = driftctl("verify", str(pair[0]), "--trust", str(trust), "--allow-wildcard-principals")
    assert res.returncode == 0, res.stderr
    assert res.stderr == (
        f"driftctl: warning: {trust}: line 1: principals '*' match every site: "
        "this one key can sign bundles for any site\n"
    )


# --- inspect of an unverified, hostile bundle -------------------------------------------------


def _inspect(bundle: Path, fmt: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "driftctl", "inspect", str(bundle), "--format", fmt],
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_inspect_of_odd_shapes_never_tracebacks(tmp_path: Path, fmt: str) -> None:
    """Control characters in keys and values, odd shapes in the redaction report."""
    items = members(
        SITE,
        workloads={
            "ns/Deployment/\x1b[31mred": workload(annotations={"a": "\x1b]52;c;ZXZpbA==\x07"})
        },
    )
    items = replace_member(
        items, "redaction.json", b'"total": 0', b'"by_rule": [1], "dropped": 5, "total": "x"'
    )
    bundle = tmp_path / f"{SITE}-000001.tar.gz"
    bundle.write_bytes(bundle_from(items))
    res = _inspect(bundle, fmt)
    assert res.returncode == 0, res.stderr
    assert b"Traceback" not in res.stderr
    res.stdout.decode("utf-8")  # strictly valid UTF-8


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_inspect_of_a_snapshot_that_is_no_snapshot_is_one_line_exit_4(
    tmp_path: Path, fmt: str
) -> None:
    """Any JSON where the model expects an object or a list: refused by path, never rendered."""
    items = replace_member(members(SITE), "snapshot.json", b'"failures": []', b'"failures": 7')
    bundle = tmp_path / f"{SITE}-000001.tar.gz"
    bundle.write_bytes(bundle_from(items))
    res = _inspect(bundle, fmt)
    assert (res.returncode, res.stdout) == (4, b"")
    assert res.stderr.count(b"\n") == 1 and b"Traceback" not in res.stderr
    assert b"snapshot.json: failures: expected an array, got an integer" in res.stderr


def test_inspect_refuses_a_lone_surrogate_in_one_line(tmp_path: Path) -> None:
    bundle = tmp_path / f"{SITE}-000001.tar.gz"
    bundle.write_bytes(HOSTILE["lone-surrogate"]())
    res = _inspect(bundle, "json")
    assert (res.returncode, res.stdout) == (4, b"")
    assert res.stderr.count(b"\n") == 1 and b"lone surrogate" in res.stderr


def test_inspect_never_writes_a_non_utf8_byte(tmp_path: Path) -> None:
    """A file name that is not UTF-8 (a USB stick from anywhere) is shown escaped."""
    bundle = Path(tmp_path / "b\udcff-000001.tar.gz")
    bundle.write_bytes(bundle_from(members(SITE)))
    table, doc = _inspect(bundle, "table"), _inspect(bundle, "json")
    assert (table.returncode, doc.returncode) == (0, 0)
    assert "b\\udcff-000001.tar.gz (" in table.stdout.decode("utf-8")
    assert json.loads(doc.stdout.decode("utf-8"))["bundle"].endswith("b\\udcff-000001.tar.gz")


@pytest.mark.parametrize("case", sorted(HOSTILE), ids=sorted(HOSTILE))
def test_inspect_of_a_hostile_bundle_is_one_line_exit_4(case: str, tmp_path: Path) -> None:
    bundle = tmp_path / f"{SITE}-000001.tar.gz"
    bundle.write_bytes(HOSTILE[case]())
    res = _inspect(bundle, "table")
    assert (res.returncode, res.stdout) == (4, b"")
    assert res.stderr.count(b"\n") == 1 and b"Traceback" not in res.stderr
