"""What --store may name: a file, another version's store, a foreign directory, a legacy store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_kit import driftctl, make_key, signer_line, tree, trust_file
from store_kit import assert_consistent, chain

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.trust import load_trust
from driftctl.store.store import Store, import_bundle

SITE = "savings-bank"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("k"), SITE)[0]


@pytest.fixture
def env(tmp_path: Path, key: SigningKey) -> dict[str, Path]:
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)])
    b1, b2 = chain(tmp_path, key, SITE, 2)
    return {"trust": trust, "b1": b1, "b2": b2, "base": tmp_path}


def _commands(env: dict[str, Path], store: Path) -> dict[str, list[str]]:
    where = ["--store", str(store)]
    return {
        "import": ["import", str(env["b2"]), "--trust", str(env["trust"]), *where],
        "sites": ["sites", *where],
        "diff": ["diff", *where],
        "check": ["store", "check", *where],
        "prune": ["store", "prune", "--keep", "1", *where],
    }


def _one_line(res: object, code: int, start: str) -> None:
    assert res.returncode == code, res.stderr  # type: ignore[attr-defined]
    lines = res.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith(f"driftctl: error: {start}"), lines


@pytest.mark.parametrize("command", ["import", "sites", "diff", "check", "prune"])
def test_a_store_that_is_a_file_is_bad_input(env: dict[str, Path], command: str) -> None:
    store = env["base"] / "store"
    store.write_text("not a directory\n")
    res = driftctl(*_commands(env, store)[command])
    _one_line(res, 2, f"{store}: not a directory (--store names a store directory)")
    assert store.read_text() == "not a directory\n"


@pytest.mark.parametrize("command", ["import", "sites", "diff", "check", "prune"])
def test_a_store_of_another_version_is_refused_untouched(
    env: dict[str, Path], command: str
) -> None:
    store = env["base"] / "store"
    import_bundle(Store(store), env["b1"], load_trust(env["trust"]))
    (store / "store.json").write_text('{"schema": "driftctl.store/v2"}\n')
    before = tree(store)
    res = driftctl(*_commands(env, store)[command])
    _one_line(res, 3, f"{store / 'store.json'}: store written by another driftctl version")
    assert "driftctl.store/v2" in res.stderr and "driftctl.store/v1" in res.stderr
    assert tree(store) == before


def test_a_damaged_marker_is_store_damage(env: dict[str, Path]) -> None:
    store = env["base"] / "store"
    import_bundle(Store(store), env["b1"], load_trust(env["trust"]))
    (store / "store.json").write_text("{")
    _one_line(driftctl("sites", "--store", str(store)), 3, f"store damaged: {store}/store.json")


def test_a_foreign_directory_is_not_made_a_store(env: dict[str, Path]) -> None:
    home = env["base"] / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine\n")
    for command in ("import", "sites"):
        res = driftctl(*_commands(env, home)[command])
        _one_line(res, 2, f"{home}: not a driftctl store (no store.json) and not empty")
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]


def test_a_store_from_before_the_marker_is_adopted(env: dict[str, Path]) -> None:
    """Stores written before store.json: meta.json with 'gap', state.json without history."""
    store = env["base"] / "store"
    import_bundle(Store(store), env["b1"], load_trust(env["trust"]))
    (store / "store.json").unlink()
    meta = store / "sites" / SITE / "000001" / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "gap": None}))
    state = store / "sites" / SITE / "state.json"
    old_state = {k: v for k, v in json.loads(state.read_text()).items() if k in ("site", "seq")}
    state.write_text(json.dumps(old_state))
    res = driftctl("sites", "--store", str(store), "--format", "json")
    assert res.returncode == 0 and json.loads(res.stdout)["sites"][0]["seq"] == 1
    assert not (store / "store.json").exists()  # a reader writes nothing
    res = driftctl(*_commands(env, store)["import"])
    assert res.returncode == 0, res.stderr
    assert json.loads((store / "store.json").read_text()) == {"schema": "driftctl.store/v1"}
    assert json.loads(state.read_text())["seq"] == 2
    assert_consistent(store)
