"""Late bundles are history: any arrival order gives the same store; contradictions are refused."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from bundle_kit import driftctl, make_key, signer_line, tree, trust_file
from store_kit import assert_consistent, canonical_tree, chain, memory_dir

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.trust import TrustStore, load_trust
from driftctl.bundle.verify import VerifiedBundle, verify_bundle
from driftctl.errors import BundleRejected
from driftctl.store.store import Store, import_bundle

SITE = "capital"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("k"), SITE)[0]


@pytest.fixture(scope="module")
def trust_path(tmp_path_factory: pytest.TempPathFactory, key: SigningKey) -> Path:
    return trust_file(tmp_path_factory.mktemp("t") / "allowed_signers", [signer_line(SITE, key)])


@pytest.fixture(scope="module")
def five(tmp_path_factory: pytest.TempPathFactory, key: SigningKey) -> list[Path]:
    return chain(tmp_path_factory.mktemp("five"), key, SITE, 5)


@pytest.fixture
def trust(trust_path: Path) -> TrustStore:
    return load_trust(trust_path)


def test_every_permutation_of_five_gives_the_store_imported_in_order(
    tmp_path: Path, five: list[Path], trust: TrustStore
) -> None:
    verified: list[VerifiedBundle] = [verify_bundle(p, trust) for p in five]
    reference = Store(tmp_path / "in-order")
    for vb in verified:
        assert reference.import_verified(vb).status == "imported"
    want = canonical_tree(reference.root)
    with memory_dir() as scratch:
        for n, order in enumerate(itertools.permutations(range(5))):
            _import_in_order(Store(scratch / f"p{n}"), verified, order, want)


def _import_in_order(
    store: Store, verified: list[VerifiedBundle], order: tuple[int, ...], want: object
) -> None:
    newest = 0
    for i in order:
        result = store.import_verified(verified[i])
        late = i + 1 < newest
        assert result.status == ("imported as history" if late else "imported"), order
        newest = max(newest, i + 1)
    got = canonical_tree(store.root)
    assert got == want, f"arrival order {[i + 1 for i in order]} gave another store"
    assert_consistent(store.root)


def test_history_never_becomes_the_latest_and_links_when_neighbours_arrive(
    tmp_path: Path, five: list[Path], trust: TrustStore
) -> None:
    store = Store(tmp_path / "store")
    b1, b2, b3, b4, b5 = five
    assert import_bundle(store, b5, trust).gap == "seq 1..4 missing before seq 5"
    lone = import_bundle(store, b2, trust)
    assert (lone.status, lone.links) == ("imported as history", ())  # no stored neighbour yet
    assert import_bundle(store, b3, trust).links == (2,)
    assert import_bundle(store, b4, trust).links == (3, 5)
    state = store.state(SITE)
    assert state is not None and state.latest.seq == 5
    assert state.gaps == ("seq 1 missing before seq 2",)
    assert import_bundle(store, b1, trust).links == (2,)
    state = store.state(SITE)
    assert state is not None and (state.latest.seq, state.history, state.gaps) == (5, 4, ())
    assert store.filled() == {SITE: [2, 3, 4, 1]}  # in order of arrival


def test_a_history_bundle_contradicting_a_stored_neighbour_is_equivocation(
    tmp_path: Path, key: SigningKey, five: list[Path], trust: TrustStore
) -> None:
    """A second collector (its state copied) signs another seq 3 and 4: two histories."""
    other = chain(tmp_path, key, SITE, 4, tag="fork")
    store = Store(tmp_path / "store")
    for path in (five[4], five[2]):  # seq 5 and seq 3 of the true chain: 3 has no neighbour
        import_bundle(store, path, trust)
    before = tree(store.root)
    with pytest.raises(BundleRejected, match="equivocation") as info:
        import_bundle(store, other[3], trust)  # the fork's seq 4 names the fork's seq 3
    message = str(info.value)
    assert other[3].name in message and five[2].name in message  # both bundles named
    assert info.value.step == "freshness"
    with pytest.raises(BundleRejected, match=f"equivocation: {SITE} seq 3 was already"):
        import_bundle(store, other[2], trust)
    assert tree(store.root) == before


def test_a_bundle_the_stored_next_does_not_name_is_equivocation(
    tmp_path: Path, key: SigningKey, five: list[Path], trust: TrustStore
) -> None:
    other = chain(tmp_path, key, SITE, 1, tag="fork")
    store = Store(tmp_path / "store")
    import_bundle(store, five[1], trust)  # seq 2 links to the true seq 1
    before = tree(store.root)
    with pytest.raises(BundleRejected, match="links to") as info:
        import_bundle(store, other[0], trust)
    assert other[0].name in str(info.value) and five[1].name in str(info.value)
    assert tree(store.root) == before


def test_sneakernet_through_the_cli(tmp_path: Path, five: list[Path], trust_path: Path) -> None:
    """USB sticks arrive 5, 2, then 4 1 3: sites shows the gaps history filled and those left."""
    store = tmp_path / "store"
    args = ["--trust", str(trust_path), "--store", str(store)]
    res = driftctl("import", str(five[4]), str(five[1]), *args)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        f"imported {SITE} seq 5 (gap: seq 1..4 missing before seq 5)",
        f"imported as history {SITE} seq 2 (no stored neighbour yet)",
    ]
    data = json.loads(driftctl("sites", "--store", str(store), "--format", "json").stdout)
    (row,) = data["sites"]
    assert (row["seq"], row["history"], row["filled"]) == (5, 1, [2])
    assert row["gaps"] == ["seq 1 missing before seq 2", "seq 3..4 missing before seq 5"]
    res = driftctl("import", str(five[3]), str(five[0]), str(five[2]), *args)
    assert res.stdout.splitlines() == [
        f"imported as history {SITE} seq 4 (linked to seq 5)",
        f"imported as history {SITE} seq 1 (linked to seq 2)",
        f"imported as history {SITE} seq 3 (linked to seq 2 and seq 4)",
    ]
    table = driftctl("sites", "--store", str(store)).stdout.splitlines()
    assert table[0].split() == [
        "site",
        "seq",
        "collected_at",
        "age",
        "history",
        "signer",
        "gaps",
        "filled",
    ]
    cells = table[2].split()
    assert cells[:2] == [SITE, "5"] and cells[4] == "4" and cells[5].startswith("SHA256:")
    assert cells[-3:] == ["-", "seq", "1..4"]
    diff = driftctl("diff", "--store", str(store), "--format", "json")
    assert json.loads(diff.stdout)["sites"] == [SITE]
