"""Ledger lines: each import and prune writes exactly the keys docs/store.md lists, as it says."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bundle_kit import make_key, signer_line, trust_file
from store_kit import chain, ledger_lines

from driftctl.bundle.trust import load_trust
from driftctl.store.prune import prune
from driftctl.store.store import Store, import_bundle

SITE = "capital"
IMPORT_KEYS = {"imported_at", "result", "seq", "sha256", "site", "txn"}
PRUNE_KEYS = {"pruned_at", "removed", "result", "site", "txn"}


def test_every_line_holds_the_documented_keys(tmp_path: Path) -> None:
    key = make_key(tmp_path, SITE)[0]
    trust = load_trust(trust_file(tmp_path / "allowed_signers", [signer_line(SITE, key)]))
    b1, b2, b3 = chain(tmp_path, key, SITE, 3)
    store = Store(tmp_path / "store")
    for bundle in (b1, b3, b2):  # then seq 3 leaves a gap, and seq 2 arrives as history
        import_bundle(store, bundle, trust)
    removals = prune(store.root, keep=1)
    lines = ledger_lines(store.root)
    digests = [hashlib.sha256(b.read_bytes()).hexdigest() for b in (b1, b3, b2)]

    imports, pruned = lines[:3], lines[3]
    assert [(line["seq"], line["sha256"], line["result"]) for line in imports] == [
        (1, digests[0], "imported"),
        (3, digests[1], "imported-with-gap"),
        (2, digests[2], "imported-as-history"),
    ]
    assert [set(line) for line in imports] == [IMPORT_KEYS, IMPORT_KEYS | {"gap"}, IMPORT_KEYS]
    assert imports[1]["gap"] == "seq 2 missing before seq 3"
    assert all(line["site"] == SITE and len(line["txn"]) == 16 for line in lines)

    assert set(pruned) == PRUNE_KEYS
    assert (pruned["site"], pruned["result"]) == (SITE, "pruned")
    assert pruned["removed"] == [
        {"seq": 1, "sha256": digests[0]},
        {"seq": 2, "sha256": digests[2]},
    ]
    assert [(r.site, r.seq) for r in removals] == [(SITE, 1), (SITE, 2)]
