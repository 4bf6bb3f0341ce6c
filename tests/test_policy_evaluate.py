"""Sites × rules → verdicts on the field cases: the release gate, staleness, site selection."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from policy_builders import NOW, Snap, financial_group, platform, public_institution, stamp

from driftctl.errors import InputError
from driftctl.policy.evaluate import evaluate, parse_duration
from driftctl.policy.load import load_policy, parse_policy
from driftctl.policy.model import GateSeverity, PreflightReport, SiteResult, Verdict, worst
from driftctl.release.file import load_release
from driftctl.snapshot import ModelError

ROOT = Path(__file__).parent.parent
RELEASE = load_release(ROOT / "manifests" / "release.example.yaml")
POLICY = load_policy(None)


def site(report: PreflightReport, name: str) -> SiteResult:
    return next(s for s in report.sites if s.site == name)


def test_field_case_1_blocks_savings_bank_and_holding_and_passes_capital() -> None:
    report = evaluate(POLICY, RELEASE, financial_group(), now=NOW)
    assert report.verdict is Verdict.BLOCK
    assert [s.site for s in report.sites] == ["capital", "holding", "savings-bank"]
    capital = site(report, "capital")
    assert capital.verdict is Verdict.PASS and capital.findings == ()
    for name, frontend in (("savings-bank", "2.3.4"), ("holding", "2.3.1")):
        result = site(report, name)
        assert result.verdict is Verdict.BLOCK
        api = [f for f in result.findings if f.rule == "frontend-parser-api"]
        assert api and api[0].severity is GateSeverity.BLOCK
        assert api[0].message.startswith(
            f"frontend-parser-api: frontend {frontend} calls parser API v1, parser 2.0.0 serves v2"
        )
        assert {f.rule for f in result.findings} == {
            "frontend-parser-api",
            "parser2-needs-frontend3",
        }


def test_field_case_1_without_the_release_change_passes_everywhere() -> None:
    from driftctl.release.file import parse_release

    harmless = parse_release({"release": "r0", "components": {"parser": {"version": "1.4.2"}}}, "r")
    report = evaluate(POLICY, harmless, financial_group(), now=NOW)
    assert report.verdict is Verdict.PASS
    assert {s.verdict for s in report.sites} == {Verdict.PASS}


def test_field_case_2_blocks_naming_the_unsynchronised_control_plane_nodes() -> None:
    report = evaluate(POLICY, RELEASE, [public_institution()], now=NOW)
    (result,) = report.sites
    assert result.verdict is Verdict.BLOCK
    clock = [f for f in result.findings if f.rule == "control-plane-clock"]
    assert clock[0].severity is GateSeverity.BLOCK and clock[0].nodes == ("cp-2", "cp-3")
    assert "cp-2 not synchronized (offset +7.8 s)" in clock[0].message
    assert "cp-3 not synchronized (offset unknown)" in clock[0].message


def test_field_case_3_warns_about_the_fifteen_second_timeout() -> None:
    snap = platform(
        "utility",
        frontend="3.0.1",
        parser_api="v2",
        mcp={"timeoutSeconds": 15, "backoffSeconds": 5, "initOnStart": False},
    )
    report = evaluate(POLICY, RELEASE, [Snap("utility", 2, stamp(), snap)], now=NOW)
    (result,) = report.sites
    # The overall verdict is the worst site verdict: a warning is not a pass.
    assert result.verdict is Verdict.WARN and report.verdict is Verdict.WARN
    assert {f.rule for f in result.findings} == {"mcp-timeout", "mcp-backoff", "mcp-init-on-start"}
    timeout = next(f for f in result.findings if f.rule == "mcp-timeout")
    assert (
        "helm.ai-platform/docai.computed_values.mcpHub.timeoutSeconds is 15, above max 5"
        in timeout.message
    )


@pytest.mark.parametrize(
    ("allow_stale", "verdict", "severity"),
    [(False, Verdict.BLOCK, GateSeverity.BLOCK), (True, Verdict.WARN, GateSeverity.WARN)],
    ids=["stale-blocks", "allow-stale-warns"],
)
def test_stale_and_missing_snapshots(
    allow_stale: bool, verdict: Verdict, severity: GateSeverity
) -> None:
    capital = next(s for s in financial_group() if s.site == "capital")
    old = Snap("capital", capital.seq, stamp(timedelta(days=20)), capital.snapshot)
    report = evaluate(
        POLICY, RELEASE, [old], sites=["capital", "holding"], allow_stale=allow_stale, now=NOW
    )
    stale, missing = site(report, "capital"), site(report, "holding")
    assert stale.verdict is verdict and missing.verdict is verdict
    (f,) = stale.findings
    assert f.rule == "freshness" and f.severity is severity
    assert "is 20d old, older than --max-age 14d" in f.message
    assert missing.seq is None
    assert missing.findings[0].message == (
        "freshness: no verified snapshot of site holding; cannot vouch for it"
    )
    fresh = evaluate(POLICY, RELEASE, [old], max_age=timedelta(days=30), now=NOW)
    assert site(fresh, "capital").verdict is Verdict.PASS


def test_unparseable_collected_at_is_not_fresh() -> None:
    capital = next(s for s in financial_group() if s.site == "capital")
    report = evaluate(POLICY, RELEASE, [Snap("capital", 1, "yesterday", capital.snapshot)], now=NOW)
    assert report.sites[0].verdict is Verdict.BLOCK
    assert "no usable collected_at" in report.sites[0].findings[0].message


def test_site_filter_and_empty_input() -> None:
    report = evaluate(POLICY, RELEASE, financial_group(), sites=["capital"], now=NOW)
    assert [s.site for s in report.sites] == ["capital"] and report.verdict is Verdict.PASS
    with pytest.raises(InputError, match="no site snapshots to check"):
        evaluate(POLICY, RELEASE, [], now=NOW)


def test_malformed_snapshot_never_reaches_the_gate() -> None:
    # The typed model refuses it where it is read (exit 2 for a file, 4 for a bundle).
    snap = platform("odd")
    snap["nodes"]["cp-1"]["roles"] = 5
    with pytest.raises(ModelError, match=r"nodes\.cp-1\.roles: expected an array, got an integer"):
        Snap("odd", 1, stamp(), snap)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("14d", 14 * 86400), ("36h", 36 * 3600), ("90m", 5400), ("30s", 30), ("1.5d", 129600)],
    ids=["days", "hours", "minutes", "seconds", "fraction"],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(
    "text", ["14", "2w", "-3d", "d"], ids=["no-unit", "weeks", "negative", "no-number"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InputError, match=r"--max-age: bad duration .* \(use e.g. 14d, 36h, 90m\)"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["99999999999d", "1" * 40 + "s"], ids=["days", "digits"])
def test_parse_duration_rejects_overflow(text: str) -> None:
    with pytest.raises(InputError, match=rf"^--max-age: duration '{text}' is too long"):
        parse_duration(text)


def empty_site(site: str) -> Snap:
    """A site whose every collection failed, as a bundle from before 1.1 could carry it."""
    error = "exit 1: The connection to the server 10.0.0.1:6443 was refused"
    snap = {
        "schema": "driftctl.snapshot/v1",
        "site": site,
        "collected_at": stamp(),
        "kubernetes": {},
        "workloads": {},
        "helm": {},
        "nodes": {},
        "components": {
            "frontend": {"workload": "ai-platform/Deployment/frontend", "version": None},
            "parser": {"workload": "ai-platform/Deployment/parser", "version": None},
        },
        "failures": [
            {"target": "kubernetes/workloads", "collector": "workloads", "error": error},
            {"target": "kubernetes/nodes", "collector": "nodes", "error": error},
            {"target": "kubernetes/helm-secrets", "collector": "helm", "error": error},
            *(
                {
                    "target": f"components/{c}",
                    "collector": "components",
                    "error": f"workload ai-platform/Deployment/{c} unknown (no workload facts)",
                }
                for c in ("frontend", "parser")
            ),
        ],
    }
    return Snap(site, 1, stamp(), snap)


def test_a_site_nobody_knows_anything_about_blocks_saying_why() -> None:
    report = evaluate(POLICY, RELEASE, [*financial_group(), empty_site("dark")], now=NOW)
    dark = site(report, "dark")
    assert dark.verdict is Verdict.BLOCK and report.verdict is Verdict.BLOCK
    blocks = [f for f in dark.findings if f.severity is GateSeverity.BLOCK]
    assert {f.rule for f in blocks} == {r.id for r in POLICY.rules} - {
        "mcp-timeout",
        "mcp-backoff",
        "mcp-init-on-start",
    }
    api = next(f for f in dark.findings if f.rule == "frontend-parser-api")
    assert api.message == (
        "frontend-parser-api: cannot check: frontend parser_api unknown at dark (collection "
        "failed: workload ai-platform/Deployment/frontend unknown (no workload facts); "
        "kubernetes/workloads: exit 1: The connection to the server 10.0.0.1:6443 was refused)"
    )
    clock = next(f for f in dark.findings if f.rule == "control-plane-clock")
    assert "(collection failed: kubernetes/nodes: exit 1:" in clock.message
    # Warn rules that cannot be checked stay warnings.
    assert {f.severity for f in dark.findings if f.rule.startswith("mcp-")} == {GateSeverity.WARN}


def test_allow_unknown_turns_cannot_check_blocks_into_warnings() -> None:
    snaps = [*financial_group(), empty_site("dark")]
    report = evaluate(POLICY, RELEASE, snaps, sites=["dark"], allow_unknown=True, now=NOW)
    (dark,) = report.sites
    assert dark.verdict is Verdict.WARN and report.verdict is Verdict.WARN
    assert dark.findings and all(f.unknown for f in dark.findings)
    assert {f.severity for f in dark.findings} == {GateSeverity.WARN}
    # A real violation is not unknown: --allow-unknown never lets it through.
    report = evaluate(POLICY, RELEASE, financial_group(), allow_unknown=True, now=NOW)
    assert site(report, "holding").verdict is Verdict.BLOCK


@pytest.mark.parametrize(
    ("verdicts", "overall"),
    [
        ((Verdict.PASS, Verdict.PASS), Verdict.PASS),
        ((Verdict.PASS, Verdict.WARN), Verdict.WARN),
        ((Verdict.WARN, Verdict.WARN), Verdict.WARN),
        ((Verdict.WARN, Verdict.BLOCK, Verdict.PASS), Verdict.BLOCK),
        ((), Verdict.PASS),
    ],
    ids=["all-pass", "one-warn", "all-warn", "one-block", "none"],
)
def test_overall_verdict_is_the_worst_site_verdict(
    verdicts: tuple[Verdict, ...], overall: Verdict
) -> None:
    assert worst(verdicts) is overall


def test_a_policy_that_no_site_can_resolve_is_bad_input() -> None:
    # Only the empty site: nothing the policy names exists anywhere; the policy is not checkable.
    with pytest.raises(InputError, match="frontend has no attribute 'parser_api' at any site"):
        evaluate(POLICY, RELEASE, [empty_site("dark")], now=NOW)


def test_a_policy_typo_is_bad_input_naming_rule_key_and_hint() -> None:
    typo = parse_policy(
        {
            "rules": [
                {
                    "id": "mcp-timeout",
                    "kind": "value",
                    "severity": "warn",
                    "path": "helm.ai-platform/docai.values.mcpHub.timeoutSecond",
                    "max": 5,
                }
            ]
        },
        "typo.yaml",
    )
    with pytest.raises(InputError) as err:
        evaluate(typo, RELEASE, financial_group(), now=NOW)
    assert str(err.value) == (
        "typo.yaml: rule 'mcp-timeout': key 'path': "
        "helm.ai-platform/docai.values.mcpHub.timeoutSecond resolves at no site and not in the "
        "release (did you mean 'timeoutSeconds'?)"
    )


def test_a_release_component_no_site_runs_is_bad_input() -> None:
    from driftctl.release.file import parse_release

    typo = parse_release({"release": "r", "components": {"parsr": {"version": "2.0.0"}}}, "r.yaml")
    with pytest.raises(InputError) as err:
        evaluate(POLICY, typo, financial_group(), now=NOW)
    assert str(err.value) == "r.yaml: component 'parsr': no site runs it (did you mean 'parser'?)"
