"""Crash safety, proved: kill -9 at every durable step of import, prune and collect; a real full disk.

Each crash runs the real CLI in a subprocess with the test-only hook DRIFTCTL_TEST_CRASH_AT, which
SIGKILLs it at the named step; the next command must leave a consistent store (checked from the
files, by store_kit.assert_consistent) and a retry must then do the work for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_kit import ROOT, make_key, private_key_copy, signer_line, trust_file
from store_kit import assert_consistent, chain, fill, ledger_lines, leftovers, run, tmpfs

from driftctl.bundle.trust import load_trust
from driftctl.bundle.verify import verify_bundle
from driftctl.store.check import check_store
from driftctl.store.store import Store, import_bundle

SITE = "holding"
CRASH, TRACE = "DRIFTCTL_TEST_CRASH_AT", "DRIFTCTL_TEST_CRASH_TRACE"
KILLED = -9

IMPORT_STEPS = [
    "store:marker:tmp-written",  # only the first import into a new store writes the marker
    "import:staging",
    "import:staged",
    "import:ledger-torn",  # half the ledger line written, then killed
    "import:committed",
    "import:state-published",
    "import:renamed",
]
IMPORT_COMMITTED = {"import:committed", "import:state-published", "import:renamed"}
PRUNE_STEPS = [
    "prune:marked",
    "prune:ledger-torn",
    "prune:committed",
    "prune:removed",
    "prune:removed@2",
    "state:tmp-written",
    "prune:state-written",
]
COLLECT_STEPS = [
    "collect:written",
    "collect:state:tmp-written",
    "collect:committed",
    "collect:sig-published",
    "collect:bundle-published",
]
COLLECT_COMMITTED = {"collect:committed", "collect:sig-published", "collect:bundle-published"}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("crash")
    key = make_key(base, SITE)[0]
    paths = chain(base, key, SITE, 4)
    trust = trust_file(base / "allowed_signers", [signer_line(SITE, key)])
    return {"trust": trust, **{f"b{i}": p for i, p in enumerate(paths, start=1)}}


def _import(fleet: dict[str, Path], store: Path, *names: str, **env: str) -> tuple[int, str]:
    args = [str(fleet[n]) for n in names]
    res = run("import", *args, "--trust", str(fleet["trust"]), "--store", str(store), env=env)
    if res.returncode != KILLED:
        assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, res.stdout


def _trace(tmp_path: Path, *args: str) -> list[str]:
    trace = tmp_path / "trace"
    res = run(*args, env={TRACE: str(trace)})
    assert res.returncode == 0, res.stderr
    return trace.read_text().splitlines()


def _no_lock(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in tree.items() if k != ".lock"}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(root.rglob("*"))
    }


def test_import_trace_names_every_step(tmp_path: Path, fleet: dict[str, Path]) -> None:
    """The hook list below is what the code really passes through (a new step must be tested)."""
    store = tmp_path / "store"
    args = ["import", str(fleet["b1"]), "--trust", str(fleet["trust"]), "--store", str(store)]
    assert _trace(tmp_path, *args) == IMPORT_STEPS


@pytest.mark.parametrize("then", ["sites", "import"], ids=["then-sites", "then-retry"])
@pytest.mark.parametrize("step", IMPORT_STEPS)
def test_kill_import_at_every_step(
    tmp_path: Path, fleet: dict[str, Path], step: str, then: str
) -> None:
    store = tmp_path / "store"
    first = step.startswith("store:")  # the marker is written by the very first import only
    target = "b1" if first else "b2"
    if not first:
        import_bundle(Store(store), fleet["b1"], load_trust(fleet["trust"]))
    before = _files(store) if store.exists() else {}
    code, _ = _import(fleet, store, target, **{CRASH: step})
    assert code == KILLED, f"the hook at {step} did not fire"
    committed = step in IMPORT_COMMITTED

    if then == "sites":  # a reader repairs the store first
        res = run("sites", "--store", str(store))
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
        assert_consistent(store)
        if not committed:
            assert _no_lock(_files(store)) == _no_lock(before)  # rolled back: exactly as before
        code, out = _import(fleet, store, target)
        assert code == 0
        assert out.startswith("already imported" if committed else "imported"), out
    else:  # the retry itself repairs, then imports for real
        code, out = _import(fleet, store, target)
        assert code == 0
        status = "already imported" if step == "import:renamed" else "imported"  # it was done
        assert out.startswith(f"{status} {SITE} seq {2 - first}"), out
    assert_consistent(store)

    code, out = _import(fleet, store, "b2", "b3")
    assert code == 0, out
    # The CLI's import writes each bundle's facts index inside its commit: no crash loses it.
    assert (store / "sites" / SITE / "000003" / "facts.jsonl").is_file()
    if not first:
        assert (store / "sites" / SITE / "000002" / "facts.jsonl").is_file()
    state = Store(store).state(SITE)
    assert state is not None and (state.latest.seq, state.count, state.gaps) == (3, 3, ())
    assert [line["seq"] for line in ledger_lines(store)] == [1, 2, 3]
    assert check_store(store, load_trust(fleet["trust"])).problems == ()


def _store_of_four(tmp_path: Path, fleet: dict[str, Path]) -> Path:
    store = tmp_path / "store"
    trust = load_trust(fleet["trust"])
    for name in ("b1", "b2", "b3", "b4"):
        import_bundle(Store(store), fleet[name], trust)
    return store


def test_prune_trace_names_every_step(tmp_path: Path, fleet: dict[str, Path]) -> None:
    store = _store_of_four(tmp_path, fleet)
    steps = _trace(tmp_path, "store", "prune", "--keep", "1", "--store", str(store))
    assert sorted(set(steps)) == sorted({s.split("@")[0] for s in PRUNE_STEPS})
    assert steps.count("prune:removed") == 3


@pytest.mark.parametrize("then", ["sites", "prune"], ids=["then-sites", "then-retry"])
@pytest.mark.parametrize("step", PRUNE_STEPS)
def test_kill_prune_at_every_step(
    tmp_path: Path, fleet: dict[str, Path], step: str, then: str
) -> None:
    store = _store_of_four(tmp_path, fleet)
    before = _files(store)
    prune = ["store", "prune", "--keep", "1", "--store", str(store)]
    assert run(*prune, env={CRASH: step}).returncode == KILLED
    if then == "sites":
        res = run("sites", "--store", str(store))
        assert res.returncode == 0, res.stderr
        assert_consistent(store)
        if step in ("prune:marked", "prune:ledger-torn"):
            assert _files(store) == before  # not committed: nothing happened
    res = run(*prune)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert_consistent(store)
    removed = [
        item["seq"]
        for line in ledger_lines(store)
        if line["result"] == "pruned"
        for item in line["removed"]
    ]
    assert sorted(removed) == [1, 2, 3]  # each removal recorded exactly once
    assert [e.seq for e in Store(store).history(SITE)] == [4]
    assert check_store(store, None).problems == ()


def _collect(base: Path, **env: str) -> tuple[int, str]:
    site = ROOT / "fixtures" / "sites" / SITE
    res = run(
        "collect",
        "--config",
        str(site / "site.yaml"),
        "--from-dump",
        str(site / "dump"),
        "--key",
        str(private_key_copy(ROOT / "fixtures" / "keys" / f"{SITE}_ed25519", base)),
        "--out-dir",
        str(base / "out"),
        "--state-dir",
        str(base / "state"),
        env=env,
    )
    if res.returncode != KILLED:
        assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, res.stderr


def _published(out: Path) -> list[int]:
    return sorted(int(p.name.split("-")[-1].split(".")[0]) for p in out.glob(f"{SITE}-*.tar.gz"))


def _assert_collector_consistent(base: Path) -> None:
    """No temp file; the state names the newest published bundle; all import as one chain."""
    out, state_dir = base / "out", base / "state"
    assert leftovers(out) == [] and leftovers(state_dir) == []
    state = json.loads((state_dir / f"{SITE}.json").read_text())
    seqs = _published(out)
    assert seqs == list(range(1, state["seq"] + 1))
    trust = load_trust(ROOT / "fixtures" / "allowed_signers")
    newest = out / f"{SITE}-{state['seq']:06d}.tar.gz"
    assert verify_bundle(newest, trust).sha256 == state["sha256"]
    store = Store(base / "store")
    results = [import_bundle(store, out / f"{SITE}-{s:06d}.tar.gz", trust) for s in seqs]
    assert [(r.status, r.gap) for r in results] == [("imported", None)] * len(seqs)


def test_collect_trace_names_every_step(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    assert _collect(tmp_path, **{TRACE: str(trace)})[0] == 0
    assert trace.read_text().splitlines() == COLLECT_STEPS


@pytest.mark.parametrize("step", COLLECT_STEPS)
def test_kill_collect_at_every_step(tmp_path: Path, step: str) -> None:
    assert _collect(tmp_path)[0] == 0
    assert _collect(tmp_path, **{CRASH: step})[0] == KILLED
    code, err = _collect(tmp_path)
    assert code == 0, err
    # A committed seq 2 is published by this collect, which then writes seq 3; otherwise the
    # interrupted seq 2 never happened and this collect writes seq 2.
    assert _published(tmp_path / "out") == ([1, 2, 3] if step in COLLECT_COMMITTED else [1, 2])
    if step == "collect:committed":
        assert "published (an interrupted collect had committed it)" in err
    _assert_collector_consistent(tmp_path)


# --- a real full disk (tmpfs) ---------------------------------------------------------------


def _pad_ledger_near_page_end(store: Path) -> None:
    """Make the ledger end 40 bytes before a page boundary, so the next line needs a new page:
    for some amount of free space the commit itself meets the full disk, after a short write."""
    path = store / "ledger.jsonl"
    (line,) = ledger_lines(store)
    size = len(json.dumps(line, sort_keys=True)) + 1 + len(', "note": ""')
    line["note"] = "x" * (4096 - 40 - size)
    path.write_text(json.dumps(line, sort_keys=True) + "\n")
    assert path.stat().st_size == 4096 - 40


def test_import_on_a_full_disk_changes_nothing_then_retry_succeeds(
    tmp_path: Path, fleet: dict[str, Path]
) -> None:
    with tmpfs(tmp_path / "fs", "1m") as fs:
        store = fs / "store"
        import_bundle(Store(store), fleet["b1"], load_trust(fleet["trust"]))
        _pad_ledger_near_page_end(store)
        failed_at: list[str] = []
        for pages in range(16):  # free space from nothing to enough, one page at a time
            filler = fill(fs, pages)
            before = _files(store)
            trace = tmp_path / f"trace-{pages}"
            code, out = _import(fleet, store, "b2", **{TRACE: str(trace)})
            filler.unlink()
            if code == 0:
                assert out == f"imported {SITE} seq 2\n"
                break
            assert code == 3
            assert _files(store) == before, f"{pages} free pages: the store changed"
            failed_at.append(trace.read_text().splitlines()[-1] if trace.exists() else "start")
        else:
            pytest.fail("the import never succeeded, even with 16 free pages")
        # It failed while staging and at the commit (the ledger line) before it succeeded.
        assert "import:ledger-torn" in failed_at and "import:staging" in failed_at, failed_at
        assert_consistent(store)
        assert _import(fleet, store, "b3")[1] == f"imported {SITE} seq 3\n"
        assert check_store(store, None).problems == ()


def test_import_on_a_full_disk_says_so_in_one_line(tmp_path: Path, fleet: dict[str, Path]) -> None:
    with tmpfs(tmp_path / "fs", "256k") as fs:
        store = fs / "store"
        import_bundle(Store(store), fleet["b1"], load_trust(fleet["trust"]))
        filler = fill(fs)
        res = run("import", str(fleet["b2"]), "--trust", str(fleet["trust"]), "--store", str(store))
        assert res.returncode == 3
        assert res.stderr.splitlines() == [
            f"driftctl: error: {store}: store write failed: No space left on device"
        ]
        filler.unlink()
        assert _import(fleet, store, "b2")[0] == 0
        assert_consistent(store)


def test_collect_with_a_full_state_dir_publishes_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "state", "64k") as state_fs:
        assert _collect(tmp_path)[0] == 0
        state_before = _files(state_fs)
        filler = fill(state_fs)
        code, err = _collect(tmp_path)
        assert code == 3
        assert err.splitlines()[-1].startswith(
            f"driftctl: error: {state_fs}: cannot write sequence state: No space left"
        ), err
        assert _published(tmp_path / "out") == [1]
        assert leftovers(tmp_path / "out") == []
        filler.unlink()
        assert _files(state_fs) == state_before
        assert _collect(tmp_path)[0] == 0
        _assert_collector_consistent(tmp_path)


def test_collect_with_a_full_out_dir_publishes_nothing_then_retry_succeeds(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / "out", "256k") as out:
        assert _collect(tmp_path)[0] == 0
        failures = 0
        for pages in range(12):
            filler = fill(out, pages)
            state_before = (tmp_path / "state" / f"{SITE}.json").read_bytes()
            code, err = _collect(tmp_path)
            filler.unlink()
            if code == 0:
                break
            failures += 1
            assert code == 3, err
            assert f"driftctl: error: {out}: cannot write bundle: No space left" in err
            assert _published(out) == [1] and leftovers(out) == []
            assert (tmp_path / "state" / f"{SITE}.json").read_bytes() == state_before
        else:
            pytest.fail("collect never succeeded, even with 12 free pages")
        assert failures > 1
        _assert_collector_consistent(tmp_path)
