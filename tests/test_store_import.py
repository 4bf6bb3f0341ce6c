"""The store: atomic idempotent import, rollback and equivocation refused, gaps, crash recovery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_kit import ROOT, make_key, signer_line, snapshot, tree, trust_file

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.trust import TrustStore, load_trust
from driftctl.bundle.writer import write_bundle
from driftctl.errors import BundleRejected, InputError, OperationalError
from driftctl.inputs import latest_snapshots, site_history
from driftctl.store.store import Store, import_bundle

SITE = "holding"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("k"), SITE)[0]


@pytest.fixture
def trust(tmp_path: Path, key: SigningKey) -> TrustStore:
    return load_trust(trust_file(tmp_path / "as", [signer_line(SITE, key)]))


def bundles(base: Path, key: SigningKey, n: int, tag: str = "") -> list[Path]:
    """``n`` consecutive bundles of SITE from one collector (own out dir and seq state)."""
    out = []
    for i in range(n):
        when = f"2026-11-{10 + i:02d}T00:00:00Z"
        snap = snapshot(SITE, when, components={"parser": {"workload": None, "version": tag}})
        out.append(write_bundle(base / f"out{tag}", snap, [], {"total": 0}, key, "1").path)
    return out


def test_import_then_reimport_is_a_noop(tmp_path: Path, key: SigningKey, trust: TrustStore) -> None:
    store = Store(tmp_path / "store")
    (b1,) = bundles(tmp_path, key, 1)
    result = import_bundle(store, b1, trust)
    assert (result.status, result.site, result.seq, result.gap) == ("imported", SITE, 1, None)
    before = tree(store.root)
    assert import_bundle(store, b1, trust).status == "already imported"
    assert tree(store.root) == before
    ledger = [json.loads(line) for line in (store.root / "ledger.jsonl").read_text().splitlines()]
    assert [(e["site"], e["seq"], e["result"]) for e in ledger] == [(SITE, 1, "imported")]
    state = json.loads((store.root / "sites" / SITE / "state.json").read_text())
    assert (state["seq"], state["collected_at"]) == (1, "2026-11-10T00:00:00Z")


def test_older_bundle_is_stored_as_history(
    tmp_path: Path, key: SigningKey, trust: TrustStore
) -> None:
    store = Store(tmp_path / "store")
    b1, b2 = bundles(tmp_path, key, 2)
    import_bundle(store, b2, trust)
    result = import_bundle(store, b1, trust)
    assert (result.status, result.links, result.gap) == ("imported as history", (2,), None)
    (state,) = store.sites()
    assert (state.latest.seq, state.history, state.gaps) == (2, 1, ())
    assert [e.seq for e in store.history(SITE)] == [1, 2]
    ledger = [json.loads(line) for line in (store.root / "ledger.jsonl").read_text().splitlines()]
    assert [e["result"] for e in ledger] == ["imported-with-gap", "imported-as-history"]
    assert import_bundle(store, b1, trust).status == "already imported"


def test_equivocation_is_refused(tmp_path: Path, key: SigningKey, trust: TrustStore) -> None:
    store = Store(tmp_path / "store")
    (a,) = bundles(tmp_path, key, 1, tag="a")
    (b,) = bundles(tmp_path, key, 1, tag="b")  # same seq 1, other bytes, validly signed
    import_bundle(store, a, trust)
    before = tree(store.root)
    with pytest.raises(BundleRejected, match="equivocation: holding seq 1"):
        import_bundle(store, b, trust)
    assert tree(store.root) == before


def test_gaps_are_recorded_not_rejected(tmp_path: Path, key: SigningKey, trust: TrustStore) -> None:
    store = Store(tmp_path / "store")
    b1, _b2, b3 = bundles(tmp_path, key, 3)
    import_bundle(store, b1, trust)
    result = import_bundle(store, b3, trust)
    assert (result.status, result.gap) == ("imported", "seq 2 missing before seq 3")
    (state,) = store.sites()
    assert state.latest.seq == 3 and state.gaps == ("seq 2 missing before seq 3",)
    ledger = (store.root / "ledger.jsonl").read_text().splitlines()
    assert json.loads(ledger[-1])["result"] == "imported-with-gap"


@pytest.mark.parametrize("first", ["a1", "b2"], ids=["seq1-first", "seq2-first"])
def test_prev_sha256_mismatch_is_equivocation_in_either_order(
    tmp_path: Path, key: SigningKey, trust: TrustStore, first: str
) -> None:
    """Two collectors for one site (state copied): seq 2 links to another seq 1 than the stored."""
    store = Store(tmp_path / "store")
    (a1,) = bundles(tmp_path, key, 1, tag="a")
    _b1, b2 = bundles(tmp_path, key, 2, tag="b")
    one, two = (a1, b2) if first == "a1" else (b2, a1)
    import_bundle(store, one, trust)
    before = tree(store.root)
    with pytest.raises(BundleRejected, match="equivocation: holding seq") as info:
        import_bundle(store, two, trust)
    assert two.name in str(info.value) and one.name in str(info.value)  # names both bundles
    assert tree(store.root) == before


def test_leftover_staging_dir_is_ignored_and_cleaned(
    tmp_path: Path, key: SigningKey, trust: TrustStore
) -> None:
    store = Store(tmp_path / "store")
    b1, b2 = bundles(tmp_path, key, 2)
    import_bundle(store, b1, trust)
    junk = store.root / ".tmp-import-crashed"
    junk.mkdir()
    (junk / "half.tar.gz").write_bytes(b"\x1f\x8b half")
    assert [s.latest.seq for s in store.sites()] == [1]
    assert import_bundle(store, b2, trust).status == "imported"
    assert not junk.exists()
    assert [s.latest.seq for s in store.sites()] == [2]


def test_truncated_state_file_is_rebuilt(
    tmp_path: Path, key: SigningKey, trust: TrustStore
) -> None:
    store = Store(tmp_path / "store")
    b1, b2 = bundles(tmp_path, key, 2)
    import_bundle(store, b1, trust)
    state_file = store.root / "sites" / SITE / "state.json"
    state_file.write_bytes(state_file.read_bytes()[:10])
    assert store.sites()[0].latest.seq == 1
    assert import_bundle(store, b1, trust).status == "already imported"
    import_bundle(store, b2, trust)
    assert json.loads(state_file.read_text())["seq"] == 2


def test_crash_after_rename_before_state_update(
    tmp_path: Path, key: SigningKey, trust: TrustStore
) -> None:
    """state.json still says seq 1 while seq 2 is complete: the seq directories win."""
    store = Store(tmp_path / "store")
    b1, b2, b3 = bundles(tmp_path, key, 3)
    import_bundle(store, b1, trust)
    old_state = (store.root / "sites" / SITE / "state.json").read_bytes()
    import_bundle(store, b2, trust)
    (store.root / "sites" / SITE / "state.json").write_bytes(old_state)
    assert store.sites()[0].latest.seq == 2
    assert import_bundle(store, b2, trust).status == "already imported"
    assert import_bundle(store, b3, trust).gap is None


def test_damaged_meta_is_a_clear_operational_error(
    tmp_path: Path, key: SigningKey, trust: TrustStore
) -> None:
    store = Store(tmp_path / "store")
    (b1,) = bundles(tmp_path, key, 1)
    import_bundle(store, b1, trust)
    meta = store.root / "sites" / SITE / "000001" / "meta.json"
    meta.write_text('{"site": ')
    with pytest.raises(OperationalError, match=f"store damaged: {meta}"):
        store.sites()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", "1"),
        ("seq", True),
        ("sha256", 1),
        ("collected_at", 5),
        ("imported_at", None),
        ("gap", ["x"]),
        ("site", "utility"),
    ],
)
def test_meta_with_wrong_types_is_store_damaged_everywhere(
    tmp_path: Path, key: SigningKey, trust: TrustStore, field: str, value: object
) -> None:
    store = Store(tmp_path / "store")
    (b1,) = bundles(tmp_path, key, 1)
    import_bundle(store, b1, trust)
    meta = store.root / "sites" / SITE / "000001" / "meta.json"
    data = json.loads(meta.read_text())
    data[field] = value
    meta.write_text(json.dumps(data))
    before = tree(store.root)
    with pytest.raises(OperationalError, match=f"store damaged: {meta}: {field}"):
        store.sites()
    with pytest.raises(OperationalError, match=f"store damaged: {meta}: {field}"):
        site_history(store.root, SITE, 1)
    for command in (["sites"], ["diff"], ["import", str(b1), "--trust", str(trust.path)]):
        res = subprocess.run(
            [sys.executable, "-m", "driftctl", *command, "--store", str(store.root)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert res.returncode == 3, (command, res.stderr)
        lines = res.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"driftctl: error: store damaged: {meta}: {field}"
        )
    assert tree(store.root) == before


def test_unwritable_ledger_fails_the_import_before_anything_changes(
    tmp_path: Path, key: SigningKey, trust: TrustStore
) -> None:
    store = Store(tmp_path / "store")
    b1, b2 = bundles(tmp_path, key, 2)
    import_bundle(store, b1, trust)
    ledger = store.root / "ledger.jsonl"
    ledger.unlink()
    ledger.mkdir()  # the ledger cannot be appended to: the import must not happen at all
    before = tree(store.root)
    with pytest.raises(OperationalError, match=f"{ledger}"):
        import_bundle(store, b2, trust)
    assert tree(store.root) == before
    assert not (store.root / "sites" / SITE / "000002").exists()


def test_torn_ledger_tail_is_cut(tmp_path: Path, key: SigningKey, trust: TrustStore) -> None:
    """A partial last line never committed anything: the next command removes it."""
    store = Store(tmp_path / "store")
    b1, b2 = bundles(tmp_path, key, 2)
    import_bundle(store, b1, trust)
    with (store.root / "ledger.jsonl").open("a") as fh:
        fh.write('{"imported_at": "2026-')
    import_bundle(store, b2, trust)
    lines = (store.root / "ledger.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2]


def test_concurrent_imports_are_serialised(tmp_path: Path, key: SigningKey) -> None:
    trust = trust_file(tmp_path / "as2", [signer_line(SITE, key)])
    paths = bundles(tmp_path, key, 6)
    store = tmp_path / "store"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "driftctl",
                "import",
                str(p),
                "--trust",
                str(trust),
                "--store",
                str(store),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in paths
    ]
    outcomes = [(*proc.communicate(timeout=60), proc.returncode) for proc in procs]
    for out, err, code in outcomes:
        assert code == 0 and "Traceback" not in err, err
        assert out.startswith(("imported holding seq", "imported as history holding seq"))
    (state,) = Store(store).sites()  # whatever order the lock gave, older ones are history
    assert (state.latest.seq, state.count, state.gaps) == (6, 6, ())
    ledger = (store / "ledger.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["seq"] for line in ledger) == [1, 2, 3, 4, 5, 6]


def test_inputs_from_store_and_from_bundles(tmp_path: Path, key: SigningKey) -> None:
    trust_path = trust_file(tmp_path / "as", [signer_line(SITE, key)])
    b1, b2 = bundles(tmp_path, key, 2)
    store = Store(tmp_path / "store")
    for b in (b1, b2):
        import_bundle(store, b, load_trust(trust_path))
    (latest,) = latest_snapshots(store.root)
    assert (latest.site, latest.seq, latest.collected_at) == (SITE, 2, "2026-11-11T00:00:00Z")
    assert latest.snapshot.site == SITE
    (direct,) = latest_snapshots(None, bundles=[b2, b1], trust=trust_path)
    assert (direct.seq, direct.sha256) == (2, latest.sha256)
    assert site_history(store.root, SITE, 1).collected_at == "2026-11-10T00:00:00Z"
    assert latest_snapshots(store.root, sites=[SITE])[0].seq == 2
    with pytest.raises(InputError, match="--site capital: no such site"):
        latest_snapshots(store.root, sites=["capital"])
    with pytest.raises(InputError, match="seq 9: not in the store"):
        site_history(store.root, SITE, 9)
    with pytest.raises(InputError, match="without --trust"):
        latest_snapshots(None, bundles=[b1])
    with pytest.raises(InputError, match="no store here"):
        latest_snapshots(tmp_path / "nowhere")


def test_default_store_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from driftctl.inputs import default_store

    monkeypatch.setenv("DRIFTCTL_STORE", str(tmp_path / "s"))
    assert default_store() == tmp_path / "s"
    monkeypatch.delenv("DRIFTCTL_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "x"))
    assert default_store() == tmp_path / "x" / "driftctl" / "store"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert default_store() == tmp_path / "h" / ".local" / "share" / "driftctl" / "store"
