"""Preflight report renderers against golden files; the JSON shape of docs/reports.md; table width; JUnit cases."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from golden_kit import check_golden
from policy_builders import NOW, Snap, financial_group, platform, public_institution, stamp

from driftctl.formats import Format
from driftctl.formats.preflight import render
from driftctl.policy.evaluate import evaluate
from driftctl.policy.load import load_policy
from driftctl.policy.model import PreflightReport
from driftctl.release.file import load_release

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "preflight"
SUFFIX = {Format.TABLE: "txt", Format.JSON: "json", Format.MARKDOWN: "md", Format.JUNIT: "xml"}


def fleet_report() -> PreflightReport:
    utility = platform(
        "utility",
        frontend="3.0.1",
        parser_api="v2",
        mcp={"timeoutSeconds": 15, "backoffSeconds": 5, "initOnStart": False},
        gpus={"gpu-1": {"driver_version": "535.54.03", "cuda_version": "12.2"}, "gpu-2": None},
    )
    snaps = [
        *financial_group(),
        public_institution(),
        Snap("utility", 3, stamp(timedelta(days=15)), utility),
    ]
    return evaluate(
        load_policy(None),
        load_release(ROOT / "manifests" / "release.example.yaml"),
        snaps,
        sites=["capital", "holding", "public-institution", "savings-bank", "utility", "wind-farm"],
        allow_stale=False,
        now=NOW,
    )


TEXT_FORMATS = [f for f in Format if f is not Format.HTML]  # HTML: tests/test_formats_html.py


@pytest.mark.parametrize("fmt", TEXT_FORMATS, ids=[f.value for f in TEXT_FORMATS])
def test_render_matches_golden(fmt: Format) -> None:
    text = render(fleet_report(), fmt)
    check_golden(GOLDEN / f"fleet.{SUFFIX[fmt]}", text)


def test_json_has_the_documented_shape() -> None:
    doc = json.loads(render(fleet_report(), Format.JSON))
    assert doc["release"] == "2026.11-r2" and doc["verdict"] == "block"
    assert set(doc["sites"]) == {
        "capital",
        "holding",
        "public-institution",
        "savings-bank",
        "utility",
        "wind-farm",
    }
    for entry in doc["sites"].values():
        assert entry["verdict"] in ("pass", "warn", "block")
        assert set(entry["snapshot"]) == {"seq", "collected_at"}
        for finding in entry["findings"]:
            assert {"rule", "severity", "message"} <= set(finding)
            assert finding["severity"] in ("block", "warn")
    assert doc["sites"]["capital"] == {
        "verdict": "pass",
        "snapshot": {"seq": 9, "collected_at": "2026-11-22T06:00:00Z"},
        "findings": [],
    }
    assert doc["sites"]["wind-farm"]["snapshot"] == {"seq": None, "collected_at": None}
    assert doc["summary"] == {"pass": 1, "warn": 0, "block": 5}


def test_table_is_readable_at_100_columns() -> None:
    text = render(fleet_report(), Format.TABLE)
    assert max(len(line) for line in text.splitlines()) <= 100
    site_lines = [ln for ln in text.splitlines() if ln and not ln.startswith(" ")][2:]
    assert [ln.split()[:2] for ln in site_lines] == [
        ["capital", "pass"],
        ["holding", "block"],
        ["public-institution", "block"],
        ["savings-bank", "block"],
        ["utility", "block"],
        ["wind-farm", "block"],
    ]


def test_junit_has_one_case_per_site_and_rule() -> None:
    report = fleet_report()
    root = ET.fromstring(render(report, Format.JUNIT))
    cases = root.findall("./testsuite/testcase")
    rules = len(load_policy(None).rules) + 2  # + freshness, release
    assert len(cases) == 5 * rules + 1  # wind-farm has no snapshot: freshness only
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert ("preflight.savings-bank", "frontend-parser-api") in failed
    assert ("preflight.capital", "frontend-parser-api") not in failed
    warned = [c for c in cases if c.find("system-out") is not None and c.find("failure") is None]
    assert any(c.get("name") == "mcp-timeout" for c in warned)
    assert root.get("failures") == str(len(failed))


def test_a_junit_reader_sees_the_blocked_sites_as_failures(tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    path = tmp_path / "preflight.xml"
    path.write_text(render(fleet_report(), Format.JUNIT))
    (suite,) = list(JUnitXml.fromfile(str(path)))
    failed = {(c.classname, c.name) for c in suite if any(isinstance(r, Failure) for r in c.result)}
    assert ("preflight.savings-bank", "frontend-parser-api") in failed
    assert ("preflight.capital", "frontend-parser-api") not in failed
    assert suite.failures == len(failed) and suite.errors == 0
