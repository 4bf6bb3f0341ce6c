"""The fast reader of stored snapshots refuses what the strict reader refuses, in the same words.

Speed must not open a way around the checks: a snapshot in the store that was damaged or
edited after import (not JSON, duplicate keys, a lone surrogate, NaN, an overflowing number,
not UTF-8) is refused by ``driftctl diff`` exactly as the strict reader refuses it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bundle_kit import driftctl, make_key, signer_line, snapshot, trust_file

from driftctl.bundle.writer import write_bundle
from driftctl.errors import InputError, OperationalError
from driftctl.store.layout import read_snapshot, recorded_sha256
from driftctl.strictjson import loads_json, loads_stored_json

HOSTILE = {
    "not-json": b'{"site": "holding", "nodes": {',
    "duplicate-key": b'{"site": "holding", "nodes": {"a": 1, "a": 2}}',
    "nested-duplicate": b'{"site": "holding", "helm": {"x": {"values": {"k": 1, "k": 1}}}}',
    "lone-surrogate": b'{"site": "holding", "nodes": {"\\ud800": {}}}',
    "surrogate-in-value": b'{"site": "holding", "kubernetes": {"server_version": "v\\udfff"}}',
    "nan": b'{"site": "holding", "nodes": {"n": {"time": {"offset_seconds": NaN}}}}',
    "infinity": b'{"site": "holding", "x": -Infinity}',
    "overflow": b'{"site": "holding", "x": 1e400}',
    "not-utf8": b'{"site": "holding", "x": "\xff"}',
    "trailing-data": b'{"site": "holding"} {}',
    "huge-integer": b'{"site": "holding", "x": ' + b"9" * 5000 + b"}",
    "bom": b'\xef\xbb\xbf{"site": "holding"}',
}


def _strict_error(data: bytes, where: str) -> str:
    with pytest.raises(InputError) as strict:
        loads_json(data, where)
    return str(strict.value)


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_fast_reader_refuses_like_the_strict_reader(data: bytes) -> None:
    with pytest.raises(InputError) as fast:
        loads_stored_json(data, "snapshot.json")
    assert str(fast.value) == _strict_error(data, "snapshot.json")


def test_fast_reader_reads_what_the_strict_reader_reads() -> None:
    data = (
        b'{"site": "holding", "nodes": {"n1": {"time": {"offset_seconds": -0.25}}},'
        b' "helm": {"ai/docai": {"values": {"name": "caf\\u00e9 \\ud83d\\ude00", "n": 1e3}}}}'
    )
    assert loads_stored_json(data, "s") == loads_json(data, "s")


def _imported(tmp_path: Path) -> tuple[Path, Path]:
    """A store holding one imported bundle of ``holding``, and its stored snapshot.json."""
    key, _ = make_key(tmp_path / "k", "holding")
    trust = trust_file(tmp_path / "allowed_signers", [signer_line("holding", key)])
    bundle = write_bundle(tmp_path / "out", snapshot("holding"), [], {"total": 0}, key, "1").path
    store = tmp_path / "store"
    done = driftctl("import", str(bundle), "--trust", str(trust), "--store", str(store))
    assert done.returncode == 0, done.stderr
    (stored,) = store.glob("sites/holding/*/snapshot.json")
    return store, stored


@pytest.mark.parametrize("case", ["not-json", "duplicate-key", "lone-surrogate"])
def test_diff_refuses_an_edited_stored_snapshot(tmp_path: Path, case: str) -> None:
    store, stored = _imported(tmp_path)
    assert driftctl("diff", "--store", str(store), "--fail-on", "never").returncode == 0
    # Diff reads the facts index where there is one (tests/test_diff_index.py); without it,
    # the snapshot itself.
    (stored.parent / "facts.jsonl").unlink()
    stored.write_bytes(HOSTILE[case])
    done = driftctl("diff", "--store", str(store))
    assert done.returncode == 3
    strict = _strict_error(HOSTILE[case], str(stored))
    assert done.stderr.splitlines() == [f"driftctl: error: store damaged: {strict}"]


@pytest.mark.hostile_outputs
@pytest.mark.parametrize("manifest", ["as-imported", "not-json", "missing", "other-digest"])
def test_a_stored_snapshot_reads_as_the_strict_reader_reads_it(
    tmp_path: Path, manifest: str
) -> None:
    """Bytes the stored manifest vouches for are read plainly; without that (the manifest
    damaged, gone, or naming other bytes) the checking reader reads them: the value is the
    strict reader's either way."""
    store, stored = _imported(tmp_path)
    beside = stored.parent / "manifest.json"
    assert recorded_sha256(stored.parent, "snapshot.json") is not None
    if manifest == "not-json":
        beside.write_bytes(b"{")
    elif manifest == "missing":
        beside.unlink()
    elif manifest == "other-digest":
        beside.write_bytes(beside.read_bytes().replace(b'"sha256": "', b'"sha256": "0', 1))
    seq = int(stored.parent.name)
    assert read_snapshot(store, "holding", seq) == loads_json(stored.read_bytes(), "s")


@pytest.mark.hostile_outputs
def test_an_edited_snapshot_is_refused_whatever_its_manifest_says(tmp_path: Path) -> None:
    """The manifest vouches for the bytes imported, not for a file edited since."""
    store, stored = _imported(tmp_path)
    stored.write_bytes(HOSTILE["duplicate-key"])
    with pytest.raises(OperationalError, match="duplicate key 'a'"):
        read_snapshot(store, "holding", int(stored.parent.name))
