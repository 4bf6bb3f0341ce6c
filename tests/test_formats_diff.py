"""Golden outputs of every diff format; ``UPDATE_GOLDEN=1`` rewrites them (and fails: re-run)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from golden_kit import check_golden
from snapshot_kit import diff_dicts

from driftctl.diff import DiffReport, load_ignore
from driftctl.formats import Format
from driftctl.formats.diff import render

GOLDEN = Path(__file__).parent / "golden" / "diff"
NAMES = ("capital", "savings-bank", "utility")
ERROR_RANK = 3


def field_report(baseline: str | None = None) -> DiffReport:
    snaps = [(n, json.loads((GOLDEN / "sites" / f"{n}.json").read_text())) for n in NAMES]
    return diff_dicts(snaps, load_ignore(GOLDEN / "ignore.yaml"), baseline)


CASES = [
    (Format.TABLE, None, "field.table.txt"),
    (Format.JSON, None, "field.json"),
    (Format.MARKDOWN, None, "field.md"),
    (Format.JUNIT, None, "field.junit.xml"),
    (Format.JSON, "utility", "field.baseline-utility.json"),
]


@pytest.mark.parametrize(("fmt", "baseline", "name"), CASES, ids=[c[2] for c in CASES])
def test_golden(fmt: Format, baseline: str | None, name: str) -> None:
    check_golden(GOLDEN / name, render(field_report(baseline), fmt, ERROR_RANK))


def test_table_fits_100_columns_and_switches_layout_with_many_sites() -> None:
    report = field_report()
    text = render(report, Format.TABLE, ERROR_RANK)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "key  " in text and "savings-bank" in text.splitlines()[1]
    many = DiffReport(
        sites=tuple(f"site-{i:02d}" for i in range(8)),
        facts=report.facts,
        findings=report.findings[:1],
    )
    long_layout = render(many, Format.TABLE, ERROR_RANK)
    assert long_layout.splitlines()[1].split() == ["key", "sev", "site", "value"]
    assert max(len(line) for line in long_layout.splitlines()) <= 100


def test_json_has_the_design_keys_in_a_stable_order() -> None:
    doc = json.loads(render(field_report(), Format.JSON, ERROR_RANK))
    assert list(doc) == ["sites", "baseline", "summary", "findings", "ignored", "failures"]
    first = doc["findings"][0]
    assert {"key", "category", "severity", "values", "message"} <= set(first)
    assert doc["summary"]["ignored"] == len(doc["ignored"]) == 1


def test_junit_fails_at_the_threshold_only() -> None:
    report = field_report()
    for rank, expected in ((3, report.counts()["error"]), (2, 0), (99, 0)):
        root = ET.fromstring(render(report, Format.JUNIT, rank))
        failures = int(root.get("failures", "-1"))
        if rank == 2:
            expected = report.counts()["error"] + report.counts()["warn"]
        assert failures == expected
    root = ET.fromstring(render(report, Format.JUNIT, 3))
    names = [c.get("name") for c in root.iter("testcase")]
    assert "components.frontend.version" in names
    assert len(list(root.iter("skipped"))) == len(report.ignored)


def test_junit_has_one_testcase_per_fact_and_a_junit_reader_accepts_it(tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml, Skipped

    report = field_report()
    path = tmp_path / "drift.xml"
    path.write_text(render(report, Format.JUNIT, ERROR_RANK))
    suites = list(JUnitXml.fromfile(str(path)))
    assert len(suites) == 1
    suite = suites[0]
    cases = list(suite)
    assert suite.tests == len(cases) == report.facts
    assert len({(c.classname, c.name) for c in cases}) == report.facts
    failed = {c.name for c in cases if any(isinstance(r, Failure) for r in c.result)}
    skipped = {c.name for c in cases if any(isinstance(r, Skipped) for r in c.result)}
    assert failed == {f.key for f in report.failing(ERROR_RANK)}
    assert suite.failures == len(failed)
    assert skipped == {ig.key for ig in report.ignored}


@pytest.mark.parametrize("fmt", [Format.TABLE, Format.MARKDOWN])
def test_a_failed_collection_is_told_once_however_many_facts_it_hides(fmt: Format) -> None:
    # One failed workload list hides every workload fact of the site: in the reports people
    # read, the reason is one line with the count, not repeated in each finding's note (JSON
    # and JUnit keep it per finding, for machines).
    from snapshot_kit import container, failure, snapshot_dict, workload

    error = "kubectl get deployments: exit 1: Unauthorized: token-expired-at-0312"
    loads = {
        f"ai/Deployment/app-{i}": workload({"app": container(f"reg/app:{i}")}) for i in range(40)
    }
    good = snapshot_dict("capital", workloads=loads)
    blind = snapshot_dict("holding", failures=[failure("kubernetes/workloads", "workloads", error)])
    report = diff_dicts([("capital", good), ("holding", blind)])
    assert len(report.findings) >= 40
    assert [f.site for f in report.failures] == ["holding"]
    assert report.failures[0].facts >= len(report.findings)
    assert render(report, fmt, ERROR_RANK).count("token-expired-at-0312") == 1
