"""``store check``: a clean store verifies; a flipped bit, a swapped bundle, a broken chain, a
damaged ledger or a stale state file is reported with its path and exit 4."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cli_kit
import pytest
from bundle_kit import driftctl, make_key, signer_line, trust_file
from store_kit import chain

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.trust import load_trust
from driftctl.store.store import Store, import_bundle

SITE = "utility"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("k"), SITE)[0]


@pytest.fixture
def env(tmp_path: Path, key: SigningKey) -> dict[str, Path]:
    """A store holding seq 1..3 of one site, and a fork (another collector's seq 1..3)."""
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    store = tmp_path / "store"
    fork_store = tmp_path / "fork-store"
    for path in chain(tmp_path, key, SITE, 3):
        import_bundle(Store(store), path, load_trust(trust))
    for path in chain(tmp_path, key, SITE, 3, tag="fork"):
        import_bundle(Store(fork_store), path, load_trust(trust))
    return {"trust": trust, "store": store, "fork": fork_store, "base": tmp_path}


def _check(env: dict[str, Path], *extra: str) -> tuple[int, list[str], str]:
    res = driftctl("store", "check", "--store", str(env["store"]), *extra)
    return res.returncode, res.stdout.splitlines(), res.stderr


def _seq(env: dict[str, Path], seq: int) -> Path:
    return env["store"] / "sites" / SITE / f"{seq:06d}"


def test_a_clean_store_verifies(env: dict[str, Path]) -> None:
    for extra in ([], ["--trust", str(env["trust"])]):
        code, out, err = _check(env, *extra)
        assert (code, out) == (0, [])
        assert err == "checked 3 bundles (0 pruned) of 1 site: 0 problems\n"


def test_a_flipped_bit_in_a_stored_bundle(env: dict[str, Path]) -> None:
    bundle = _seq(env, 2) / f"{SITE}-000002.tar.gz"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    code, out, err = _check(env)
    assert code == 4
    assert out == [
        f"{bundle}: bad signature: signature does not match the data (tampered or wrong file)"
    ]
    assert err.endswith(": 1 problem\n")


def test_a_problem_names_the_stored_bundle_once_whatever_the_store_path(
    env: dict[str, Path],
) -> None:
    """As a relative --store too (the README's example), the path is not repeated in the line."""
    bundle = _seq(env, 3) / f"{SITE}-000003.tar.gz"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    res = cli_kit.invoke("store", "check", "--store", "store", cwd=env["base"])
    assert res.returncode == 4, res.stderr
    relative = f"store/sites/{SITE}/000003/{SITE}-000003.tar.gz"
    assert res.stdout.splitlines() == [
        f"{relative}: bad signature: signature does not match the data (tampered or wrong file)"
    ]


def test_a_swapped_bundle_breaks_the_chain(env: dict[str, Path]) -> None:
    """A validly signed bundle of the same seq from a fork, put in place of the stored one."""
    target = _seq(env, 2)
    shutil.rmtree(target)
    shutil.copytree(env["fork"] / "sites" / SITE / "000002", target)
    code, out, _ = _check(env)
    assert code == 4
    meta2, meta3 = target / "meta.json", _seq(env, 3) / "meta.json"
    assert any(line.startswith(f"{meta2}: hash chain broken") for line in out), out
    assert any(line.startswith(f"{meta3}: hash chain broken") for line in out), out
    assert any(line.startswith(f"{target}: ledger line 2 records sha256") for line in out), out


def test_a_broken_chain_in_meta(env: dict[str, Path]) -> None:
    meta = _seq(env, 3) / "meta.json"
    data = json.loads(meta.read_text())
    data["prev_sha256"] = "0" * 64
    meta.write_text(json.dumps(data))
    code, out, _ = _check(env)
    assert code == 4
    assert f"{meta}: hash chain broken: prev_sha256 {'0' * 64}" in "\n".join(out)
    assert any("prev_sha256 is not the one in meta.json" in line for line in out)


def test_against_a_trust_file_without_the_key(env: dict[str, Path]) -> None:
    other = make_key(env["base"] / "other", SITE)[0]
    trust = trust_file(env["base"] / "rotated", [signer_line(SITE, other)])
    code, out, _ = _check(env, "--trust", str(trust))
    assert code == 4 and len(out) == 3
    assert all("signer not trusted" in line for line in out)


def test_a_ledger_line_that_is_not_json(env: dict[str, Path]) -> None:
    ledger = env["store"] / "ledger.jsonl"
    lines = ledger.read_text().splitlines()
    ledger.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n")
    code, out, _ = _check(env)
    assert code == 4
    assert f"{ledger}: line 2: not a JSON object" in out
    res = driftctl("sites", "--store", str(env["store"]))
    assert res.returncode == 3
    assert res.stderr.splitlines() == [
        f"driftctl: error: store damaged: {ledger}: line 2: not a JSON object"
    ]


def test_a_stale_state_and_a_missing_file(env: dict[str, Path]) -> None:
    state = env["store"] / "sites" / SITE / "state.json"
    state.write_text(state.read_text().replace('"count": 3', '"count": 9'))
    (_seq(env, 1) / "snapshot.json").unlink()  # now reads as a pruned bundle that is not
    code, out, _ = _check(env)
    assert code == 4
    assert f"{state}: stale: not what the seq directories say" in out
    assert f"{_seq(env, 1)}/manifest.json: not part of a stored bundle" in out
    assert f"{_seq(env, 1)}: pruned, but the ledger says otherwise" in out


def test_check_of_no_store_is_bad_input(tmp_path: Path) -> None:
    res = driftctl("store", "check", "--store", str(tmp_path / "none"))
    assert res.returncode == 2 and "no store here" in res.stderr


@pytest.mark.parametrize("with_trust", [False, True], ids=["recorded-signer", "trust-file"])
def test_a_revoked_key_fails_every_bundle_it_signed(
    env: dict[str, Path], key: SigningKey, with_trust: bool
) -> None:
    revoked = env["base"] / "revoked.pub"
    revoked.write_text(key.public_line() + "\n")
    trust = ["--trust", str(env["trust"])] if with_trust else []
    code, out, _ = _check(env, *trust, "--revoked", str(revoked))
    assert code == 4 and len(out) == 3, out
    assert all("revoked" in line for line in out), out
