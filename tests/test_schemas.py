"""docs/schemas/ is what the model generates, and what driftctl writes validates against it.

To regenerate after a model change: ``.venv/bin/python -c "import driftctl.schemas as s;
s.write_all()"``, then review the diff of docs/schemas/ like any golden file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_kit import bundle_from, members, relist
from schema_kit import SCHEMAS, check, problems, sweep, validator

from driftctl import schemas

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_committed_schema_is_the_generated_one(name: str) -> None:
    committed = (SCHEMAS / name).read_text()
    assert committed == schemas.render(schemas.SCHEMAS[name]()), (
        f"docs/schemas/{name} is stale: regenerate it (see this module's docstring)"
    )


def test_no_stray_schema_files() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(schemas.SCHEMAS)


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("diff-report", GOLDEN / "diff" / "field.json"),
        ("diff-report", GOLDEN / "diff" / "field.baseline-utility.json"),
        ("preflight-report", GOLDEN / "preflight" / "fleet.json"),
        *(("snapshot", p) for p in sorted((GOLDEN / "diff" / "sites").glob("*.json"))),
    ],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_golden_documents_validate(kind: str, path: Path) -> None:
    check(kind, json.loads(path.read_text()), str(path.relative_to(ROOT)))


def test_manifest_written_by_the_writer_validates() -> None:
    items = dict(members("savings-bank"))
    check("manifest", json.loads(items["manifest.json"]), "manifest.json")
    check("snapshot", json.loads(items["snapshot.json"]), "snapshot.json")


@pytest.mark.parametrize(
    ("kind", "doc"),
    [
        ("manifest", {"schema": "driftctl.bundle/v1"}),
        ("diff-report", {"sites": [], "summary": {}, "findings": [{"key": "k"}]}),
        ("preflight-report", {"release": "r", "verdict": "warned", "sites": {}}),
    ],
    ids=[
        "manifest-missing-fields",
        "finding-missing-keys",
        "overall-verdict-is-pass-warn-or-block",
    ],
)
def test_schemas_refuse_what_the_contract_refuses(kind: str, doc: object) -> None:
    assert problems(kind, doc)


@pytest.mark.hostile_outputs
def test_the_sweep_finds_a_bad_bundle_and_a_bad_report(tmp_path: Path) -> None:
    """The end-of-run check (conftest.py) is only worth something if it can fail."""
    good = tmp_path / "ok"
    good.mkdir()
    (good / "b.tar.gz").write_bytes(bundle_from(members("savings-bank")))
    (good / "b.tar.gz.sig").write_text("not checked here")
    assert sweep(good, set()) == (2, [])
    bad = tmp_path / "bad"
    bad.mkdir()
    items = members("savings-bank")
    snap = json.loads(dict(items)["snapshot.json"]) | {"extra": 1}
    planted = relist(
        [(n, json.dumps(snap).encode() if n == "snapshot.json" else d) for n, d in items]
    )
    (bad / "b.tar.gz").write_bytes(bundle_from(planted))
    (bad / "b.tar.gz.sig").write_text("")
    (bad / "report.json").write_text(json.dumps({"sites": ["a"], "summary": {}, "findings": [1]}))
    checked, found = sweep(bad, set())
    assert checked == 3
    assert any("snapshot" in p and "extra" in p for p in found), found
    assert any("report.json (diff-report)" in p for p in found), found
    assert sweep(bad, {bad}) == (0, [])


def test_every_schema_is_valid_draft_2020_12() -> None:
    for name in schemas.SCHEMAS:
        validator(name.removesuffix(".schema.json"))
