"""The facts index: diff reads it instead of the snapshots, with byte-identical reports; a missing,
stale, damaged or foreign index is read around, never trusted blindly; ``store check`` verifies it."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path
from typing import Any

import pytest
from bundle_kit import make_key, signer_line, trust_file
from cli_kit import invoke
from fleet_kit import Fleet
from golden_kit import check_golden
from snapshot_kit import gpu, node, snapshot_dict, typed

from driftctl.bundle.writer import write_bundle
from driftctl.diff import diff_sites, flatten
from driftctl.diff.index import SCHEMA, IndexedSite, Unusable, encode, parse
from driftctl.inputs import StoredFacts

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "golden"
FIELD = ("capital", "savings-bank", "utility")
FORMATS = [
    ([], "field.table.txt"),
    (["--format", "json"], "field.json"),
    (["--format", "markdown"], "field.md"),
    (["--format", "junit"], "field.junit.xml"),
    (["--format", "json", "--baseline", "utility"], "field.baseline-utility.json"),
]
ZERO = "0" * 64


def _store_of(base: Path, snapshots: dict[str, dict[str, Any]]) -> Path:
    """Each snapshot signed by its site's key and imported with the CLI (which writes indexes)."""
    lines, bundles = [], []
    for site, snap in snapshots.items():
        key, _ = make_key(base / "keys", site)
        lines.append(signer_line(site, key))
        bundles.append(str(write_bundle(base / "out", snap, [], {"total": 0}, key, "t").path))
    trust = trust_file(base / "allowed_signers", lines)
    store = base / "store"
    res = invoke("import", *bundles, "--trust", str(trust), "--store", str(store))
    assert res.returncode == 0, res.stderr
    return store


@pytest.fixture(scope="module")
def field_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sites = {n: json.loads((GOLDEN / "diff" / "sites" / f"{n}.json").read_text()) for n in FIELD}
    return _store_of(tmp_path_factory.mktemp("field"), sites)


def _diff(store: Path, *args: str) -> tuple[str, str]:
    res = invoke("-v", "diff", "--store", str(store), "--ignore", str(GOLDEN / "diff" / "ignore.yaml"),
                 *args)  # fmt: skip
    assert res.returncode == 1, res.stderr  # the field cases hold errors
    return res.stdout, res.stderr


@pytest.mark.parametrize(("args", "name"), FORMATS, ids=[name for _, name in FORMATS])
def test_diff_from_the_index_is_the_golden_report(
    field_store: Path, args: list[str], name: str
) -> None:
    stdout, log = _diff(field_store, *args)
    assert log.count("facts from the store") == 3 and "snapshot" not in log, log
    check_golden(GOLDEN / "diff" / name, stdout)


def test_the_index_holds_what_flatten_gives(fleet: Fleet) -> None:
    """Every value of every kind (workloads, Helm, components, nodes, failures) round-trips with
    its type: a value that came back as another type could compare or print differently."""
    for site in fleet.sites:
        (seq_dir,) = (fleet.store / "sites" / site).glob("0*")
        meta = json.loads((seq_dir / "meta.json").read_text())
        snap = typed(json.loads((seq_dir / "snapshot.json").read_text()))
        got = parse((seq_dir / "facts.jsonl").read_bytes(), site, 1, meta["sha256"]).facts()
        want = flatten(site, snap)
        assert _typed(got.values) == _typed(want.values)
        assert (got.forms, got.node_forms, got.intra, got.failures, got.unknown_sections) == (
            want.forms,
            want.node_forms,
            want.intra,
            want.failures,
            want.unknown_sections,
        )


def _typed(value: object) -> object:
    """``value`` with the type of every part spelled out, so 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_typed(v) for v in value])
    return (type(value).__name__, value)


def test_the_index_of_a_golden_site_is_stable() -> None:
    """The index's bytes for a fixed snapshot: when flattening changes what a snapshot's facts
    are, this fails — change ``driftctl.diff.index.SCHEMA`` so old indexes are read around, then
    UPDATE_GOLDEN=1."""
    snap = typed(json.loads((GOLDEN / "diff" / "sites" / "capital.json").read_text()))
    data = encode("capital", 1, ZERO, snap)
    assert json.loads(data.split(b"\n")[0])["schema"] == SCHEMA
    check_golden(GOLDEN / "diff" / "capital.facts.jsonl", data.decode("ascii"))


def _copy(store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    return copy


def _facts_file(store: Path, site: str) -> Path:
    (found,) = (store / "sites" / site).glob("0*/facts.jsonl")
    return found


def _rewrite_body(path: Path, edit: Any) -> None:
    """Change the lines after the header and fix the CRC-32: an index that looks intact."""
    lines = path.read_bytes().split(b"\n")
    lines[1:-1] = edit(lines[1:-1])
    header = json.loads(lines[0])
    body = b"\n".join(lines[1:])
    header["crc32"] = zlib.crc32(body)
    path.write_bytes(json.dumps(header, separators=(",", ":")).encode() + b"\n" + body)


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(b"\n") + 3  # inside the keys line
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _other_schema(path: Path) -> None:
    lines = path.read_bytes().split(b"\n")
    header = json.loads(lines[0])
    header["schema"] = "driftctl.facts/v0"
    path.write_bytes(json.dumps(header).encode() + b"\n" + b"\n".join(lines[1:]))


CASES = {
    "missing": (lambda p, other: p.unlink(), "has no facts.jsonl"),
    "another-bundle": (lambda p, other: p.write_bytes(other.read_bytes()), "made for"),
    "damaged": (lambda p, other: _corrupt(p), "CRC-32 mismatch"),
    "not-a-file": (lambda p, other: (p.unlink(), p.mkdir()), "is a directory"),
    "truncated": (lambda p, other: p.write_bytes(p.read_bytes()[:-100]), "not usable"),
    "another-schema": (lambda p, other: _other_schema(p), "written by another driftctl"),
}


@pytest.mark.parametrize("case", CASES, ids=CASES)
@pytest.mark.parametrize("which", ["first", "middle"])
def test_an_unusable_index_is_read_around(
    field_store: Path, tmp_path: Path, case: str, which: str
) -> None:
    """The first site's index is also the one the others' value blocks are compared with."""
    want, _ = _diff(field_store, "--format", "json")
    store = _copy(field_store, tmp_path)
    site = "capital" if which == "first" else "savings-bank"
    damage, words = CASES[case]
    damage(_facts_file(store, site), _facts_file(store, "utility"))
    got, log = _diff(store, "--format", "json")
    assert got == want
    line = next(line for line in log.splitlines() if f"{site} seq 1" in line and "snapshot" in line)
    assert words in line, log
    assert ("WARNING" in line) == (case not in ("missing", "another-schema")), line


def test_store_check_verifies_the_index(field_store: Path, tmp_path: Path) -> None:
    assert invoke("store", "check", "--store", str(field_store)).returncode == 0
    store = _copy(field_store, tmp_path)
    # One value changed, the CRC fixed: diff would trust it, store check must not.
    _rewrite_body(_facts_file(store, "utility"), lambda body: [body[0], body[1].replace(b"15", b"16", 1), *body[2:]])  # fmt: skip
    _corrupt(_facts_file(store, "capital"))
    _other_schema(_facts_file(store, "savings-bank"))
    res = invoke("store", "check", "--store", str(store))
    assert res.returncode == 4
    problems = sorted(res.stdout.splitlines())
    assert len(problems) == 2, problems  # another driftctl's index is read around, not wrong
    assert problems[0].endswith("facts.jsonl: not usable (damaged (CRC-32 mismatch)): diff reads snapshot.json instead")  # fmt: skip
    assert "/capital/" in problems[0]
    assert problems[1].endswith("facts.jsonl: not the facts of the bundle's snapshot")
    assert "/utility/" in problems[1]


def test_store_check_accepts_a_store_without_indexes(field_store: Path, tmp_path: Path) -> None:
    store = _copy(field_store, tmp_path)
    for path in store.glob("sites/*/*/facts.jsonl"):
        path.unlink()
    assert invoke("store", "check", "--store", str(store)).returncode == 0


def _cut_site(site: str, name: str) -> dict[str, Any]:
    card = gpu("595.71.05", "13.2", devices=[{"name": name, "mig": False}])
    return snapshot_dict(site, "2026-11-30T00:00:00Z", nodes={"n1": node(gpu=card)})


def test_a_site_showing_cut_gpu_names_is_read_from_its_snapshot(tmp_path: Path) -> None:
    snaps = {
        "a": _cut_site("a", "NVIDIA GeForce RTX 4080 ..."),
        "b": _cut_site("b", "NVIDIA GeForce RTX 4080 SUPER"),
        "c": _cut_site("c", "NVIDIA GeForce RTX 4090 ..."),
    }
    store = _store_of(tmp_path, snaps)
    found = StoredFacts(store)
    items = list(found)  # the store is released after the last one; snapshots read below
    assert [type(i).__name__ for _, i in items] == ["IndexedSite"] * 3
    assert [i.gpu_cut for _, i in items if isinstance(i, IndexedSite)] == [True, False, True]
    res = invoke("diff", "--store", str(store), "--format", "json", "--fail-on", "never")
    keys = {f["key"] for f in json.loads(res.stdout)["findings"]}
    # a's cut name is b's card; c's is no card seen whole, so it stays a difference.
    assert any(k.endswith("gpu.devices") for k in keys), keys
    report = json.loads(res.stdout)
    devices = next(f for f in report["findings"] if f["key"].endswith("gpu.devices"))
    assert devices["values"]["a"] == devices["values"]["b"] != devices["values"]["c"]


def test_an_index_for_another_site_or_seq_is_refused() -> None:
    snap = typed(_cut_site("a", "NVIDIA A100-SXM4-80GB"))
    data = encode("a", 3, ZERO, snap)
    assert parse(data, "a", 3, ZERO).facts() == flatten("a", snap)
    for site, seq, sha in (("b", 3, ZERO), ("a", 4, ZERO), ("a", 3, "1" * 64)):
        with pytest.raises(Unusable):
            parse(data, site, seq, sha)


def test_mixed_sources_give_the_report_of_the_snapshots(fleet: Fleet, tmp_path: Path) -> None:
    """Sites from their index and from their snapshot in one diff (a store being upgraded),
    whichever comes first: the report is the one of the snapshots alone."""
    want = invoke("diff", "--store", str(fleet.store), "--format", "json", "--fail-on", "never")
    for missing in (fleet.sites[:1], fleet.sites[1:3], fleet.sites):
        store = _copy(fleet.store, tmp_path / "-".join(missing))
        for site in missing:
            _facts_file(store, site).unlink()
        got = invoke("diff", "--store", str(store), "--format", "json", "--fail-on", "never")
        assert got.stdout == want.stdout and got.returncode == want.returncode
    html = invoke("diff", "--store", str(fleet.store), "--format", "html", "--fail-on", "never")
    assert html.returncode == 0  # the page reads the snapshots: it shows every node's clocks


def test_diff_sites_reads_a_damaged_index_snapshot_instead(fleet: Fleet) -> None:
    """A value block that does not parse shows only when diff reaches it: the snapshot is read
    for that site then, and the fleet is as if the index had never been there."""
    found = StoredFacts(fleet.store)
    broken: list[str] = []

    def items() -> Any:
        for site, item in found:
            if isinstance(item, IndexedSite) and site == fleet.sites[-1]:
                item.blocks[0] = b"[not json"
                broken.append(site)
            yield site, item

    got = diff_sites(items(), snapshot_of=found.snapshot_of)
    want = diff_sites((s.site, s.snapshot) for s in _snapshots(fleet))
    assert broken and got == want


def _snapshots(fleet: Fleet) -> Any:
    from driftctl.inputs import stream_latest

    return list(stream_latest(fleet.store))
