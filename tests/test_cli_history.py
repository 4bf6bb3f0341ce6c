"""``driftctl history`` on a site with a past (tests/history_kit.py): each change once, at the
seq it appeared; the drift it shows now, dated; filters, gaps, formats and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import cli_kit
import pytest
from bundle_kit import make_key, signer_line, trust_file
from history_kit import SITE, Story, build_story
from reports_kit import HOSTILE, raw_controls
from schema_kit import check
from snapshot_kit import clock, container, failure, node, snapshot_dict, workload

from driftctl.bundle.writer import write_bundle

GOLDEN = Path(__file__).parent / "golden" / "history"


def driftctl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return cli_kit.run(*map(str, args))


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    return build_story(tmp_path_factory.mktemp("story"))


def imported(base: Path, story: Story, savings: list[Path]) -> Path:
    root = base / "store"
    res = driftctl("import", *savings, *story.others, "--trust", story.trust, "--store", root)
    assert res.returncode == 0, res.stderr
    return root


@pytest.fixture(scope="module")
def store(story: Story, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return imported(tmp_path_factory.mktemp("all"), story, story.savings)


def history(store: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    res = driftctl("history", "--site", SITE, "--store", store, *args)
    assert res.returncode == code, res.stderr
    return res


def as_json(store: Path, *args: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(history(store, "--format", "json", *args).stdout)
    return doc


def changes(doc: dict[str, Any]) -> dict[str, list[tuple[int, Any, Any]]]:
    """key -> [(seq, old, new)] over every bundle."""
    out: dict[str, list[tuple[int, Any, Any]]] = {}
    for step in doc["bundles"]:
        for c in step["changes"]:
            out.setdefault(c["key"], []).append((step["seq"], c["old"], c["new"]))
    return out


FRONTEND = "components.frontend.version"
TIMEOUT = "helm.ai-platform/docai.values.mcpHub.timeoutSeconds"
SYNCED = "nodes.time.synchronized"


def test_each_change_is_reported_once_at_the_seq_it_appeared(store: Path) -> None:
    doc = as_json(store)
    assert [s["seq"] for s in doc["bundles"]] == [1, 2, 3, 4, 5, 6]
    assert [s["after"] for s in doc["bundles"]] == [None, 1, 2, 3, 4, 5]
    found = changes(doc)
    assert found[FRONTEND] == [(3, "3.0.1", "2.3.4")]
    assert found["components.frontend.parser_api"] == [(3, "v2", "v1")]
    assert found[TIMEOUT] == [(4, 3, 15)]
    assert found[SYNCED] == [(5, {"true": 4}, {"false": 1, "true": 3})]
    (synced,) = [c for c in doc["bundles"][4]["changes"] if c["key"] == SYNCED]
    assert synced["nodes"] == [{"node": "sb-gpu2", "old": True, "new": False}]
    assert all(len(seen) == 1 for seen in found.values()), found
    # seq 2 changed nothing; seq 6 only pulled the same images through another mirror
    assert doc["bundles"][1]["changes"] == [] and doc["bundles"][5]["changes"] == []
    assert {seq for seen in found.values() for seq, *_ in seen} == {3, 4, 5}


def test_the_drift_shown_now_names_the_bundle_it_appeared_in(store: Path) -> None:
    doc = as_json(store)
    assert doc["sites"] == ["capital", "holding", "savings-bank"]
    drift = {d["key"]: d for d in doc["drift"]}
    assert drift[FRONTEND]["value"] == "2.3.4"
    assert drift[FRONTEND]["since"] == {
        "seq": 3,
        "collected_at": "2026-10-03T06:00:00Z",
        "change": "changed",
        "old": "3.0.1",
        "new": "2.3.4",
    }
    assert drift[TIMEOUT]["since"]["seq"] == 4
    assert drift[SYNCED]["since"]["seq"] == 5 and "sb-gpu2" in drift[SYNCED]["message"]
    # a value that differs from the other sites since before the oldest stored bundle
    assert drift["helm.ai-platform/docai.values.auth.password"]["since"] == {
        "seq": 1,
        "collected_at": "2026-10-01T06:00:00Z",
        "oldest": True,
    }
    table = history(store).stdout
    assert f"{FRONTEND}: 3.0.1 → 2.3.4 at seq 3, 2026-10-03T06:00:00Z" in table
    assert f"{TIMEOUT}: 3 → 15 at seq 4, 2026-10-04T06:00:00Z" in table


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        pytest.fail(f"{path} rewritten: review the diff, then run again without UPDATE_GOLDEN")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name} changed: review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("table", "savings-bank.txt"), ("markdown", "savings-bank.md"), ("json", "savings-bank.json")],
)
def test_golden(store: Path, fmt: str, name: str) -> None:
    res = history(store, "--format", fmt)
    assert res.stderr == "savings-bank: 6 bundles shown of 6, 12 changes, 14 drift findings\n"
    text = res.stdout
    if fmt == "json":
        # The bundles' digests follow every byte a collector writes; they are checked against
        # the store here, and the golden file has zeros (still a digest for the schema sweep).
        doc = json.loads(text)
        for bundle in doc["bundles"]:
            meta = store / "sites" / SITE / f"{bundle['seq']:06d}" / "meta.json"
            assert bundle["sha256"] == json.loads(meta.read_text())["sha256"]
            text = text.replace(bundle["sha256"], "0" * 64)
    check_golden(name, text)


def test_the_golden_json_validates(store: Path) -> None:
    check("history-report", as_json(store), "driftctl history --format json")


def test_key_keeps_the_matching_facts_only(store: Path) -> None:
    doc = as_json(store, "--key", "helm.*.values.*")
    assert changes(doc) == {TIMEOUT: [(4, 3, 15)]}
    assert len(doc["bundles"]) == 6  # every bundle is still listed, for scripts
    assert {d["key"] for d in doc["drift"]} <= {k for k in changes(as_json(store))} | {
        d["key"] for d in as_json(store)["drift"] if d["key"].startswith("helm.")
    }
    assert all(d["key"].startswith("helm.") for d in doc["drift"])
    table = history(store, "--key", SYNCED).stdout
    assert "seq 1..4" not in table and "seq 2..4  " in table  # quiet bundles fold into one line
    assert "sb-gpu2: true → false" in table


def test_since_shows_later_bundles_and_keeps_the_drift_dated(store: Path) -> None:
    doc = as_json(store, "--since", "2026-10-04")
    assert [s["seq"] for s in doc["bundles"]] == [4, 5, 6]
    assert doc["summary"] == {"bundles": 6, "shown": 3, "changes": 4, "drift": 14}
    drift = {d["key"]: d for d in doc["drift"]}
    assert drift[FRONTEND]["since"]["seq"] == 3  # the answer is not cut off by the filter
    late = as_json(store, "--since", "2026-10-05T06:00:01+00:00")
    assert [s["seq"] for s in late["bundles"]] == [6]


def test_a_missing_bundle_is_shown_as_a_gap(story: Story, tmp_path: Path) -> None:
    without_5 = [p for p in story.savings if not p.name.endswith("000005.tar.gz")]
    doc = as_json(imported(tmp_path, story, without_5))
    last = doc["bundles"][-1]
    assert (last["seq"], last["after"]) == (6, 4)
    assert last["gaps"] == [{"first": 5, "last": 5, "pruned": False}]
    assert [c["key"] for c in last["changes"] if c["key"] == SYNCED] == [SYNCED]
    table = history(imported(tmp_path / "again", story, without_5)).stdout
    assert "seq 6  2026-10-06T06:00:00Z  3 changes since seq 4 (seq 5 missing)" in table


def test_pruned_bundles_are_gaps_before_the_oldest(
    story: Story, store: Path, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    shutil.copytree(store, root)
    assert driftctl("store", "prune", "--keep", "3", "--store", root).returncode == 0
    doc = as_json(root)
    first = doc["bundles"][0]
    assert (first["seq"], first["after"]) == (4, None)
    assert first["gaps"] == [{"first": 1, "last": 3, "pruned": True}]
    drift = {d["key"]: d for d in doc["drift"]}
    assert drift[FRONTEND]["since"] == {
        "seq": 4,
        "collected_at": "2026-10-04T06:00:00Z",
        "oldest": True,
    }
    assert "or earlier (the oldest stored bundle)" in history(root).stdout


def test_output_writes_the_report_to_a_file(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.md"
    res = history(store, "--format", "markdown", "--output", str(out))
    assert res.stdout == ""
    assert out.read_text().startswith("## driftctl history: `savings-bank`")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", "nowhere"], "--site nowhere: no such site in"),
        (["--site", "../sites"], "--site ../sites: no such site in"),
        (["--site", SITE, "--since", "2026-13-01"], "--since: '2026-13-01' is not a date"),
        (["--site", SITE, "--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["--site", SITE, "--since", "2026-10-04T00:00:00"], "has no UTC offset"),
        (["--site", SITE, "--key", "helm.[x"], "--key: "),
        (
            ["--site", SITE, "--format", "junit"],
            "--format: 'junit' is not allowed; use one of",
        ),
        ([], "Missing option '--site'"),
    ],
    ids=["unknown-site", "path", "bad-date", "words", "naive-time", "bad-key", "format", "no-site"],
)
def test_bad_input_is_one_line_and_exit_2(store: Path, args: list[str], message: str) -> None:
    res = driftctl("history", "--store", store, *args)
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("driftctl: error: ")
    assert message in res.stderr


def test_unknown_site_names_the_sites_there_are(store: Path) -> None:
    res = driftctl("history", "--site", "nowhere", "--store", store)
    assert "(have: capital, holding, savings-bank)" in res.stderr


@pytest.mark.parametrize("kind", ["empty", "missing", "file"])
def test_no_store_or_an_empty_one_is_exit_2(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "store"
    if kind == "empty":
        root.mkdir()
    elif kind == "file":
        root.write_text("")
    res = driftctl("history", "--site", SITE, "--store", root)
    assert (res.returncode, res.stdout, res.stderr.count("\n")) == (2, "", 1), res.stderr
    want = {
        "empty": "no bundles in the store",
        "missing": "no store here",
        "file": "not a directory",
    }
    assert want[kind] in res.stderr


def test_a_damaged_stored_snapshot_is_exit_3(store: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    shutil.copytree(store, root)
    path = root / "sites" / SITE / "000004" / "snapshot.json"
    path.write_bytes(path.read_bytes().replace(b'"timeoutSeconds": 15', b'"timeoutSeconds": 15,'))
    res = driftctl("history", "--site", SITE, "--store", root)
    assert (res.returncode, res.stdout, res.stderr.count("\n")) == (3, "", 1), res.stderr
    assert "store damaged" in res.stderr and "000004/snapshot.json" in res.stderr


def test_worker_processes_give_the_answer_of_one(store: Path) -> None:
    one = history(store, "--format", "json", "--jobs", "1").stdout
    for jobs in ("2", "3", "6"):
        assert history(store, "--format", "json", "--jobs", jobs).stdout == one


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_a_damaged_snapshot_is_named_whoever_reads_it(
    store: Path, tmp_path: Path, jobs: str
) -> None:
    root = tmp_path / "store"
    shutil.copytree(store, root)
    for seq in (5, 2):  # the first in seq order is the one reported
        path = root / "sites" / SITE / f"{seq:06d}" / "snapshot.json"
        path.write_bytes(path.read_bytes()[:-3])
    res = driftctl("history", "--site", SITE, "--store", root, "--jobs", jobs)
    assert (res.returncode, res.stdout, res.stderr.count("\n")) == (3, "", 1), res.stderr
    assert "store damaged" in res.stderr and "000002/snapshot.json" in res.stderr


def test_jobs_below_one_is_bad_input(store: Path) -> None:
    res = driftctl("history", "--site", SITE, "--store", store, "--jobs", "0")
    assert (res.returncode, res.stderr.strip()) == (2, "driftctl: error: --jobs: 0 is below 1")


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two bundles of a site whose changed values carry terminal escapes (in an image tag, an
    annotation, a node name and a failure)."""
    base = tmp_path_factory.mktemp("hostile")
    key, _ = make_key(base, "evil")
    trust = trust_file(base / "allowed_signers", [signer_line("evil", key)])
    paths = []
    for day, tag in ((1, "1"), (2, f"2{HOSTILE}")):
        web = workload({"web": container(f"reg/web:{tag}")}, annotations={"note": HOSTILE + tag})
        snap = snapshot_dict(
            "evil",
            f"2026-10-0{day}T00:00:00Z",
            workloads={"ai/Deployment/web": web},
            nodes={f"n{day}{HOSTILE}": node(["control-plane"], time=clock(day == 1))},
            failures=[failure("kubernetes/version", "kubernetes", HOSTILE)] if day == 2 else [],
        )
        paths.append(write_bundle(base / "out", snap, [], {"total": 0}, key, "test").path)
    root = base / "store"
    res = driftctl("import", *paths, "--trust", trust, "--store", root)
    assert res.returncode == 0, res.stderr
    return root


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_hostile_values_never_reach_the_terminal_raw(hostile_store: Path, fmt: str) -> None:
    args = ["history", "--site", "evil", "--store", str(hostile_store), "--format", fmt]
    # bytes, not text: a lone surrogate or a raw byte cannot hide in a decoded string
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args], capture_output=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    out, err = res.stdout.decode("utf-8"), res.stderr.decode("utf-8")
    assert raw_controls(out) == [] and raw_controls(err) == []
    assert "\\x1b]52;" in out or "\\u001b]52;" in out  # shown, as an escape
    if fmt == "json":
        doc = json.loads(out)
        assert doc["bundles"][1]["unknown"] == {"kubernetes": f"kubernetes/version: {HOSTILE}"}
        images = [c["new"] for c in doc["bundles"][1]["changes"] if c["key"].endswith(".image")]
        assert images == [f"reg/web:2{HOSTILE}"]  # the value itself, escaped only as JSON does
