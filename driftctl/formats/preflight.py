"""Render a preflight report as a table, stable JSON, Markdown, JUnit XML or HTML."""

from __future__ import annotations

import textwrap
from typing import assert_never

from driftctl.formats import Format
from driftctl.formats.common import JunitCase, junit_xml, markdown_table, md_code, md_escape
from driftctl.formats.escape import dumps_json, visible
from driftctl.formats.html import render_preflight
from driftctl.policy.model import GateSeverity, PreflightReport, SiteResult

WIDTH = 100


def render(report: PreflightReport, fmt: Format) -> str:
    """The report in ``fmt``; the type checker proves every format is handled."""
    if fmt is Format.TABLE:
        return render_table(report)
    if fmt is Format.JSON:
        return render_json(report)
    if fmt is Format.MARKDOWN:
        return render_markdown(report)
    if fmt is Format.JUNIT:
        return render_junit(report)
    if fmt is Format.HTML:
        return render_preflight(report)
    assert_never(fmt)


def to_json(report: PreflightReport) -> dict[str, object]:
    """The JSON report (docs/reports.md): release, overall verdict, per-site verdict, snapshot and findings."""
    return {
        "release": report.release,
        "policy": report.policy,
        "verdict": str(report.verdict),
        "summary": report.counts(),
        "sites": {
            s.site: {
                "verdict": str(s.verdict),
                "snapshot": {"seq": s.seq, "collected_at": s.collected_at},
                "findings": [f.to_json() for f in s.findings],
            }
            for s in report.sites
        },
    }


def render_json(report: PreflightReport) -> str:
    return dumps_json(to_json(report), sort_keys=True)


def _snapshot(site: SiteResult) -> str:
    return "none" if site.seq is None else visible(f"#{site.seq} {site.collected_at}")


def _tally(site: SiteResult) -> str:
    blocks = sum(1 for f in site.findings if f.severity is GateSeverity.BLOCK)
    warns = len(site.findings) - blocks
    parts = [f"{blocks} block"] if blocks else []
    parts += [f"{warns} warn"] if warns else []
    return ", ".join(parts) or "all rules pass"


def render_table(report: PreflightReport) -> str:
    """One line per site with its verdict, then its reasons wrapped to 100 columns."""
    width = max([len("SITE"), *(len(visible(s.site)) for s in report.sites)])
    lines = [
        f"preflight {visible(report.release)} (policy: {visible(report.policy)}):"
        f" {str(report.verdict).upper()}",
        f"{'SITE':<{width}}  VERDICT  {'SNAPSHOT':<31}  FINDINGS",
    ]
    for site in report.sites:
        lines.append(
            f"{visible(site.site):<{width}}  {site.verdict!s:<7}  {_snapshot(site):<31}"
            f"  {_tally(site)}"
        )
        for f in site.findings:
            lines.extend(
                textwrap.wrap(
                    visible(f.message),
                    WIDTH,
                    initial_indent=f"  {f.severity!s:<5}  ",
                    subsequent_indent=" " * 9,
                    break_on_hyphens=False,
                )
            )
    return "\n".join(lines) + "\n"


def render_markdown(report: PreflightReport) -> str:
    rows = [
        [md_escape(s.site), f"**{s.verdict}**", md_escape(_snapshot(s)), _tally(s)]
        for s in report.sites
    ]
    out = [
        f"## Preflight {md_code(report.release)}: **{report.verdict}**",
        "",
        f"Policy: {md_escape(report.policy)}",
        "",
        markdown_table(["Site", "Verdict", "Snapshot", "Findings"], rows),
    ]
    for site in report.sites:
        if site.findings:
            out.append(f"### {md_escape(site.site)}: {site.verdict}\n")
            out.extend(f"- **{f.severity}** {md_escape(f.message)}" for f in site.findings)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render_junit(report: PreflightReport) -> str:
    """One testcase per site × rule: block findings fail it, warnings go to system-out."""
    cases: list[JunitCase] = []
    for site in report.sites:
        for rule in site.rules_checked:
            found = [f for f in site.findings if f.rule == rule]
            blocks = [f.message for f in found if f.severity is GateSeverity.BLOCK]
            warns = [f"warn: {f.message}" for f in found if f.severity is GateSeverity.WARN]
            cases.append(
                JunitCase(
                    classname=f"preflight.{site.site}",
                    name=rule,
                    failure=blocks[0] if blocks else None,
                    failure_type="block",
                    details="\n".join(blocks + warns),
                )
            )
    return junit_xml(f"preflight {report.release}", cases)
