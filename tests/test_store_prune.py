"""``store prune``: keeps the newest N per site and never the latest, records every removal,
refuses bad input, and holds the store lock against a concurrent import."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bundle_kit import ROOT, driftctl, make_key, signer_line, tree, trust_file
from store_kit import assert_consistent, chain, ledger_lines

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.trust import load_trust
from driftctl.errors import BundleRejected
from driftctl.store.store import Store, import_bundle

SITES = ("capital", "holding")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SigningKey]:
    base = tmp_path_factory.mktemp("k")
    return {site: make_key(base / site, site)[0] for site in SITES}


@pytest.fixture
def env(tmp_path: Path, keys: dict[str, SigningKey]) -> dict[str, Path]:
    """capital: seq 1..5 stored; holding: seq 1..2 stored and seq 3 waiting to be imported."""
    trust = trust_file(
        tmp_path / "allowed_signers", [signer_line(site, key) for site, key in keys.items()]
    )
    store = tmp_path / "store"
    capital = chain(tmp_path, keys["capital"], "capital", 5)
    holding = chain(tmp_path, keys["holding"], "holding", 3)
    for path in [*capital, *holding[:2]]:
        import_bundle(Store(store), path, load_trust(trust))
    paths = {f"c{i}": p for i, p in enumerate(capital, start=1)}
    paths |= {f"h{i}": p for i, p in enumerate(holding, start=1)}
    return {"trust": trust, "store": store, "base": tmp_path, **paths}


def _prune(env: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    return driftctl("store", "prune", "--store", str(env["store"]), *args)


def test_prune_keeps_the_newest_and_records_what_went(env: dict[str, Path]) -> None:
    res = _prune(env, "--keep", "2")
    assert res.returncode == 0, res.stderr
    assert [line.split(" (")[0] for line in res.stdout.splitlines()] == [
        "pruned capital seq 1",
        "pruned capital seq 2",
        "pruned capital seq 3",
    ]
    assert res.stderr.startswith("pruned 3 bundles, ")
    store = Store(env["store"])
    assert [e.seq for e in store.history("capital")] == [4, 5]
    assert [e.seq for e in store.history("holding")] == [1, 2]
    (record,) = [line for line in ledger_lines(env["store"]) if line["result"] == "pruned"]
    assert record["site"] == "capital" and [r["seq"] for r in record["removed"]] == [1, 2, 3]
    assert_consistent(env["store"])
    sites = json.loads(driftctl("sites", "--store", str(env["store"]), "-f", "json").stdout)
    capital = sites["sites"][0]
    assert (capital["seq"], capital["history"], capital["pruned"], capital["gaps"]) == (
        5,
        1,
        3,
        [],
    )
    again = _prune(env, "--keep", "2")
    assert (again.returncode, again.stdout) == (0, "")


def test_keep_one_never_removes_the_latest(env: dict[str, Path]) -> None:
    assert _prune(env, "--keep", "1", "--site", "holding").returncode == 0
    store = Store(env["store"])
    assert [e.seq for e in store.history("holding")] == [2]
    assert len(store.history("capital")) == 5  # not selected
    diff = driftctl("diff", "--store", str(env["store"]), "--format", "json")
    assert json.loads(diff.stdout)["sites"] == list(SITES)


def test_dry_run_changes_nothing(env: dict[str, Path]) -> None:
    before = tree(env["store"])
    res = _prune(env, "--keep", "3", "--dry-run")
    assert res.returncode == 0
    assert [line.split(" (")[0] for line in res.stdout.splitlines()] == [
        "would prune capital seq 1",
        "would prune capital seq 2",
    ]
    assert tree(env["store"]) == before


def test_a_pruned_bundle_arriving_again(env: dict[str, Path], keys: dict[str, SigningKey]) -> None:
    _prune(env, "--keep", "1")
    trust = load_trust(env["trust"])
    before = tree(env["store"])
    result = import_bundle(Store(env["store"]), env["c2"], trust)
    assert (result.status, result.pruned) == ("already imported", True)
    assert tree(env["store"]) == before
    (fork,) = chain(env["base"], keys["capital"], "capital", 1, tag="fork")
    with pytest.raises(BundleRejected, match="equivocation: capital seq 1 was already"):
        import_bundle(Store(env["store"]), fork, trust)  # the pruned seq 1 still anchors
    args = ["--site", "capital", "--from", "1", "--to", "5"]
    res = driftctl("diff", "--store", str(env["store"]), *args)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [
        f"driftctl: error: capital seq 1: pruned from the store {env['store']}"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep", "0"], "--keep 0: must be at least 1 (the latest bundle of a site is never"),
        (["--keep", "-3"], "--keep -3: must be at least 1"),
        (["--keep", "2", "--site", "nowhere"], "--site nowhere: no such site in the store"),
    ],
    ids=["keep-0", "keep-negative", "unknown-site"],
)
def test_bad_input_is_one_line_exit_2(env: dict[str, Path], args: list[str], message: str) -> None:
    before = tree(env["store"])
    res = _prune(env, *args)
    assert res.returncode == 2
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"driftctl: error: {message}"), lines
    assert tree(env["store"]) == before


def _popen(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "driftctl", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_prune_and_import_wait_for_the_lock(env: dict[str, Path]) -> None:
    """While someone holds the store lock, neither prune nor import touches the store."""
    store = env["store"]
    fd = os.open(store / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        before = tree(store)
        procs = [
            _popen("store", "prune", "--keep", "1", "--store", str(store)),
            _popen("import", str(env["h3"]), "--trust", str(env["trust"]), "--store", str(store)),
        ]
        time.sleep(3)
        assert [p.poll() for p in procs] == [None, None]
        assert tree(store) == before
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    outcomes = [(*p.communicate(timeout=60), p.returncode) for p in procs]
    assert [code for _, _, code in outcomes] == [0, 0], outcomes
    assert_consistent(store)
    assert Store(store).state("holding").latest.seq == 3  # type: ignore[union-attr]


def test_concurrent_prunes_and_imports_leave_a_consistent_store(env: dict[str, Path]) -> None:
    store = env["store"]
    procs = [_popen("store", "prune", "--keep", str(k), "--store", str(store)) for k in (4, 2, 3)]
    procs += [
        _popen("import", str(env[n]), "--trust", str(env["trust"]), "--store", str(store))
        for n in ("h3", "c1", "h1")
    ]
    outcomes = [(*p.communicate(timeout=60), p.returncode) for p in procs]
    for _, err, code in outcomes:
        assert code == 0 and "Traceback" not in err, err
    assert_consistent(store)
    assert [e.seq for e in Store(store).history("capital")] == [4, 5]
